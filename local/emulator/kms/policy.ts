import { AwsError } from '../errors.js';
import { partitionOf } from '../state.js';
import type { Operation, RequestContext } from '../types.js';
import { checkLength, optionalBoolean, optionalString, requireString } from '../validation.js';
import { assertKeyState } from './key-state.js';
import { resolveKeyIdOrArn } from './store.js';

/** Key policy size limit in bytes, from "Quotas" in the AWS KMS Developer Guide. */
const MAX_POLICY_LENGTH = 32768;

/**
 * Returns the policy AWS KMS attaches when CreateKey has no Policy. It lets the account root, and
 * through it IAM policies, use the key. Source: "Default key policy" in the AWS KMS Developer Guide.
 */
export function defaultKeyPolicy(context: Pick<RequestContext, 'accountId' | 'region'>): string {
  const policy = {
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partitionOf(context.region)}:iam::${context.accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  };
  return JSON.stringify(policy, null, 2);
}

/**
 * Checks a key policy's length and that it is a JSON object.
 * NOTE: AWS also checks principals, the policy grammar and the lockout safety rule; the emulator
 * does not, and its MalformedPolicyDocumentException message is its own.
 */
export function validatePolicy(policy: string): void {
  checkLength(policy, 'policy', 1, MAX_POLICY_LENGTH);
  let parsed: unknown;
  try {
    parsed = JSON.parse(policy);
  } catch {
    throw new AwsError('MalformedPolicyDocumentException', 'The key policy is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError('MalformedPolicyDocumentException', 'The key policy must be a JSON object.');
  }
}

function readPolicyName(input: Record<string, unknown>): void {
  const policyName = optionalString(input, 'PolicyName') ?? 'default';
  checkLength(policyName, 'policyName', 1, 128);
  if (policyName !== 'default') {
    // NOTE: wording from LocalStack's emulator; the only key policy name AWS KMS accepts is "default".
    throw new AwsError('NotFoundException', 'No such policy exists');
  }
}

export const getKeyPolicy: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  readPolicyName(input);
  assertKeyState(key, 'GetKeyPolicy');
  return { Policy: key.policy, PolicyName: 'default' };
};

export const putKeyPolicy: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  readPolicyName(input);
  const policy = requireString(input, 'Policy', 'policy');
  validatePolicy(policy);
  optionalBoolean(input, 'BypassPolicyLockoutSafetyCheck');
  assertKeyState(key, 'PutKeyPolicy');
  key.policy = policy;
  return {};
};

export const listKeyPolicies: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  assertKeyState(key, 'ListKeyPolicies');
  return { PolicyNames: ['default'], Truncated: false };
};
