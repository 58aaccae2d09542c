/**
 * KMS operations that use a key's material. A success means a caller still depends on the key
 * (GetPublicKey too, because the public key is then used outside KMS); a failure because of the
 * key's state is a blocked use. Management calls on a key pending deletion (ScheduleKeyDeletion
 * again, EnableKey) fail with the same message but use nothing, so they are not listed.
 */
export const KEY_USE_OPERATIONS: ReadonlySet<string> = new Set([
  'Encrypt',
  'Decrypt',
  'ReEncrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'Sign',
  'Verify',
  'GenerateMac',
  'VerifyMac',
  'GetPublicKey',
  'DeriveSharedSecret',
  'Encapsulate',
  'Decapsulate',
]);
