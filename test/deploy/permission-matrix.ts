/**
 * Which function's role may have which IAM action, as docs/deployment.md lists them. The template
 * tests check every role of the packaged stack against this table in both directions: a role has
 * exactly the actions whose row names its function.
 */
import { FUNCTION_NAMES, type FunctionName } from './helpers.js';

const EVERY_FUNCTION: readonly FunctionName[] = FUNCTION_NAMES;

/** For each IAM action, the functions whose roles have it. An action not listed is in no role. */
export const PERMISSION_MATRIX: Readonly<Record<string, readonly FunctionName[]>> = {
  'logs:CreateLogStream': EVERY_FUNCTION,
  'logs:PutLogEvents': EVERY_FUNCTION,

  'kms:ListAliases': EVERY_FUNCTION,
  'kms:DescribeKey': EVERY_FUNCTION,
  'kms:ListResourceTags': EVERY_FUNCTION,
  'kms:GetKeyPolicy': EVERY_FUNCTION,
  'kms:ListGrants': EVERY_FUNCTION,
  'kms:GetKeyRotationStatus': EVERY_FUNCTION,
  // Reads the past rotations of a key with the native strategy.
  'kms:ListKeyRotations': ['rotate'],

  'kms:TagResource': ['rotate'],
  'kms:CreateKey': ['rotate'],
  'kms:UpdateAlias': ['rotate'],
  'kms:Encrypt': ['rotate'],
  'kms:Decrypt': ['rotate'],
  'kms:Sign': ['rotate'],
  'kms:Verify': ['rotate'],
  'kms:GenerateMac': ['rotate'],
  'kms:VerifyMac': ['rotate'],
  'kms:GetPublicKey': ['rotate'],
  'kms:ReplicateKey': ['rotate'],
  'kms:EnableKeyRotation': ['rotate'],
  'kms:RotateKeyOnDemand': ['rotate'],

  'kms:DisableKey': ['approval'],
  'kms:ScheduleKeyDeletion': ['approval'],
  'kms:CancelKeyDeletion': ['audit'],

  'kms:GetKeyLastUsage': ['retire', 'approval'],
  'cloudtrail:LookupEvents': ['retire', 'approval'],
  'cloudtrail:DescribeTrails': ['audit'],
  'cloudtrail:GetTrailStatus': ['audit'],

  'lambda:InvokeFunction': ['rotate', 'approval'],
  'sqs:SendMessage': ['audit'],

  'dynamodb:GetItem': EVERY_FUNCTION,
  'dynamodb:BatchGetItem': EVERY_FUNCTION,
  'dynamodb:PutItem': EVERY_FUNCTION,
  'dynamodb:UpdateItem': EVERY_FUNCTION,
  'dynamodb:DeleteItem': EVERY_FUNCTION,
  'dynamodb:Query': EVERY_FUNCTION,
  'events:PutEvents': EVERY_FUNCTION,
};

/** KMS actions that disable or delete a key or its alias, change who may use the key, or stop its rotation. */
export const DESTRUCTIVE_KMS_ACTIONS = [
  'kms:DisableKey',
  'kms:ScheduleKeyDeletion',
  'kms:DeleteImportedKeyMaterial',
  'kms:PutKeyPolicy',
  'kms:CreateGrant',
  'kms:DeleteAlias',
  'kms:DisableKeyRotation',
] as const;

/**
 * Actions that a role may have only in a statement whose condition limits it to keys tagged
 * kms-rotator:managed=true: the destructive ones and kms:CancelKeyDeletion.
 */
export const MANAGED_KEYS_ONLY_ACTIONS: readonly string[] = [...DESTRUCTIVE_KMS_ACTIONS, 'kms:CancelKeyDeletion'];

/** Returns the functions whose roles the matrix gives `action`, or none for an unlisted action. */
export function functionsAllowed(action: string): readonly FunctionName[] {
  return PERMISSION_MATRIX[action] ?? [];
}

/** Returns the actions that the matrix gives the role of `name`, sorted. */
export function actionsOf(name: FunctionName): string[] {
  return Object.keys(PERMISSION_MATRIX)
    .filter((action) => functionsAllowed(action).includes(name))
    .sort();
}
