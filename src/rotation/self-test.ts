import { randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  EncryptCommand,
  GenerateMacCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
  type KeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';

/**
 * Proves a new key works for its usage: encrypt then decrypt, sign then verify, or MAC then verify,
 * on random bytes that are never logged. Throws an Error naming the check that failed.
 */
export async function selfTest(kms: KMSClient, key: KeyMetadata): Promise<void> {
  const keyId = key.Arn ?? key.KeyId;
  const sample = new Uint8Array(randomBytes(32));

  switch (key.KeyUsage) {
    case 'ENCRYPT_DECRYPT': {
      const algorithm = key.KeySpec === 'SYMMETRIC_DEFAULT' ? 'SYMMETRIC_DEFAULT' : preferred(key.EncryptionAlgorithms, 'RSAES_OAEP_SHA_256');
      const context = key.KeySpec === 'SYMMETRIC_DEFAULT' ? { 'kms-rotator:purpose': 'self-test' } : undefined;
      const encrypted = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: sample, EncryptionAlgorithm: algorithm, EncryptionContext: context }));
      const decrypted = await kms.send(
        new DecryptCommand({ KeyId: keyId, CiphertextBlob: encrypted.CiphertextBlob, EncryptionAlgorithm: algorithm, EncryptionContext: context }),
      );
      if (!decrypted.Plaintext || !Buffer.from(decrypted.Plaintext).equals(Buffer.from(sample))) {
        throw new Error(`Self-test of ${key.KeyId} failed: Decrypt did not return the bytes given to Encrypt`);
      }
      if (decrypted.KeyId !== key.Arn) {
        throw new Error(`Self-test of ${key.KeyId} failed: Decrypt reported key ${decrypted.KeyId}, expected ${key.Arn}`);
      }
      return;
    }
    case 'SIGN_VERIFY': {
      const algorithm = key.SigningAlgorithms?.[0];
      const signed = await kms.send(new SignCommand({ KeyId: keyId, Message: sample, MessageType: 'RAW', SigningAlgorithm: algorithm }));
      const verified = await kms.send(
        new VerifyCommand({ KeyId: keyId, Message: sample, MessageType: 'RAW', Signature: signed.Signature, SigningAlgorithm: algorithm }),
      );
      if (verified.SignatureValid !== true) throw new Error(`Self-test of ${key.KeyId} failed: Verify rejected the signature Sign returned`);
      return;
    }
    case 'GENERATE_VERIFY_MAC': {
      const algorithm = key.MacAlgorithms?.[0];
      const generated = await kms.send(new GenerateMacCommand({ KeyId: keyId, Message: sample, MacAlgorithm: algorithm }));
      const verified = await kms.send(new VerifyMacCommand({ KeyId: keyId, Message: sample, Mac: generated.Mac, MacAlgorithm: algorithm }));
      if (verified.MacValid !== true) throw new Error(`Self-test of ${key.KeyId} failed: VerifyMac rejected the MAC GenerateMac returned`);
      return;
    }
    default:
      throw new Error(`Self-test of ${key.KeyId} failed: key usage ${String(key.KeyUsage)} is not supported`);
  }
}

/** Returns `choice` when the key offers it, otherwise the key's first algorithm. */
function preferred<T extends string>(offered: T[] | undefined, choice: T): T | undefined {
  return offered?.includes(choice) ? choice : offered?.[0];
}
