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
const isPendingImport: Failure = (key) => new AwsError('KMSInvalidStateException', `${key.arn} is pending import.`);
const isUnavailable: Failure = (key) => new AwsError('KMSInvalidStateException', `${key.arn} is unavailable.`);
const originIsExternal: Failure = (key) =>
  new AwsError('UnsupportedOperationException', `${key.arn} origin is EXTERNAL which is not valid for this operation.`);
// NOTE: the table has no footnote for the transient multi-Region states; this wording is the emulator's.
const isTransient: Failure = (key) =>
  new AwsError('KMSInvalidStateException', `${key.arn} is in state ${key.keyState}, which is not valid for this operation.`);

type Row = Partial<Record<KeyState, Failure>>;

const transientStates: Row = { Creating: isTransient, Updating: isTransient, PendingReplicaDeletion: isTransient };

/** Cryptographic operations: usable only while Enabled. */
const cryptographic: Row = {
  ...transientStates,
  Disabled: isDisabled,
  PendingImport: isPendingImport,
  PendingDeletion: isPendingDeletion,
  Unavailable: isUnavailable,
};

const anyState: Row = {};
const notPendingDeletion: Row = { PendingDeletion: isPendingDeletion };

const rotationSettings: Row = {
  Disabled: isDisabled,
  PendingImport: originIsExternal,
  PendingDeletion: isPendingDeletion,
  Unavailable: isUnavailable,
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
  CreateAlias: notPendingDeletion,
  CreateGrant: { Disabled: isDisabled, PendingImport: isPendingImport, PendingDeletion: isPendingDeletion },
  Decrypt: cryptographic,
  DeleteAlias: anyState,
  DescribeKey: anyState,
  DisableKey: { PendingImport: isPendingImport, PendingDeletion: isPendingDeletion },
  DisableKeyRotation: rotationSettings,
  EnableKey: { PendingImport: isPendingImport, PendingDeletion: isPendingDeletion },
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
  ListResourceTags: anyState,
  PutKeyPolicy: anyState,
  ReEncrypt: cryptographic,
  RotateKeyOnDemand: rotationSettings,
  ScheduleKeyDeletion: notPendingDeletion,
  Sign: cryptographic,
  TagResource: notPendingDeletion,
  UntagResource: notPendingDeletion,
  /** Checked on the key the alias moves to. The key it leaves may be in any state. */
  UpdateAlias: notPendingDeletion,
  UpdateKeyDescription: notPendingDeletion,
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
