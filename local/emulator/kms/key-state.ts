import { AwsError } from '../errors.js';
import type { KeyRecord, KeyState } from './model.js';

/**
 * The AWS KMS key-state table: for each operation on an existing key, the error a key in each
 * state gets. A state missing from an operation's row is accepted. Source: "Key states of AWS KMS
 * keys" in the AWS KMS Developer Guide (docs.aws.amazon.com/kms/latest/developerguide/key-state.html),
 * whose footnotes give the exception names and messages used below.
 *
 * Conditions the table marks "?" that depend on more than the state (imported key material, custom
 * key stores, key spec) are checked by the operations themselves, after this table.
 */

type Failure = (key: KeyRecord) => AwsError;

const isDisabled: Failure = (key) => new AwsError('DisabledException', `${key.arn} is disabled.`);
const isPendingDeletion: Failure = (key) => new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
const isNotPendingDeletion: Failure = (key) =>
  new AwsError('KMSInvalidStateException', `${key.arn} is not pending deletion.`);
// NOTE: footnote [3] of the table reads "<key ARN> is pending deletion (or pending replica
// deletion).", and this message is the emulator's reading of it for PendingReplicaDeletion.
const isPendingReplicaDeletion: Failure = (key) =>
  new AwsError('KMSInvalidStateException', `${key.arn} is pending replica deletion.`);
const isPendingImport: Failure = (key) => new AwsError('KMSInvalidStateException', `${key.arn} is pending import.`);
const isUnavailable: Failure = (key) => new AwsError('KMSInvalidStateException', `${key.arn} is unavailable.`);
const originIsExternal: Failure = (key) =>
  new AwsError('UnsupportedOperationException', `${key.arn} origin is EXTERNAL which is not valid for this operation.`);
const isCreating: Failure = (key) => new AwsError('KMSInvalidStateException', `${key.arn} is creating.`);
const isUpdating: Failure = (key) => new AwsError('KMSInvalidStateException', `${key.arn} is updating.`);

type Row = Partial<Record<KeyState, Failure>>;

/** The table has one column for PendingDeletion and PendingReplicaDeletion. */
const pendingDeletion: Row = { PendingDeletion: isPendingDeletion, PendingReplicaDeletion: isPendingReplicaDeletion };

/** Cryptographic operations: usable while Enabled or Updating. */
const cryptographic: Row = {
  ...pendingDeletion,
  Disabled: isDisabled,
  PendingImport: isPendingImport,
  Unavailable: isUnavailable,
  Creating: isCreating,
};

const anyState: Row = {};

const enableOrDisable: Row = {
  ...pendingDeletion,
  PendingImport: isPendingImport,
  Creating: isCreating,
  Updating: isUpdating,
};

const rotationSettings: Row = {
  ...pendingDeletion,
  Disabled: isDisabled,
  PendingImport: originIsExternal,
  Unavailable: isUnavailable,
  Creating: isCreating,
};

const KEY_STATE_TABLE: Record<string, Row> = {
  CancelKeyDeletion: {
    Enabled: isNotPendingDeletion,
    Disabled: isNotPendingDeletion,
    PendingImport: isNotPendingDeletion,
    Unavailable: isNotPendingDeletion,
    Creating: isNotPendingDeletion,
    Updating: isNotPendingDeletion,
  },
  CreateAlias: pendingDeletion,
  CreateGrant: { ...pendingDeletion, Disabled: isDisabled, PendingImport: isPendingImport, Creating: isCreating },
  Decrypt: cryptographic,
  DeleteAlias: anyState,
  DescribeKey: anyState,
  DisableKey: enableOrDisable,
  DisableKeyRotation: rotationSettings,
  EnableKey: enableOrDisable,
  EnableKeyRotation: rotationSettings,
  Encrypt: cryptographic,
  GenerateDataKey: cryptographic,
  GenerateDataKeyPair: cryptographic,
  GenerateDataKeyPairWithoutPlaintext: cryptographic,
  GenerateDataKeyWithoutPlaintext: cryptographic,
  GenerateMac: cryptographic,
  GetKeyPolicy: anyState,
  GetKeyRotationStatus: { PendingImport: originIsExternal, Unavailable: isUnavailable },
  GetPublicKey: cryptographic,
  ListAliases: anyState,
  ListGrants: anyState,
  ListKeyPolicies: anyState,
  /** NOTE: the key-state table has no row for ListKeyRotations; it is checked as GetKeyRotationStatus is. */
  ListKeyRotations: { PendingImport: originIsExternal, Unavailable: isUnavailable },
  ListResourceTags: anyState,
  PutKeyPolicy: anyState,
  ReEncrypt: cryptographic,
  /** Checked on the primary key. */
  ReplicateKey: {
    ...pendingDeletion,
    Disabled: isDisabled,
    PendingImport: isPendingImport,
    Creating: isCreating,
    Updating: isUpdating,
  },
  RotateKeyOnDemand: rotationSettings,
  ScheduleKeyDeletion: { ...pendingDeletion, Updating: isUpdating },
  Sign: cryptographic,
  TagResource: pendingDeletion,
  UntagResource: pendingDeletion,
  /** Checked on the key the alias moves to. The key it leaves may be in any state. */
  UpdateAlias: pendingDeletion,
  UpdateKeyDescription: pendingDeletion,
  Verify: cryptographic,
  VerifyMac: cryptographic,
};

/** Throws DisabledException / KMSInvalidStateException exactly as the AWS KMS key-state table says for that operation. */
export function assertKeyState(key: KeyRecord, operation: string): void {
  const row = KEY_STATE_TABLE[operation];
  if (!row) {
    throw new Error(`The key-state table has no row for operation ${operation}`);
  }
  const failure = row[key.keyState];
  if (failure) {
    throw failure(key);
  }
}
