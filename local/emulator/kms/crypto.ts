import type { Operation } from '../types.js';
import { encryptionOperations } from './crypto/encryption.js';
import { macOperations } from './crypto/mac.js';
import { signingOperations } from './crypto/signing.js';

/**
 * The cryptographic operations of the KMS emulator, by API action name. Each resolves its key
 * with `resolveKey`, checks the key state with `assertKeyState`, then checks KeyUsage and the
 * algorithm against the key spec. No operation logs or returns key material, and plaintext
 * appears only in the responses that carry it (Decrypt and GenerateDataKey).
 */
export const cryptoOperations: Record<string, Operation> = {
  ...encryptionOperations,
  ...signingOperations,
  ...macOperations,
};
