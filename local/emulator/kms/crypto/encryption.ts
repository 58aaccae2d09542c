import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';

import { AwsError } from '../../errors.js';
import type { Operation, RequestContext } from '../../types.js';
import { assertKeyState } from '../key-state.js';
import type { KeyRecord } from '../model.js';
import { resolveCiphertextKey, resolveKey } from '../store.js';
import {
  DATA_KEY_SPEC_ENUM,
  ENCRYPTION_ALGORITHM_ENUM,
  encryptionAlgorithmsFor,
  hashOf,
  maxRsaPlaintextBytes,
} from './algorithms.js';
import { openSymmetric, parseSymmetric, sealSymmetric } from './ciphertext.js';
import {
  currentMaterial,
  readBlob,
  readEncryptionContext,
  readEnum,
  readKeyId,
  readOptionalIntegerInRange,
  readOptionalKeyId,
  requireAlgorithm,
  requireKeyUsage,
  toBase64,
} from './input.js';

/** Encrypt, Decrypt, ReEncrypt and GenerateDataKey. */

type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHM_ENUM)[number];

/** Maximum Plaintext length of Encrypt, in bytes. */
const MAX_PLAINTEXT_BYTES = 4096;
/** Maximum CiphertextBlob length of Decrypt and ReEncrypt, in bytes. */
const MAX_CIPHERTEXT_BYTES = 6144;

// The KMS API reference of InvalidCiphertextException documents no message text, so the
// emulator sends an empty one.
function invalidCiphertext(): AwsError {
  return new AwsError('InvalidCiphertextException', '');
}

function rejectAsymmetricEncryptionContext(encryptionContext: Record<string, string>): void {
  if (Object.keys(encryptionContext).length > 0) {
    throw new AwsError(
      'ValidationException',
      'EncryptionContext is not supported when encrypting/decrypting with asymmetric CMKs.',
    );
  }
}

function rsaOaepOptions(algorithm: EncryptionAlgorithm) {
  return { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hashOf(algorithm) };
}

/** Encrypts `plaintext` under a resolved key whose state the caller has checked. */
function encryptUnderKey(
  key: KeyRecord,
  plaintext: Buffer,
  encryptionContext: Record<string, string>,
  algorithm: EncryptionAlgorithm,
  operation: string,
): Buffer {
  requireKeyUsage(key, 'ENCRYPT_DECRYPT', operation);
  requireAlgorithm(key, algorithm, encryptionAlgorithmsFor(key.keySpec));
  const material = currentMaterial(key);

  if (algorithm === 'SYMMETRIC_DEFAULT') {
    const secret = Buffer.from(material.secret, 'base64');
    return sealSymmetric({ keyArn: key.arn, materialId: material.id }, secret, plaintext, encryptionContext);
  }

  rejectAsymmetricEncryptionContext(encryptionContext);
  const maxBytes = maxRsaPlaintextBytes(key.keySpec, algorithm);
  if (plaintext.length > maxBytes) {
    throw new AwsError(
      'ValidationException',
      `Algorithm ${algorithm} and key spec ${key.keySpec} cannot encrypt data larger than ${maxBytes} bytes.`,
    );
  }
  const publicKey = createPublicKey(material.publicKey ?? material.secret);
  return publicEncrypt({ key: publicKey, ...rsaOaepOptions(algorithm) }, plaintext);
}

interface DecryptRequest {
  ciphertext: Buffer;
  keyId: string | undefined;
  algorithm: EncryptionAlgorithm;
  encryptionContext: Record<string, string>;
}

/**
 * Decrypts a ciphertext blob. Symmetric ciphertext names its key, so `keyId` is optional and,
 * when given, must name the same key (IncorrectKeyException otherwise). RSA ciphertext names no
 * key, so `keyId` is required and a wrong key fails as InvalidCiphertextException.
 */
function decryptBlob(context: RequestContext, request: DecryptRequest, operation: string) {
  if (request.algorithm === 'SYMMETRIC_DEFAULT') {
    // The blob is parsed before the key in the request is used, so RSA ciphertext sent without
    // EncryptionAlgorithm fails as InvalidCiphertextException whatever the KeyId.
    const parsed = parseSymmetric(request.ciphertext);
    if (!parsed) throw invalidCiphertext();

    const requestedKey = request.keyId === undefined ? undefined : resolveKey(context, request.keyId);
    const key = resolveCiphertextKey(context, parsed.keyArn);
    if (requestedKey && requestedKey.arn !== key.arn) {
      throw new AwsError(
        'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.',
      );
    }
    assertKeyState(key, operation);
    requireKeyUsage(key, 'ENCRYPT_DECRYPT', operation);
    requireAlgorithm(key, request.algorithm, encryptionAlgorithmsFor(key.keySpec));

    // Older material versions stay in the key after rotation, so old ciphertext still decrypts.
    const material = key.material.find((version) => version.id === parsed.materialId);
    if (!material) throw invalidCiphertext();
    const plaintext = openSymmetric(parsed, Buffer.from(material.secret, 'base64'), request.encryptionContext);
    if (!plaintext) throw invalidCiphertext();
    return { key, plaintext };
  }

  if (request.keyId === undefined) {
    // NOTE: the API reference says KeyId is required for asymmetric ciphertext but documents no
    // error text for its absence; this message is the emulator's own.
    throw new AwsError(
      'ValidationException',
      `KeyId is required when EncryptionAlgorithm is ${request.algorithm}, because asymmetric ciphertext does not identify its key.`,
    );
  }
  const key = resolveKey(context, request.keyId);
  assertKeyState(key, operation);
  requireKeyUsage(key, 'ENCRYPT_DECRYPT', operation);
  requireAlgorithm(key, request.algorithm, encryptionAlgorithmsFor(key.keySpec));
  rejectAsymmetricEncryptionContext(request.encryptionContext);

  const privateKey = createPrivateKey(currentMaterial(key).secret);
  try {
    const plaintext = privateDecrypt({ key: privateKey, ...rsaOaepOptions(request.algorithm) }, request.ciphertext);
    return { key, plaintext };
  } catch {
    // OAEP decoding fails for ciphertext of another key or algorithm.
    throw invalidCiphertext();
  }
}

const encrypt: Operation = (input, context) => {
  const keyId = readKeyId(input, 'KeyId');
  const plaintext = readBlob(input, 'Plaintext', MAX_PLAINTEXT_BYTES);
  const encryptionContext = readEncryptionContext(input, 'EncryptionContext');
  const algorithm = readEnum(input, 'EncryptionAlgorithm', ENCRYPTION_ALGORITHM_ENUM, 'SYMMETRIC_DEFAULT');

  const key = resolveKey(context, keyId);
  assertKeyState(key, 'Encrypt');
  const ciphertext = encryptUnderKey(key, plaintext, encryptionContext, algorithm, 'Encrypt');

  return { CiphertextBlob: toBase64(ciphertext), KeyId: key.arn, EncryptionAlgorithm: algorithm };
};

const decrypt: Operation = (input, context) => {
  const ciphertext = readBlob(input, 'CiphertextBlob', MAX_CIPHERTEXT_BYTES);
  const keyId = readOptionalKeyId(input, 'KeyId');
  const encryptionContext = readEncryptionContext(input, 'EncryptionContext');
  const algorithm = readEnum(input, 'EncryptionAlgorithm', ENCRYPTION_ALGORITHM_ENUM, 'SYMMETRIC_DEFAULT');

  const { key, plaintext } = decryptBlob(context, { ciphertext, keyId, algorithm, encryptionContext }, 'Decrypt');

  return { KeyId: key.arn, Plaintext: toBase64(plaintext), EncryptionAlgorithm: algorithm };
};

const reEncrypt: Operation = (input, context) => {
  const ciphertext = readBlob(input, 'CiphertextBlob', MAX_CIPHERTEXT_BYTES);
  const sourceKeyId = readOptionalKeyId(input, 'SourceKeyId');
  const destinationKeyId = readKeyId(input, 'DestinationKeyId');
  const sourceEncryptionContext = readEncryptionContext(input, 'SourceEncryptionContext');
  const destinationEncryptionContext = readEncryptionContext(input, 'DestinationEncryptionContext');
  const sourceAlgorithm = readEnum(input, 'SourceEncryptionAlgorithm', ENCRYPTION_ALGORITHM_ENUM, 'SYMMETRIC_DEFAULT');
  const destinationAlgorithm = readEnum(
    input,
    'DestinationEncryptionAlgorithm',
    ENCRYPTION_ALGORITHM_ENUM,
    'SYMMETRIC_DEFAULT',
  );

  const source = decryptBlob(
    context,
    { ciphertext, keyId: sourceKeyId, algorithm: sourceAlgorithm, encryptionContext: sourceEncryptionContext },
    'ReEncrypt',
  );
  const destinationKey = resolveKey(context, destinationKeyId);
  assertKeyState(destinationKey, 'ReEncrypt');
  const reEncrypted = encryptUnderKey(
    destinationKey,
    source.plaintext,
    destinationEncryptionContext,
    destinationAlgorithm,
    'ReEncrypt',
  );

  return {
    CiphertextBlob: toBase64(reEncrypted),
    SourceKeyId: source.key.arn,
    KeyId: destinationKey.arn,
    SourceEncryptionAlgorithm: sourceAlgorithm,
    DestinationEncryptionAlgorithm: destinationAlgorithm,
  };
};

/** Bytes of each data key spec. */
const DATA_KEY_BYTES = { AES_256: 32, AES_128: 16 } as const;

const generateDataKey: Operation = (input, context) => {
  const keyId = readKeyId(input, 'KeyId');
  const encryptionContext = readEncryptionContext(input, 'EncryptionContext');
  const keySpec =
    input.KeySpec === undefined || input.KeySpec === null ? undefined : readEnum(input, 'KeySpec', DATA_KEY_SPEC_ENUM);
  const numberOfBytes = readOptionalIntegerInRange(input, 'NumberOfBytes', 1, 1024);

  const key = resolveKey(context, keyId);
  if ((keySpec === undefined) === (numberOfBytes === undefined)) {
    throw new AwsError('ValidationException', 'Please specify either number of bytes or key spec.');
  }
  assertKeyState(key, 'GenerateDataKey');
  requireKeyUsage(key, 'ENCRYPT_DECRYPT', 'GenerateDataKey');
  if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new AwsError('InvalidKeyUsageException', 'You cannot generate a data key with an asymmetric CMK');
  }

  const plaintext = randomBytes(keySpec === undefined ? (numberOfBytes ?? 0) : DATA_KEY_BYTES[keySpec]);
  const ciphertext = encryptUnderKey(key, plaintext, encryptionContext, 'SYMMETRIC_DEFAULT', 'GenerateDataKey');

  return { CiphertextBlob: toBase64(ciphertext), Plaintext: toBase64(plaintext), KeyId: key.arn };
};

export const encryptionOperations: Record<string, Operation> = {
  Encrypt: encrypt,
  Decrypt: decrypt,
  ReEncrypt: reEncrypt,
  GenerateDataKey: generateDataKey,
};
