import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Ciphertext format of symmetric (SYMMETRIC_DEFAULT) KMS keys in this emulator. It is not the
 * format of AWS KMS, and ciphertext from AWS does not decrypt here. All integers are big-endian.
 *
 *   offset  length  field
 *   0       4       magic "LKM1" (0x4C 0x4B 0x4D 0x31), which also names the format version
 *   4       1       length A of the key ARN
 *   5       A       key ARN, UTF-8
 *   5+A     1       length M of the material id
 *   6+A     M       material id (KeyMaterial.id), UTF-8
 *   6+A+M   12      AES-GCM initialization vector, random
 *   18+A+M  N       AES-256-GCM ciphertext of the plaintext, N = plaintext length
 *   end-16  16      AES-GCM authentication tag
 *
 * The additional authenticated data is the header (everything before the IV) followed by the
 * canonical encoding of the encryption context. A change to the key ARN, the material id, the
 * IV, the ciphertext or the encryption context therefore fails the tag check.
 *
 * Canonical encryption context: the number of pairs as 4 bytes, then for each pair, sorted by
 * key in UTF-16 code unit order, the key and the value, each as a 4-byte length and UTF-8
 * bytes. An absent and an empty encryption context encode the same way, as in AWS KMS.
 */

const MAGIC = Buffer.from('LKM1', 'ascii');
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SymmetricCiphertextHeader {
  keyArn: string;
  materialId: string;
}

export interface ParsedSymmetricCiphertext extends SymmetricCiphertextHeader {
  header: Buffer;
  iv: Buffer;
  encrypted: Buffer;
  tag: Buffer;
}

export function encodeEncryptionContext(context: Record<string, string>): Buffer {
  const keys = Object.keys(context).sort();
  const parts: Buffer[] = [uint32(keys.length)];
  for (const key of keys) {
    parts.push(lengthPrefixed(Buffer.from(key, 'utf8')), lengthPrefixed(Buffer.from(context[key] ?? '', 'utf8')));
  }
  return Buffer.concat(parts);
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function lengthPrefixed(bytes: Buffer): Buffer {
  return Buffer.concat([uint32(bytes.length), bytes]);
}

function shortField(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 0xff) throw new Error(`Ciphertext header field is longer than 255 bytes: ${text}`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/** Encrypts `plaintext` under the AES-256 key `secret` and wraps it in the format above. */
export function sealSymmetric(
  header: SymmetricCiphertextHeader,
  secret: Buffer,
  plaintext: Buffer,
  encryptionContext: Record<string, string>,
): Buffer {
  const headerBytes = Buffer.concat([MAGIC, shortField(header.keyArn), shortField(header.materialId)]);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', secret, iv);
  cipher.setAAD(Buffer.concat([headerBytes, encodeEncryptionContext(encryptionContext)]));
  const encrypted = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([headerBytes, iv, encrypted, cipher.getAuthTag()]);
}

/** Splits a ciphertext blob into its fields, or returns null if it is not in the format above. */
export function parseSymmetric(blob: Buffer): ParsedSymmetricCiphertext | null {
  if (blob.length < MAGIC.length + 2 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return null;

  let offset = MAGIC.length;
  const readShortField = (): string | null => {
    const length = blob[offset];
    if (length === undefined || offset + 1 + length > blob.length) return null;
    const text = blob.subarray(offset + 1, offset + 1 + length).toString('utf8');
    offset += 1 + length;
    return text;
  };

  const keyArn = readShortField();
  const materialId = readShortField();
  if (keyArn === null || materialId === null) return null;
  // Plaintext is at least 1 byte long, so a valid blob has at least one encrypted byte.
  if (blob.length < offset + IV_BYTES + 1 + TAG_BYTES) return null;

  return {
    keyArn,
    materialId,
    header: blob.subarray(0, offset),
    iv: blob.subarray(offset, offset + IV_BYTES),
    encrypted: blob.subarray(offset + IV_BYTES, blob.length - TAG_BYTES),
    tag: blob.subarray(blob.length - TAG_BYTES),
  };
}

/** Decrypts a parsed blob, or returns null if the tag check fails. */
export function openSymmetric(
  parsed: ParsedSymmetricCiphertext,
  secret: Buffer,
  encryptionContext: Record<string, string>,
): Buffer | null {
  const decipher = createDecipheriv('aes-256-gcm', secret, parsed.iv);
  decipher.setAAD(Buffer.concat([parsed.header, encodeEncryptionContext(encryptionContext)]));
  decipher.setAuthTag(parsed.tag);
  try {
    return Buffer.concat([decipher.update(parsed.encrypted), decipher.final()]);
  } catch {
    return null;
  }
}
