// Parses Ed25519 public keys (RFC 8032 encoding): the one check every member key passes where it enters (a
// join request, a genesis, an approve, a key rotation).
// The rules: docs/identity.md#which-keys-recipients-and-signatures-are-accepted.

import { Point } from '@noble/ed25519';
import { EnvSyncError } from '../errors.ts';

// The 8 points of order dividing 8, canonically encoded (the other encodings of them are not canonical).
const SMALL_ORDER = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000', // identity, order 1
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // order 2
  '0000000000000000000000000000000000000000000000000000000000000000', // order 4
  '0000000000000000000000000000000000000000000000000000000000000080', // order 4
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', // order 8
]);

// p = 2^255 - 19, big-endian: an encoded y (little-endian, the sign bit cleared) must be below it.
const P_BIG_ENDIAN = Buffer.from(`7f${'ff'.repeat(30)}ed`, 'hex');
// The two y whose x is 0 (1 and p - 1), little-endian: there the sign bit must be clear.
const X_IS_ZERO = new Set([`01${'00'.repeat(31)}`, `ec${'ff'.repeat(30)}7f`]);

function refuse(reason: string): EnvSyncError {
  return new EnvSyncError('E_PUBLIC_KEY_INVALID', `not a usable Ed25519 public key: ${reason}`);
}

/**
 * How the curve equation is checked: `decode` decodes the point (@noble/ed25519, about 0.1 ms); `signature`
 * leaves it to the Ed25519 verification that the caller runs, at once, on a signature by this key: OpenSSL
 * decodes the point first and verifies nothing with a string that is not one. A fetch brings thousands of keys.
 */
export type CurveCheck = 'decode' | 'signature';

/**
 * Returns `key` if it is the canonical encoding of a curve point of large order; else throws
 * E_PUBLIC_KEY_INVALID saying why: not 32 bytes, y ≥ p or x = 0 with the sign bit set (non-canonical), one of
 * the 8 small-order points (such a key "verifies" signatures nobody made), or (see CurveCheck) no curve point.
 */
export function parseEd25519PublicKey(key: Uint8Array, curve: CurveCheck = 'decode'): Uint8Array {
  if (key.length !== 32) throw refuse(`it has ${key.length} bytes, not 32`);
  const y = Buffer.from(key);
  y[31]! &= 0x7f;
  if (Buffer.compare(Buffer.from(y).reverse(), P_BIG_ENDIAN) >= 0) {
    throw refuse('its y coordinate is not below 2^255 - 19 (a non-canonical encoding)');
  }
  if (key[31]! & 0x80 && X_IS_ZERO.has(y.toString('hex'))) {
    throw refuse('it encodes x = 0 with the sign bit set (a non-canonical encoding)');
  }
  if (SMALL_ORDER.has(Buffer.from(key).toString('hex')))
    throw refuse('it is a small-order point (it could verify forged signatures)');
  if (curve === 'decode') {
    try {
      Point.fromBytes(key, false);
    } catch {
      throw refuse('it is not a point on the curve');
    }
  }
  return key;
}
