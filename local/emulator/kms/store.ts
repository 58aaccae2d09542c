import { AwsError } from '../errors.js';
import { stateOf } from '../state.js';
import type { RequestContext } from '../types.js';
import { checkLength, requireString } from '../validation.js';
import { aliasArn, keyArn, parseKmsArn } from './arns.js';
import type { KeyRecord, KmsRegionState } from './model.js';
import { applyDueRotations } from './rotation-schedule.js';

const KEY_ID = /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|mrk-[0-9a-fA-F]{32})$/;

/**
 * Returns the KMS state of the caller's account and Region, creating it on first use. Before
 * returning, it deletes keys whose deletion date has passed on the clock (with their aliases and
 * grants) and performs automatic rotations that have fallen due.
 */
export function regionState(context: RequestContext): KmsRegionState {
  const state = stateOf(context);
  const byRegion = (state.kms[context.accountId] ??= {});
  const region = (byRegion[context.region] ??= { keys: {}, aliases: {}, grants: {} });
  applyClock(region, context.clock.now().getTime());
  return region;
}

function applyClock(region: KmsRegionState, now: number): void {
  for (const key of Object.values(region.keys)) {
    if (key.deletionDate !== undefined && key.deletionDate <= now) {
      deleteKey(region, key.keyId);
      continue;
    }
    applyDueRotations(key, now);
  }
}

function deleteKey(region: KmsRegionState, keyId: string): void {
  delete region.keys[keyId];
  for (const alias of Object.values(region.aliases)) {
    if (alias.targetKeyId === keyId) delete region.aliases[alias.aliasName];
  }
  for (const grant of Object.values(region.grants)) {
    if (grant.keyId === keyId) delete region.grants[grant.grantId];
  }
}

function invalidKeyId(keyId: string): AwsError {
  return new AwsError('NotFoundException', `Invalid keyId ${keyId}`);
}

function keyNotFound(arn: string): AwsError {
  return new AwsError('NotFoundException', `Key '${arn}' does not exist`);
}

export function aliasNotFound(context: RequestContext, aliasName: string): AwsError {
  return new AwsError('NotFoundException', `Alias ${aliasArn(context, aliasName)} is not found.`);
}

function readKeyId(keyId: unknown, member: string): string {
  const value = requireString({ KeyId: keyId }, 'KeyId', member);
  checkLength(value, member, 1, 2048);
  return value;
}

/**
 * Checks that an ARN names the caller's Region and account. Keys of another account are reported
 * as not found: the emulator implements no cross-account access.
 */
function checkArnScope(context: RequestContext, value: string): { resourceType: 'key' | 'alias'; resource: string } {
  const arn = parseKmsArn(value);
  if (!arn) throw invalidKeyId(value);
  if (arn.region !== context.region) {
    throw new AwsError('NotFoundException', `Invalid arn ${arn.region}`);
  }
  if (arn.accountId !== context.accountId) {
    throw arn.resourceType === 'key' ? keyNotFound(value) : new AwsError('NotFoundException', `Alias ${value} is not found.`);
  }
  return arn;
}

function findKey(context: RequestContext, keyId: string): KeyRecord {
  if (!KEY_ID.test(keyId)) throw invalidKeyId(keyId);
  const key = regionState(context).keys[keyId];
  if (!key) throw keyNotFound(keyArn(context, keyId));
  return key;
}

/** Resolve a key id, key ARN, alias name (alias/x) or alias ARN; throws the AWS errors (NotFoundException with AWS's message, validation errors for malformed ids, ARNs of another account/Region). */
export function resolveKey(context: RequestContext, keyId: unknown): KeyRecord {
  return resolveKeyAs(context, keyId, 'keyId', true);
}

/**
 * Resolves a key id or key ARN, for the operations whose KeyId AWS documents as "key ID or key
 * ARN". An alias name or alias ARN is rejected as an invalid key id.
 */
export function resolveKeyIdOrArn(context: RequestContext, keyId: unknown, member = 'keyId'): KeyRecord {
  return resolveKeyAs(context, keyId, member, false);
}

function resolveKeyAs(context: RequestContext, keyId: unknown, member: string, allowAlias: boolean): KeyRecord {
  const value = readKeyId(keyId, member);

  let reference: { resourceType: 'key' | 'alias'; resource: string };
  if (value.startsWith('arn:')) {
    reference = checkArnScope(context, value);
  } else if (value.startsWith('alias/')) {
    reference = { resourceType: 'alias', resource: value };
  } else {
    reference = { resourceType: 'key', resource: value };
  }

  if (reference.resourceType === 'key') {
    const key = findKey(context, reference.resource);
    if (value.startsWith('arn:') && value !== key.arn) throw keyNotFound(value);
    return key;
  }

  if (!allowAlias) throw invalidKeyId(value);
  const alias = regionState(context).aliases[reference.resource];
  if (!alias) throw aliasNotFound(context, reference.resource);
  return findKey(context, alias.targetKeyId);
}

/** Returns whether a KeyId value names an alias rather than a key. */
export function isAliasReference(value: string): boolean {
  return value.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(value);
}
