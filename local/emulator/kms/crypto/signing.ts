import { constants, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

import { AwsError } from '../../errors.js';
import type { Operation } from '../../types.js';
import { assertKeyState } from '../key-state.js';
import { ECC_CURVES } from '../material.js';
import type { KeyRecord } from '../model.js';
import { resolveKey } from '../store.js';
import {
  HASH_BYTES,
  MESSAGE_TYPE_ENUM,
  SIGNING_ALGORITHM_ENUM,
  encryptionAlgorithmsFor,
  hashOf,
  signingAlgorithmsFor,
} from './algorithms.js';
import { currentMaterial, readBlob, readEnum, readKeyId, requireAlgorithm, requireKeyUsage, toBase64 } from './input.js';
import {
  ecKeyComponents,
  ecPublicPoint,
  signEcdsaDigest,
  signPkcs1Digest,
  signPssDigest,
  verifyEcdsaDigest,
  verifyPkcs1Digest,
  verifyPssDigest,
} from './prehashed.js';

/** Sign, Verify and GetPublicKey. */

/** Maximum Message length of Sign and Verify, in bytes. */
const MAX_MESSAGE_BYTES = 4096;
/** Maximum Signature length of Verify, in bytes. */
const MAX_SIGNATURE_BYTES = 6144;

type SigningAlgorithm = (typeof SIGNING_ALGORITHM_ENUM)[number];
type MessageType = (typeof MESSAGE_TYPE_ENUM)[number];

interface SigningRequest {
  key: KeyRecord;
  message: Buffer;
  messageType: MessageType;
  algorithm: SigningAlgorithm;
}

/** Reads and checks the fields that Sign and Verify share, and resolves the key. */
function readSigningRequest(
  input: Record<string, unknown>,
  context: Parameters<Operation>[1],
  operation: 'Sign' | 'Verify',
): SigningRequest & { signature?: Buffer } {
  const keyId = readKeyId(input, 'KeyId');
  const message = readBlob(input, 'Message', MAX_MESSAGE_BYTES);
  const messageType = readEnum(input, 'MessageType', MESSAGE_TYPE_ENUM, 'RAW');
  const signature = operation === 'Verify' ? readBlob(input, 'Signature', MAX_SIGNATURE_BYTES) : undefined;
  const algorithm = readEnum(input, 'SigningAlgorithm', SIGNING_ALGORITHM_ENUM);

  const key = resolveKey(context, keyId);
  assertKeyState(key, operation);
  requireKeyUsage(key, 'SIGN_VERIFY', operation);
  requireAlgorithm(key, algorithm, signingAlgorithmsFor(key.keySpec));

  // EXTERNAL_MU is defined for ML-DSA keys only, which this emulator does not create.
  if (messageType === 'EXTERNAL_MU') {
    throw new AwsError('ValidationException', `Message type ${messageType} is incompatible with key spec ${key.keySpec}.`);
  }
  if (messageType === 'DIGEST' && message.length !== HASH_BYTES[hashOf(algorithm)]) {
    throw new AwsError('ValidationException', `Digest is invalid length for algorithm ${algorithm}.`);
  }
  return { key, message, messageType, algorithm, signature };
}

function rsaPssOptions() {
  // KMS RSASSA-PSS uses MGF1 with the message hash and a salt as long as the digest.
  return { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
}

function curveOf(key: KeyRecord): string {
  const curve = ECC_CURVES[key.keySpec as keyof typeof ECC_CURVES];
  if (!curve) throw new Error(`Key spec ${key.keySpec} is not an ECC key spec`);
  return curve;
}

function createSignature(request: SigningRequest): Buffer {
  const { key, message, messageType, algorithm } = request;
  const privateKey = createPrivateKey(currentMaterial(key).secret);
  const hash = hashOf(algorithm);
  const isPss = algorithm.startsWith('RSASSA_PSS_');

  if (messageType === 'RAW') {
    return sign(hash, message, isPss ? { key: privateKey, ...rsaPssOptions() } : privateKey);
  }
  if (algorithm.startsWith('ECDSA_')) return signEcdsaDigest(curveOf(key), ecKeyComponents(privateKey).d, message);
  if (isPss) return signPssDigest(privateKey, hash, message);
  return signPkcs1Digest(privateKey, hash, message);
}

function isValidSignature(request: SigningRequest, signature: Buffer): boolean {
  const { key, message, messageType, algorithm } = request;
  const publicKey: KeyObject = createPublicKey(currentMaterial(key).publicKey ?? currentMaterial(key).secret);
  const hash = hashOf(algorithm);
  const isPss = algorithm.startsWith('RSASSA_PSS_');

  if (messageType === 'RAW') {
    try {
      return verify(hash, message, isPss ? { key: publicKey, ...rsaPssOptions() } : publicKey, signature);
    } catch {
      // Malformed DER or a signature of the wrong length.
      return false;
    }
  }
  if (algorithm.startsWith('ECDSA_')) return verifyEcdsaDigest(curveOf(key), ecPublicPoint(publicKey), message, signature);
  if (isPss) return verifyPssDigest(publicKey, hash, message, signature);
  return verifyPkcs1Digest(publicKey, hash, message, signature);
}

const signOperation: Operation = (input, context) => {
  const request = readSigningRequest(input, context, 'Sign');
  const signature = createSignature(request);
  return { KeyId: request.key.arn, Signature: toBase64(signature), SigningAlgorithm: request.algorithm };
};

const verifyOperation: Operation = (input, context) => {
  const request = readSigningRequest(input, context, 'Verify');
  // AWS KMS reports a failed verification as this error, never as SignatureValid false.
  if (!request.signature || !isValidSignature(request, request.signature)) {
    throw new AwsError('KMSInvalidSignatureException', '');
  }
  return { KeyId: request.key.arn, SignatureValid: true, SigningAlgorithm: request.algorithm };
};

const getPublicKey: Operation = (input, context) => {
  const keyId = readKeyId(input, 'KeyId');
  const key = resolveKey(context, keyId);
  assertKeyState(key, 'GetPublicKey');

  const material = currentMaterial(key);
  if (!material.publicKey) {
    // NOTE: the message text is the emulator's own; the API reference only names the exception.
    throw new AwsError('UnsupportedOperationException', `${key.arn} key spec ${key.keySpec} has no public key.`);
  }
  const publicKeyDer = createPublicKey(material.publicKey).export({ type: 'spki', format: 'der' });

  const response: Record<string, unknown> = {
    KeyId: key.arn,
    PublicKey: toBase64(publicKeyDer),
    KeySpec: key.keySpec,
    CustomerMasterKeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
  };
  if (key.keyUsage === 'ENCRYPT_DECRYPT') response.EncryptionAlgorithms = encryptionAlgorithmsFor(key.keySpec);
  if (key.keyUsage === 'SIGN_VERIFY') response.SigningAlgorithms = signingAlgorithmsFor(key.keySpec);
  return response;
};

export const signingOperations: Record<string, Operation> = {
  Sign: signOperation,
  Verify: verifyOperation,
  GetPublicKey: getPublicKey,
};
