import { randomUUID } from 'node:crypto';

import { AwsError } from '../errors.js';
import { hooksOf, noteKey } from '../hooks.js';
import { stateOf } from '../state.js';
import type { Operation } from '../types.js';
import {
  checkEnum,
  checkLength,
  optionalArray,
  optionalBoolean,
  optionalInteger,
  optionalString,
  requireString,
} from '../validation.js';
import { keyArn } from './arns.js';
import { assertKeyState } from './key-state.js';
import { generateMaterial } from './material.js';
import { keyMetadata, USAGES_BY_SPEC } from './metadata.js';
import { KEY_SPECS, ORIGINS, type KeyRecord, type KeySpec, type KeyUsage } from './model.js';
import { compareKeys, pageOf } from './pagination.js';
import { defaultKeyPolicy, validatePolicy } from './policy.js';
import { regionState, resolveKey, resolveKeyIdOrArn } from './store.js';
import { readTags } from './tags.js';

/** KeyUsage values of the AWS API, including KEY_AGREEMENT, which the emulator does not support. */
const API_KEY_USAGES = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'] as const;

function readKeySpec(input: Record<string, unknown>): KeySpec {
  // CustomerMasterKeySpec is the deprecated name of KeySpec; AWS still accepts it.
  const keySpec = optionalString(input, 'KeySpec');
  const legacySpec = optionalString(input, 'CustomerMasterKeySpec');
  if (keySpec !== undefined) return checkEnum(keySpec, 'keySpec', KEY_SPECS);
  if (legacySpec !== undefined) return checkEnum(legacySpec, 'customerMasterKeySpec', KEY_SPECS);
  return 'SYMMETRIC_DEFAULT';
}

/**
 * Applies the CreateKey rules for KeyUsage: optional for symmetric encryption keys (default
 * ENCRYPT_DECRYPT), required for every other key spec, and limited to the usages the spec allows.
 */
function readKeyUsage(input: Record<string, unknown>, keySpec: KeySpec): KeyUsage {
  const requested = optionalString(input, 'KeyUsage');
  if (requested === undefined) {
    if (keySpec === 'SYMMETRIC_DEFAULT') return 'ENCRYPT_DECRYPT';
    throw new AwsError(
      'ValidationException',
      'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.',
    );
  }
  const usage = checkEnum(requested, 'keyUsage', API_KEY_USAGES);
  const allowed: readonly string[] = USAGES_BY_SPEC[keySpec];
  if (!allowed.includes(usage)) {
    throw new AwsError('ValidationException', `KeyUsage ${usage} is not compatible with KeySpec ${keySpec}`);
  }
  return usage as KeyUsage;
}

/**
 * Rejects custom key store origins. The emulator has no custom key stores, so every store id is
 * unknown; the message is the API reference's description of CustomKeyStoreNotFoundException.
 */
function readOrigin(input: Record<string, unknown>): KeyRecord['origin'] {
  const origin = checkEnum(optionalString(input, 'Origin') ?? 'AWS_KMS', 'origin', ORIGINS);
  const customKeyStoreId = optionalString(input, 'CustomKeyStoreId');
  const xksKeyId = optionalString(input, 'XksKeyId');
  if (customKeyStoreId !== undefined) checkLength(customKeyStoreId, 'customKeyStoreId', 1, 64);
  if (xksKeyId !== undefined) checkLength(xksKeyId, 'xksKeyId', 1, 128);

  if ((origin === 'AWS_CLOUDHSM' || origin === 'EXTERNAL_KEY_STORE') && customKeyStoreId === undefined) {
    throw new AwsError('ValidationException', `A CustomKeyStoreId is required when the Origin is ${origin}.`);
  }
  if (origin === 'EXTERNAL_KEY_STORE' && xksKeyId === undefined) {
    throw new AwsError('ValidationException', 'An XksKeyId is required when the Origin is EXTERNAL_KEY_STORE.');
  }
  if (customKeyStoreId !== undefined) {
    throw new AwsError(
      'CustomKeyStoreNotFoundException',
      'The request was rejected because AWS KMS cannot find a custom key store with the specified key store name or ID.',
    );
  }
  return origin;
}

export const createKey: Operation = (input, context) => {
  const policyInput = optionalString(input, 'Policy');
  if (policyInput !== undefined) validatePolicy(policyInput);
  const description = optionalString(input, 'Description') ?? '';
  checkLength(description, 'description', 0, 8192);
  const keySpec = readKeySpec(input);
  const keyUsage = readKeyUsage(input, keySpec);
  const origin = readOrigin(input);
  const tags = readTags(optionalArray(input, 'Tags') ?? []);
  const multiRegion = optionalBoolean(input, 'MultiRegion') ?? false;
  optionalBoolean(input, 'BypassPolicyLockoutSafetyCheck');

  const now = context.clock.now().getTime();
  const keyId = multiRegion ? `mrk-${randomUUID().replaceAll('-', '')}` : randomUUID();
  const external = origin === 'EXTERNAL';
  const key: KeyRecord = {
    keyId,
    arn: keyArn(context, keyId),
    accountId: context.accountId,
    region: context.region,
    createdAt: now,
    description,
    keySpec,
    keyUsage,
    origin,
    keyState: external ? 'PendingImport' : 'Enabled',
    policy: policyInput ?? defaultKeyPolicy(context),
    tags,
    multiRegion,
    rotation: { enabled: false, onDemandRotations: [] },
    material: external ? [] : [generateMaterial(keySpec, now)],
    usageTrackingStart: Math.max(now, hooksOf(stateOf(context)).usageTrackingStart ?? now),
  };
  regionState(context).keys[keyId] = key;
  noteKey(context, key);
  return { KeyMetadata: keyMetadata(key) };
};

export const describeKey: Operation = (input, context) => {
  const key = resolveKey(context, input.KeyId);
  assertKeyState(key, 'DescribeKey');
  return { KeyMetadata: keyMetadata(key) };
};

export const listKeys: Operation = (input, context) => {
  const limit = optionalInteger(input, 'Limit');
  const keys = Object.values(regionState(context).keys).sort((a, b) => compareKeys(a.keyId, b.keyId));
  const page = pageOf(keys, (key) => key.keyId, input.Marker, limit, { min: 1, max: 1000, defaultLimit: 100 });
  return {
    Keys: page.items.map((key) => ({ KeyId: key.keyId, KeyArn: key.arn })),
    Truncated: page.truncated,
    ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
  };
};

export const updateKeyDescription: Operation = (input, context) => {
  const key = resolveKeyIdOrArn(context, input.KeyId);
  const description = requireString(input, 'Description', 'description');
  checkLength(description, 'description', 0, 8192);
  assertKeyState(key, 'UpdateKeyDescription');
  key.description = description;
  return {};
};
