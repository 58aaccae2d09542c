import {
  constants,
  createECDH,
  createHash,
  privateEncrypt,
  publicDecrypt,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

import { HASH_BYTES, type HashName } from './algorithms.js';

/**
 * Signatures over a digest the caller already computed (Sign and Verify with MessageType
 * DIGEST). `crypto.sign` of Node.js 20 always hashes its input, so these functions build the
 * signature schemes from primitives that do not hash:
 * - RSASSA-PKCS1-v1_5: the DigestInfo of RFC 8017 section 9.2, signed with `privateEncrypt`
 *   and PKCS#1 type 1 padding.
 * - RSASSA-PSS: EMSA-PSS encoding of RFC 8017 section 9.1 with MGF1 over the same hash and a
 *   salt as long as the digest, then a raw RSA private-key operation.
 * - ECDSA: SEC 1 section 4.1 with BigInt arithmetic. The point k*G of signing comes from
 *   `createECDH`, and verification does its own point arithmetic in Jacobian coordinates.
 * The output matches `crypto.sign`/`crypto.verify` of the same hash over the original message,
 * which the tests check.
 */

// ---- RSASSA-PKCS1-v1_5 ----

/** DER prefixes of DigestInfo for each hash, from RFC 8017 section 9.2, note 1. */
const DIGEST_INFO_PREFIX: Partial<Record<HashName, Buffer>> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

function digestInfo(hash: HashName, digest: Buffer): Buffer {
  const prefix = DIGEST_INFO_PREFIX[hash];
  if (!prefix) throw new Error(`No DigestInfo prefix is defined for ${hash}`);
  return Buffer.concat([prefix, digest]);
}

export function signPkcs1Digest(privateKey: KeyObject, hash: HashName, digest: Buffer): Buffer {
  return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo(hash, digest));
}

export function verifyPkcs1Digest(publicKey: KeyObject, hash: HashName, digest: Buffer, signature: Buffer): boolean {
  const expected = digestInfo(hash, digest);
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    // Wrong length or padding: the signature was not made with this key.
    return false;
  }
  return recovered.length === expected.length && timingSafeEqual(recovered, expected);
}

// ---- RSASSA-PSS ----

function mgf1(hash: HashName, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * HASH_BYTES[hash] < length; counter += 1) {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    blocks.push(createHash(hash).update(seed).update(counterBytes).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function xorInPlace(target: Buffer, mask: Buffer): void {
  for (let i = 0; i < target.length; i += 1) target[i] = (target[i] ?? 0) ^ (mask[i] ?? 0);
}

/** Modulus length in bits and bytes of an RSA key. */
function modulusSize(key: KeyObject): { bits: number; bytes: number } {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new Error('The key is not an RSA key');
  return { bits, bytes: Math.ceil(bits / 8) };
}

function pssHash(hash: HashName, digest: Buffer, salt: Buffer): Buffer {
  return createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
}

export function signPssDigest(privateKey: KeyObject, hash: HashName, digest: Buffer): Buffer {
  const { bits, bytes } = modulusSize(privateKey);
  const hashLength = HASH_BYTES[hash];
  const saltLength = hashLength;
  const encodedBits = bits - 1;
  const encodedLength = Math.ceil(encodedBits / 8);

  const salt = randomBytes(saltLength);
  const h = pssHash(hash, digest, salt);

  const db = Buffer.alloc(encodedLength - hashLength - 1);
  db[db.length - saltLength - 1] = 0x01;
  salt.copy(db, db.length - saltLength);
  xorInPlace(db, mgf1(hash, h, db.length));
  db[0] = (db[0] ?? 0) & (0xff >> (8 * encodedLength - encodedBits));

  const encoded = Buffer.concat([db, h, Buffer.from([0xbc])]);
  // The raw RSA operation takes exactly as many bytes as the modulus, so a shorter encoding
  // (modulus length of 8n+1 bits) gets a leading zero byte.
  const input = Buffer.concat([Buffer.alloc(bytes - encoded.length), encoded]);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, input);
}

export function verifyPssDigest(publicKey: KeyObject, hash: HashName, digest: Buffer, signature: Buffer): boolean {
  const { bits, bytes } = modulusSize(publicKey);
  if (signature.length !== bytes) return false;

  const hashLength = HASH_BYTES[hash];
  const saltLength = hashLength;
  const encodedBits = bits - 1;
  const encodedLength = Math.ceil(encodedBits / 8);

  let decrypted: Buffer;
  try {
    decrypted = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false;
  }
  const encoded = decrypted.subarray(decrypted.length - encodedLength);
  if (encoded[encoded.length - 1] !== 0xbc) return false;

  const db = Buffer.from(encoded.subarray(0, encodedLength - hashLength - 1));
  const h = encoded.subarray(encodedLength - hashLength - 1, encodedLength - 1);
  const topBitsMask = 0xff >> (8 * encodedLength - encodedBits);
  if (((db[0] ?? 0) & ~topBitsMask) !== 0) return false;

  xorInPlace(db, mgf1(hash, h, db.length));
  db[0] = (db[0] ?? 0) & topBitsMask;

  const separatorIndex = db.length - saltLength - 1;
  for (let i = 0; i < separatorIndex; i += 1) {
    if (db[i] !== 0) return false;
  }
  if (db[separatorIndex] !== 0x01) return false;

  const expected = pssHash(hash, digest, db.subarray(db.length - saltLength));
  return timingSafeEqual(expected, h);
}

// ---- ECDSA ----

interface Curve {
  /** Curve name for `createECDH`. */
  name: string;
  p: bigint;
  a: bigint;
  /** Order of the base point. */
  n: bigint;
  /** Length in bytes of a field element and of a scalar. */
  bytes: number;
}

/**
 * Domain parameters from SEC 2 version 2.0 (secp256k1, secp256r1 = P-256, secp384r1 = P-384,
 * secp521r1 = P-521). The base point comes from `createECDH` with private key 1. The tests check
 * n and p through (n-1)G = -G, and a through DIGEST verification of signatures made by Node.js.
 */
export const CURVES: Record<string, Curve> = {
  prime256v1: {
    name: 'prime256v1',
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    bytes: 32,
  },
  secp384r1: {
    name: 'secp384r1',
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    a: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffcn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    bytes: 48,
  },
  secp521r1: {
    name: 'secp521r1',
    p: (1n << 521n) - 1n,
    a: (1n << 521n) - 4n,
    n: 0x1fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    bytes: 66,
  },
  secp256k1: {
    name: 'secp256k1',
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn,
    a: 0n,
    n: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
    bytes: 32,
  },
};

function mod(value: bigint, modulus: bigint): bigint {
  const result = value % modulus;
  return result < 0n ? result + modulus : result;
}

function modInverse(value: bigint, modulus: bigint): bigint {
  let [oldR, r] = [mod(value, modulus), modulus];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  return mod(oldS, modulus);
}

function toBigInt(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
}

function toFixedBytes(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex');
}

/** Affine point, or null for the point at infinity. */
type AffinePoint = { x: bigint; y: bigint } | null;
/** Jacobian point (X/Z^2, Y/Z^3); Z = 0 is the point at infinity. */
type JacobianPoint = { x: bigint; y: bigint; z: bigint };

const INFINITY: JacobianPoint = { x: 1n, y: 1n, z: 0n };

function toJacobian(point: AffinePoint): JacobianPoint {
  return point ? { x: point.x, y: point.y, z: 1n } : INFINITY;
}

function toAffine(curve: Curve, point: JacobianPoint): AffinePoint {
  if (point.z === 0n) return null;
  const zInverse = modInverse(point.z, curve.p);
  const zInverse2 = mod(zInverse * zInverse, curve.p);
  return { x: mod(point.x * zInverse2, curve.p), y: mod(point.y * zInverse2 * zInverse, curve.p) };
}

function pointDouble(curve: Curve, point: JacobianPoint): JacobianPoint {
  const { p, a } = curve;
  if (point.z === 0n || point.y === 0n) return INFINITY;
  const y2 = mod(point.y * point.y, p);
  const s = mod(4n * point.x * y2, p);
  const z2 = mod(point.z * point.z, p);
  const m = mod(3n * point.x * point.x + a * z2 * z2, p);
  const x = mod(m * m - 2n * s, p);
  const y = mod(m * (s - x) - 8n * y2 * y2, p);
  const z = mod(2n * point.y * point.z, p);
  return { x, y, z };
}

function pointAdd(curve: Curve, first: JacobianPoint, second: JacobianPoint): JacobianPoint {
  const { p } = curve;
  if (first.z === 0n) return second;
  if (second.z === 0n) return first;
  const z1Squared = mod(first.z * first.z, p);
  const z2Squared = mod(second.z * second.z, p);
  const u1 = mod(first.x * z2Squared, p);
  const u2 = mod(second.x * z1Squared, p);
  const s1 = mod(first.y * z2Squared * second.z, p);
  const s2 = mod(second.y * z1Squared * first.z, p);
  if (u1 === u2) return s1 === s2 ? pointDouble(curve, first) : INFINITY;

  const h = mod(u2 - u1, p);
  const r = mod(s2 - s1, p);
  const h2 = mod(h * h, p);
  const h3 = mod(h2 * h, p);
  const x = mod(r * r - h3 - 2n * u1 * h2, p);
  const y = mod(r * (u1 * h2 - x) - s1 * h3, p);
  const z = mod(h * first.z * second.z, p);
  return { x, y, z };
}

function scalarMultiply(curve: Curve, scalar: bigint, point: JacobianPoint): JacobianPoint {
  let result = INFINITY;
  for (let bit = BigInt(scalar.toString(2).length - 1); bit >= 0n; bit -= 1n) {
    result = pointDouble(curve, result);
    if ((scalar >> bit) & 1n) result = pointAdd(curve, result, point);
  }
  return result;
}

/** Base point of `curve`, read from `createECDH` as the public key of private key 1. */
export function basePoint(curve: Curve): { x: bigint; y: bigint } {
  const ecdh = createECDH(curve.name);
  ecdh.setPrivateKey(toFixedBytes(1n, curve.bytes));
  const uncompressed = ecdh.getPublicKey();
  return {
    x: toBigInt(uncompressed.subarray(1, 1 + curve.bytes)),
    y: toBigInt(uncompressed.subarray(1 + curve.bytes)),
  };
}

/** The integer of SEC 1 section 4.1.3 step 5: the leftmost bits of the digest, as many as n has. */
function digestToInteger(curve: Curve, digest: Buffer): bigint {
  const orderBits = curve.n.toString(2).length;
  const value = toBigInt(digest);
  const excessBits = digest.length * 8 - orderBits;
  return excessBits > 0 ? value >> BigInt(excessBits) : value;
}

function derInteger(value: bigint): Buffer {
  const hex = value.toString(16);
  let bytes = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02]), derLength(bytes.length), bytes]);
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  if (length < 0x100) return Buffer.from([0x81, length]);
  return Buffer.from([0x82, length >> 8, length & 0xff]);
}

/** Encodes an ECDSA signature as the DER SEQUENCE of r and s that KMS returns (RFC 3279). */
export function encodeEcdsaSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

/** Decodes a DER ECDSA signature, or returns null if it is not a well-formed SEQUENCE of two INTEGERs. */
export function decodeEcdsaSignature(signature: Buffer): { r: bigint; s: bigint } | null {
  let offset = 0;
  const readLength = (): number | null => {
    const first = signature[offset++];
    if (first === undefined) return null;
    if (first < 0x80) return first;
    const count = first & 0x7f;
    if (count === 0 || count > 2) return null;
    let length = 0;
    for (let i = 0; i < count; i += 1) {
      const byte = signature[offset++];
      if (byte === undefined) return null;
      length = (length << 8) | byte;
    }
    return length;
  };
  const readInteger = (): bigint | null => {
    if (signature[offset++] !== 0x02) return null;
    const length = readLength();
    if (length === null || length === 0 || offset + length > signature.length) return null;
    const bytes = signature.subarray(offset, offset + length);
    offset += length;
    if ((bytes[0] ?? 0) & 0x80) return null;
    return toBigInt(bytes);
  };

  if (signature[offset++] !== 0x30) return null;
  const sequenceLength = readLength();
  if (sequenceLength === null || offset + sequenceLength !== signature.length) return null;
  const r = readInteger();
  const s = readInteger();
  if (r === null || s === null || offset !== signature.length) return null;
  return { r, s };
}

/** Signs `digest` with the private scalar `d`, returning a DER signature. */
export function signEcdsaDigest(curveName: string, d: bigint, digest: Buffer): Buffer {
  const curve = CURVES[curveName];
  if (!curve) throw new Error(`Unsupported curve ${curveName}`);
  const e = digestToInteger(curve, digest);
  const ecdh = createECDH(curve.name);

  for (;;) {
    // A random nonce k in [1, n-1], drawn with 8 extra bytes so that the bias of the reduction is negligible.
    const k = mod(toBigInt(randomBytes(curve.bytes + 8)), curve.n - 1n) + 1n;
    ecdh.setPrivateKey(toFixedBytes(k, curve.bytes));
    const kG = ecdh.getPublicKey();
    const r = mod(toBigInt(kG.subarray(1, 1 + curve.bytes)), curve.n);
    if (r === 0n) continue;
    const s = mod(modInverse(k, curve.n) * (e + r * d), curve.n);
    if (s === 0n) continue;
    return encodeEcdsaSignature(r, s);
  }
}

/** Verifies a DER signature over `digest` with the public point `q`. */
export function verifyEcdsaDigest(curveName: string, q: { x: bigint; y: bigint }, digest: Buffer, signature: Buffer): boolean {
  const curve = CURVES[curveName];
  if (!curve) throw new Error(`Unsupported curve ${curveName}`);
  const decoded = decodeEcdsaSignature(signature);
  if (!decoded) return false;
  const { r, s } = decoded;
  if (r <= 0n || r >= curve.n || s <= 0n || s >= curve.n) return false;

  const e = digestToInteger(curve, digest);
  const w = modInverse(s, curve.n);
  const u1 = mod(e * w, curve.n);
  const u2 = mod(r * w, curve.n);
  const sum = pointAdd(
    curve,
    scalarMultiply(curve, u1, toJacobian(basePoint(curve))),
    scalarMultiply(curve, u2, toJacobian(q)),
  );
  const point = toAffine(curve, sum);
  return point !== null && mod(point.x, curve.n) === r;
}

/** Reads the private scalar and public point of an EC key through its JWK export. */
export function ecKeyComponents(privateKey: KeyObject): { d: bigint; q: { x: bigint; y: bigint } } {
  const jwk = privateKey.export({ format: 'jwk' });
  if (!jwk.d || !jwk.x || !jwk.y) throw new Error('The key is not an EC private key');
  const fromBase64Url = (text: string) => toBigInt(Buffer.from(text, 'base64url'));
  return { d: fromBase64Url(jwk.d), q: { x: fromBase64Url(jwk.x), y: fromBase64Url(jwk.y) } };
}

/** Reads the public point of an EC public key. */
export function ecPublicPoint(publicKey: KeyObject): { x: bigint; y: bigint } {
  const jwk = publicKey.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y) throw new Error('The key is not an EC public key');
  return { x: toBigInt(Buffer.from(jwk.x, 'base64url')), y: toBigInt(Buffer.from(jwk.y, 'base64url')) };
}
