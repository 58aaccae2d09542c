import { AwsError } from '../errors.js';
import { hooksOf, noteKey, type EmulatorHooks } from '../hooks.js';
import { stateOf } from '../state.js';
import type { RequestContext } from '../types.js';
import { checkLength, requireString } from '../validation.js';
import { aliasArn, keyArn, parseKmsArn } from './arns.js';
import type { KeyRecord, KmsRegionState } from './model.js';
import {
  afterMultiRegionKeyDeleted,
  isReplica,
  syncReplicasWithPrimary,
  type AccountKmsState,
} from './multi-region.js';
import { aliasesChanged } from './pagination.js';
import { applyDueRotations } from './rotation-schedule.js';

const KEY_ID = /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|mrk-[0-9a-fA-F]{32})$/;

/**
 * Returns the KMS state of the caller's account and Region, creating it on first use. Before
 * returning, it applies the clock to every Region of the account: it deletes keys whose deletion
 * date has passed (with their aliases and grants), performs automatic rotations that have fallen
 * due and copies the key material of multi-Region primary keys to their replicas. The whole
 * account is updated because deleting a replica in one Region can start the deletion window of
 * its primary in another.
 */
export function regionState(context: RequestContext): KmsRegionState {
  const state = stateOf(context);
  const account = (state.kms[context.accountId] ??= {});
  const region = (account[context.region] ??= { keys: {}, aliases: {}, grants: {} });
  const now = context.clock.now().getTime();
  if (!clockMayChange(account, context, now)) return region;
  applyClock(account, now, hooksOf(state));
  // Keys this request resolved before this call stay listed, because it may still change them.
  clockSchedules.set(account, { nextDueAt: nextDueAt(account), touched: clockSchedules.get(account)?.touched ?? [] });
  return region;
}

/**
 * When applying the clock to an account can next change it. The walk over every key is skipped
 * while the clock is before `nextDueAt`. A request may change a key only after resolving it
 * (findKey), so the keys each request resolved are checked again at the first call from a later
 * request. CreateKey adds keys that are never due (rotation off, no deletion date, usage tracking
 * started). An account with a multi-Region key is walked on every request, because its replicas
 * copy their primary's material and rotation settings whenever state is read.
 */
interface ClockSchedule {
  /** Epoch milliseconds of the earliest deletion date or automatic rotation, or Infinity when none is pending. */
  nextDueAt: number;
  /** Keys resolved since the last check, with the request that resolved each. */
  touched: Array<{ key: KeyRecord; context: RequestContext }>;
}

const clockSchedules = new WeakMap<AccountKmsState, ClockSchedule>();

function clockMayChange(account: AccountKmsState, context: RequestContext, now: number): boolean {
  const schedule = clockSchedules.get(account);
  if (!schedule) return true;
  if (schedule.touched.length > 0) {
    // Keys resolved by this request stay listed: the request may still change them after this call.
    const current = schedule.touched.filter((entry) => entry.context === context);
    for (const entry of schedule.touched) {
      if (entry.context !== context) schedule.nextDueAt = Math.min(schedule.nextDueAt, dueAt(entry.key));
    }
    schedule.touched = current;
  }
  return now >= schedule.nextDueAt;
}

/** Notes that the current request resolved `key`, so that its due time is read again at the next request. */
function noteResolvedKey(context: RequestContext, key: KeyRecord): void {
  const account = stateOf(context).kms[context.accountId];
  const schedule = account && clockSchedules.get(account);
  if (schedule && !schedule.touched.some((entry) => entry.key === key && entry.context === context)) schedule.touched.push({ key, context });
}

function nextDueAt(account: AccountKmsState): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const region of Object.values(account)) {
    for (const key of Object.values(region.keys)) earliest = Math.min(earliest, dueAt(key));
  }
  return earliest;
}

/** Returns the earliest time at which applyClock would change `key`, or -Infinity for a key it must visit at every request. */
function dueAt(key: KeyRecord): number {
  if (key.multiRegion || key.usageTrackingStart === undefined) return Number.NEGATIVE_INFINITY;
  let at = key.deletionDate ?? Number.POSITIVE_INFINITY;
  const { rotation } = key;
  // The same conditions as applyDueRotations.
  if (rotation.enabled && key.keyState === 'Enabled' && rotation.nextRotationDate !== undefined) at = Math.min(at, rotation.nextRotationDate);
  return at;
}

/** Returns the KMS state of every Region of the caller's account, for multi-Region operations. */
export function accountState(context: RequestContext): AccountKmsState {
  regionState(context);
  return stateOf(context).kms[context.accountId] ?? {};
}

function applyClock(account: AccountKmsState, now: number, hooks: EmulatorHooks): void {
  deleteDueKeys(account, now, hooks);
  for (const region of Object.values(account)) {
    for (const key of Object.values(region.keys)) {
      key.usageTrackingStart ??= now;
      // Replicas take their material from the primary key in syncReplicasWithPrimary.
      if (isReplica(key)) continue;
      for (const material of applyDueRotations(key, now)) {
        const index = key.material.indexOf(material);
        hooks.onKmsServiceEvent({
          kind: 'RotateKey',
          key,
          time: material.createdAt,
          rotationType: 'AUTOMATIC',
          previousMaterialId: key.material[index - 1]?.id,
          currentMaterialId: material.id,
        });
      }
    }
  }
  syncReplicasWithPrimary(account);
}

/**
 * Deletes due keys one at a time, earliest deletion date first, because deleting the last
 * replica of a multi-Region key gives its primary a deletion date that may also have passed.
 */
function deleteDueKeys(account: AccountKmsState, now: number, hooks: EmulatorHooks): void {
  for (;;) {
    let due: { region: KmsRegionState; key: KeyRecord; deletionDate: number } | undefined;
    for (const region of Object.values(account)) {
      for (const key of Object.values(region.keys)) {
        const { deletionDate } = key;
        if (deletionDate === undefined || deletionDate > now) continue;
        if (!due || deletionDate < due.deletionDate) due = { region, key, deletionDate };
      }
    }
    if (!due) return;
    deleteKey(due.region, due.key.keyId);
    hooks.onKmsServiceEvent({ kind: 'DeleteKey', key: due.key, time: due.deletionDate });
    afterMultiRegionKeyDeleted(account, due.key, due.deletionDate);
  }
}

function deleteKey(region: KmsRegionState, keyId: string): void {
  delete region.keys[keyId];
  for (const alias of Object.values(region.aliases)) {
    if (alias.targetKeyId === keyId) {
      delete region.aliases[alias.aliasName];
      aliasesChanged(region);
    }
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
  noteKey(context, key);
  noteResolvedKey(context, key);
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

/**
 * Resolves the key ARN stored in symmetric ciphertext. Ciphertext of a multi-Region key made in
 * another Region names that Region's key, so it resolves to the related key (same key id) in the
 * caller's Region, which shares its key material. Every other ARN resolves as in resolveKey.
 */
export function resolveCiphertextKey(context: RequestContext, arnInCiphertext: string): KeyRecord {
  const arn = parseKmsArn(arnInCiphertext);
  const otherRegionMultiRegionKey =
    arn?.resourceType === 'key' &&
    arn.resource.startsWith('mrk-') &&
    arn.accountId === context.accountId &&
    arn.region !== context.region;
  if (arn && otherRegionMultiRegionKey) return findKey(context, arn.resource);
  return resolveKey(context, arnInCiphertext);
}
