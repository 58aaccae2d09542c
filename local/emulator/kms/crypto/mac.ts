import { createHmac, timingSafeEqual } from 'node:crypto';

import { AwsError } from '../../errors.js';
import type { Operation, RequestContext } from '../../types.js';
import { assertKeyState } from '../key-state.js';
import { resolveKey } from '../store.js';
import { MAC_ALGORITHM_ENUM, hashOf, macAlgorithmsFor } from './algorithms.js';
import { currentMaterial, readBlob, readEnum, readKeyId, requireAlgorithm, requireKeyUsage, toBase64 } from './input.js';

/** GenerateMac and VerifyMac (HMAC, RFC 2104). */

/** Maximum Message length of GenerateMac and VerifyMac, in bytes. */
const MAX_MESSAGE_BYTES = 4096;
/** Maximum Mac length of VerifyMac, in bytes. */
const MAX_MAC_BYTES = 6144;

function computeMac(
  input: Record<string, unknown>,
  context: RequestContext,
  operation: 'GenerateMac' | 'VerifyMac',
  readExtra?: () => void,
) {
  const keyId = readKeyId(input, 'KeyId');
  const message = readBlob(input, 'Message', MAX_MESSAGE_BYTES);
  const algorithm = readEnum(input, 'MacAlgorithm', MAC_ALGORITHM_ENUM);
  readExtra?.();

  const key = resolveKey(context, keyId);
  assertKeyState(key, operation);
  requireKeyUsage(key, 'GENERATE_VERIFY_MAC', operation);
  requireAlgorithm(key, algorithm, macAlgorithmsFor(key.keySpec));

  const secret = Buffer.from(currentMaterial(key).secret, 'base64');
  const mac = createHmac(hashOf(algorithm), secret).update(message).digest();
  return { key, algorithm, mac };
}

const generateMac: Operation = (input, context) => {
  const { key, algorithm, mac } = computeMac(input, context, 'GenerateMac');
  return { Mac: toBase64(mac), MacAlgorithm: algorithm, KeyId: key.arn };
};

const verifyMac: Operation = (input, context) => {
  let expectedMac: Buffer = Buffer.alloc(0);
  const { key, algorithm, mac } = computeMac(input, context, 'VerifyMac', () => {
    expectedMac = readBlob(input, 'Mac', MAX_MAC_BYTES);
  });
  // AWS KMS reports a MAC mismatch as this error, never as MacValid false.
  if (expectedMac.length !== mac.length || !timingSafeEqual(expectedMac, mac)) {
    throw new AwsError('KMSInvalidMacException', '');
  }
  return { KeyId: key.arn, MacValid: true, MacAlgorithm: algorithm };
};

export const macOperations: Record<string, Operation> = {
  GenerateMac: generateMac,
  VerifyMac: verifyMac,
};
