// Encodes and decodes BIP 173 bech32 strings (the encoding of age recipients and AGE-SECRET-KEY-1 identities).
// Reasons it returns never quote the input, because the input may be a secret key.

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

export type Bech32Result = { ok: true; hrp: string; bytes: Uint8Array } | { ok: false; reason: string };

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const value of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ value;
    for (let i = 0; i < 5; i++) {
      if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
    }
  }
  return chk;
}

function expandHrp(hrp: string): number[] {
  const codes = [...hrp].map((c) => c.charCodeAt(0));
  return [...codes.map((c) => c >>> 5), 0, ...codes.map((c) => c & 31)];
}

/** Decodes `text` (all lower or all upper case); `hrp` comes back lower case. */
export function decodeBech32(text: string): Bech32Result {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) {
    return { ok: false, reason: 'it mixes upper and lower case' };
  }
  const lower = text.toLowerCase();
  const separator = lower.lastIndexOf('1');
  if (separator < 1 || lower.length - separator - 1 < 6) {
    return { ok: false, reason: 'it is too short or has no "1" separator' };
  }
  const hrp = lower.slice(0, separator);
  for (const c of hrp) {
    const code = c.charCodeAt(0);
    if (code < 33 || code > 126) return { ok: false, reason: 'its prefix has a non-printable character' };
  }
  const words: number[] = [];
  for (const c of lower.slice(separator + 1)) {
    const word = CHARSET.indexOf(c);
    if (word === -1) return { ok: false, reason: 'it has a character outside the bech32 alphabet' };
    words.push(word);
  }
  if (polymod([...expandHrp(hrp), ...words]) !== 1) {
    return { ok: false, reason: 'its checksum does not match (a typo or a truncated copy?)' };
  }
  const bytes = wordsToBytes(words.slice(0, -6));
  if (bytes === null) return { ok: false, reason: 'it has invalid padding bits' };
  return { ok: true, hrp, bytes };
}

function wordsToBytes(words: readonly number[]): Uint8Array | null {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const word of words) {
    acc = (acc << 5) | word;
    bits += 5;
    while (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  if (bits >= 5 || acc !== 0) return null;
  return Uint8Array.from(out);
}

/** Regroups bytes into 5-bit words, the last one zero-padded: bech32's and the peer id's base32 alike. */
export function bytesToWords(bytes: Uint8Array): number[] {
  const words: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      words.push((acc >>> bits) & 31);
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) words.push((acc << (5 - bits)) & 31);
  return words;
}

/** Encodes `bytes` under `hrp` (lower case), as age writes recipients (`age1…`). */
export function encodeBech32(hrp: string, bytes: Uint8Array): string {
  const words = bytesToWords(bytes);
  const check = polymod([...expandHrp(hrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = Array.from({ length: 6 }, (_, i) => (check >>> (5 * (5 - i))) & 31);
  return `${hrp}1${[...words, ...checksum].map((word) => CHARSET[word]).join('')}`;
}
