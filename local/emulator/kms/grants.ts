import { randomBytes } from 'node:crypto';

import { AwsError } from '../errors.js';
import { partitionOf } from '../state.js';
import type { Operation } from '../types.js';
import {
  checkEnum,
  checkLength,
  checkPattern,
  optionalInteger,
  optionalString,
  requireArray,
  requireString,
} from '../validation.js';
import { keyArn } from './arns.js';
import { assertKeyState } from './key-state.js';
import type { GrantRecord } from './model.js';
import { compareKeys, pageOf } from './pagination.js';
import { regionState, resolveKeyIdOrArn } from './store.js';

/** GrantOperation values of the AWS KMS API reference. */
const GRANT_OPERATIONS = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'Sign',
  'Verify',
  'GetPublicKey',
  'CreateGrant',
  'RetireGrant',
  'DescribeKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
] as const;

/**
 * Creates a grant. Grants are stored and listed but not enforced: the emulator authorizes no
 * request by policy or grant. A repeated CreateGrant with the same Name on the same key returns the
 * existing grant id, as AWS does.
 */
export const createGrant: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  const granteePrincipal = requireString(input, 'GranteePrincipal', 'granteePrincipal');
  checkLength(granteePrincipal, 'granteePrincipal', 1, 256);
  const rawOperations = requireArray(input, 'Operations', 'operations');
  const operations = rawOperations.map((operation, index) =>
    checkEnum(requireString({ operation }, 'operation', `operations.${index + 1}.member`), `operations.${index + 1}.member`, GRANT_OPERATIONS),
  );
  const retiringPrincipal = optionalString(input, 'RetiringPrincipal');
  if (retiringPrincipal !== undefined) checkLength(retiringPrincipal, 'retiringPrincipal', 1, 256);
  const name = optionalString(input, 'Name');
  if (name !== undefined) {
    checkLength(name, 'name', 1, 256);
    checkPattern(name, 'name', /^[a-zA-Z0-9:/_-]+$/, '^[a-zA-Z0-9:/_-]+$');
  }
  assertKeyState(key, 'CreateGrant');

  const region = regionState(context);
  const existing = name === undefined
    ? undefined
    : Object.values(region.grants).find((grant) => grant.keyId === key.keyId && grant.name === name);
  const grantToken = randomBytes(48).toString('base64');
  if (existing) {
    return { GrantId: existing.grantId, GrantToken: grantToken };
  }

  const grant: GrantRecord = {
    grantId: randomBytes(32).toString('hex'),
    keyId: key.keyId,
    granteePrincipal,
    ...(retiringPrincipal !== undefined ? { retiringPrincipal } : {}),
    operations,
    ...(name !== undefined ? { name } : {}),
    issuingAccount: `arn:${partitionOf(context.region)}:iam::${context.accountId}:root`,
    createdAt: context.clock.now().getTime(),
  };
  region.grants[grant.grantId] = grant;
  return { GrantId: grant.grantId, GrantToken: grantToken };
};

export const listGrants: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  assertKeyState(key, 'ListGrants');
  const grantId = optionalString(input, 'GrantId');
  const granteePrincipal = optionalString(input, 'GranteePrincipal');
  const limit = optionalInteger(input, 'Limit');

  if (grantId !== undefined && !regionState(context).grants[grantId]) {
    throw new AwsError('InvalidGrantIdException', 'The specified GrantId is not valid.');
  }
  const grants = Object.values(regionState(context).grants)
    .filter((grant) => grant.keyId === key.keyId)
    .filter((grant) => grantId === undefined || grant.grantId === grantId)
    .filter((grant) => granteePrincipal === undefined || grant.granteePrincipal === granteePrincipal)
    .sort((a, b) => compareKeys(a.grantId, b.grantId));
  const page = pageOf(grants, (grant) => grant.grantId, input.Marker, limit, { min: 1, max: 100, defaultLimit: 50 });
  return {
    Grants: page.items.map((grant) => ({
      KeyId: keyArn(context, grant.keyId),
      GrantId: grant.grantId,
      Name: grant.name ?? '',
      CreationDate: new Date(grant.createdAt),
      GranteePrincipal: grant.granteePrincipal,
      ...(grant.retiringPrincipal !== undefined ? { RetiringPrincipal: grant.retiringPrincipal } : {}),
      IssuingAccount: grant.issuingAccount,
      Operations: grant.operations,
    })),
    Truncated: page.truncated,
    ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
  };
};
