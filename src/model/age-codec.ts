// The snapshot codec for encrypted repositories: the key → value map becomes one standard age file
// (docs/object-format.md#age-snapshots) sealed to every reader's recipient; reads decrypt once per snapshot.

import type { AgeDecryptionKey } from '../crypto/age-envelope.ts';
import { EnvSyncError, isEnvSyncError } from '../errors.ts';
import { type Canonical, decodeCanonical, encodeCanonical } from '../store/encoding.ts';
import type { AgeSnapshot } from '../store/objects.ts';
import { plainSnapshot } from '../store/objects.ts';
import type { Entries, SnapshotCodec } from './snapshot-codec.ts';

export interface AgeCodecOptions {
  /** Seal new snapshots with age (true) or store them plain (false); reading handles both either way. */
  readonly encrypt: boolean;
  /** The age recipients who must be able to read a new snapshot. */
  readonly recipients: () => Promise<readonly string[]>;
  /** Who a recipient belongs to (`peer NAME (ID)`), asked only when a seal refuses that recipient. */
  readonly readerOf?: (recipient: string) => Promise<string>;
  /** This peer's age identity, loaded only when a snapshot must be decrypted. */
  readonly decryptionKey: () => Promise<AgeDecryptionKey>;
  /** Why this peer is not a recipient of snapshot `what` (pending, revoked…), asked only when it is not. */
  readonly whyUnreadable?: (what: string) => Promise<string>;
}

export function ageCodec(options: AgeCodecOptions): SnapshotCodec {
  return {
    async seal(entries) {
      const plain = plainSnapshot(entries);
      if (!options.encrypt) return plain;
      const recipients = [...new Set(await options.recipients())].sort();
      const [{ encryptToRecipients }, { RecipientInvalidError }] = await Promise.all([
        import('../crypto/age-envelope.ts'),
        import('../crypto/age-recipient.ts'),
      ]);
      let payload: Uint8Array;
      try {
        payload = await encryptToRecipients(encodeEntries(plain.entries), recipients);
      } catch (error) {
        if (!(error instanceof RecipientInvalidError) || options.readerOf === undefined) throw error;
        const reader = await options.readerOf(error.recipient);
        throw new EnvSyncError('E_RECIPIENT_INVALID', `cannot seal to ${reader}: ${error.message}`);
      }
      return { type: 'snapshot', encoding: 'age', keys: [...plain.entries.keys()], recipients, payload };
    },
    async open(snapshot, what) {
      if (snapshot.encoding === 'plain') return snapshot.entries;
      const { decryptWithIdentity } = await import('../crypto/age-envelope.ts');
      const bytes = await decryptWithIdentity(snapshot.payload, await options.decryptionKey(), {
        subject: what,
      }).catch(async (error: unknown) => {
        if (!isEnvSyncError(error, 'E_NOT_RECIPIENT') || options.whyUnreadable === undefined) throw error;
        throw new EnvSyncError('E_NOT_RECIPIENT', await options.whyUnreadable(what));
      });
      return decodeEntries(bytes, snapshot, what);
    },
  };
}

/** The plaintext inside the age file: canonical msgpack `[[key, value], …]` in ascending key order. */
export function encodeEntries(entries: Entries): Uint8Array {
  return encodeCanonical([...entries].map(([key, value]) => [key, value]));
}

function decodeEntries(bytes: Uint8Array, snapshot: AgeSnapshot, what: string): Entries {
  const value = decodeCanonical(bytes, `${what} payload`);
  const bad = (detail: string): never => {
    throw new EnvSyncError('E_OBJECT_CORRUPT', `${what}: decrypted payload ${detail}`);
  };
  if (!Array.isArray(value)) return bad('is not a list of entries');
  let previous = '';
  const pairs = value.map((pair: Canonical, index) => {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      typeof pair[1] !== 'string'
    ) {
      return bad('holds a malformed entry');
    }
    if (index > 0 && !(previous < pair[0])) bad('keys are not unique and ascending');
    previous = pair[0];
    return [pair[0], pair[1]] as const;
  });
  const decoded = plainSnapshot(pairs);
  const keys = [...decoded.entries.keys()];
  if (keys.length !== snapshot.keys.length || keys.some((key, i) => key !== snapshot.keys[i])) {
    bad('does not match the snapshot key index');
  }
  return decoded.entries;
}
