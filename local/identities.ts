/**
 * Local principals. The emulator maps the access key of each SigV4 request to one of these to
 * find the caller's account and ARN; an unknown access key is rejected as AWS rejects it.
 * The secrets are public test values and protect nothing.
 */
export interface LocalIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  arn: string;
}

export const LOCAL_ACCOUNT_ID = '111122223333';
export const LOCAL_REGION = 'us-east-1';

/** Role-session ARN the local `rotate` function runs as, following the deployed role name pattern. */
export const toolIdentity: LocalIdentity = {
  accessKeyId: 'AKIALOCALROTATE00001',
  secretAccessKey: 'local-rotate-secret-not-a-real-credential',
  accountId: LOCAL_ACCOUNT_ID,
  arn: `arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/kms-rotator-local-${LOCAL_REGION}-rotate/kms-rotator-local-${LOCAL_REGION}-rotate`,
};

/** An operator who creates keys and asks for emergency rotations. */
export const operatorIdentity: LocalIdentity = {
  accessKeyId: 'AKIALOCALALICE000001',
  secretAccessKey: 'local-alice-secret-not-a-real-credential',
  accountId: LOCAL_ACCOUNT_ID,
  arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/alice`,
};

/** A second person, who approves what the operator requests. */
export const approverIdentity: LocalIdentity = {
  accessKeyId: 'AKIALOCALBOB00000001',
  secretAccessKey: 'local-bob-secret-not-a-real-credential',
  accountId: LOCAL_ACCOUNT_ID,
  arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/bob`,
};

/** A principal of another account, for cross-account cases. */
export const foreignIdentity: LocalIdentity = {
  accessKeyId: 'AKIALOCALMALLORY0001',
  secretAccessKey: 'local-mallory-secret-not-a-real-credential',
  accountId: '444455556666',
  arn: 'arn:aws:iam::444455556666:user/mallory',
};

export const defaultIdentities: LocalIdentity[] = [toolIdentity, operatorIdentity, approverIdentity, foreignIdentity];
