import { hash } from 'node:crypto';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import type { AliasItem } from '../state/records.js';

const MS_PER_HOUR = 3_600_000;

/** Largest jitter, as a share of the alias's period. */
export const MAX_JITTER_SHARE = 0.1;
/** Largest jitter in milliseconds, whatever the period. */
export const MAX_JITTER_MS = 24 * MS_PER_HOUR;
/** Overlap window of an asymmetric or HMAC key when the config sets none. */
export const DEFAULT_ASYMMETRIC_OVERLAP_MS = 24 * MS_PER_HOUR;

/**
 * Age of the key an alias targets: from its promotion when the tool promoted it, otherwise from
 * the key's creation date in KMS.
 */
export function keyAgeMs(target: KeyMetadata, item: AliasItem | undefined, now: Date): number {
  const promotedAt = item && item.currentKeyId === target.KeyId ? item.promotedAt : undefined;
  const start = promotedAt ? Date.parse(promotedAt) : (target.CreationDate?.getTime() ?? now.getTime());
  return Math.max(0, now.getTime() - start);
}

/**
 * Jitter of each ManagedAlias object, with the fields it was computed from. The config's objects
 * live as long as the Lambda container, so each alias is hashed once per container instead of
 * once per sweep. An entry goes when its object is garbage collected.
 */
const jitterOf = new WeakMap<object, { alias: string; region: string; periodMs: number; jitterMs: number }>();

/**
 * A fixed delay added to the alias's period, derived from its Region and name, so that keys
 * created together do not all come due in the same sweep. Up to 10% of the period, at most 24 hours.
 */
export function jitterMs(managed: Pick<ManagedAlias, 'alias' | 'region' | 'periodMs'>): number {
  const { alias, region, periodMs } = managed;
  const cached = jitterOf.get(managed);
  // The fields are compared because a caller may change an object after its first call.
  if (cached && cached.alias === alias && cached.region === region && cached.periodMs === periodMs) return cached.jitterMs;

  // The first 4 bytes of the SHA-256 digest, read as a big-endian unsigned integer.
  const fraction = Number.parseInt(hash('sha256', `${region}\n${alias}`, 'hex').slice(0, 8), 16) / 2 ** 32;
  const computed = Math.floor(fraction * Math.min(periodMs * MAX_JITTER_SHARE, MAX_JITTER_MS));
  jitterOf.set(managed, { alias, region, periodMs, jitterMs: computed });
  return computed;
}

/** Milliseconds from now until the alias is due; zero or less means due. */
export function msUntilDue(ageMs: number, managed: Pick<ManagedAlias, 'alias' | 'region' | 'periodMs'>): number {
  return managed.periodMs + jitterMs(managed) - ageMs;
}

export function isDue(ageMs: number, managed: Pick<ManagedAlias, 'alias' | 'region' | 'periodMs'>): boolean {
  return msUntilDue(ageMs, managed) <= 0;
}

/** True for keys whose callers choose the key themselves: only symmetric ciphertext names its key. */
export function needsOverlap(key: KeyMetadata): boolean {
  return key.KeySpec !== 'SYMMETRIC_DEFAULT';
}

/** How long a published successor waits before promotion. */
export function overlapMs(managed: Pick<ManagedAlias, 'overlapMs'>, key: KeyMetadata): number {
  if (managed.overlapMs !== undefined) return managed.overlapMs;
  return needsOverlap(key) ? DEFAULT_ASYMMETRIC_OVERLAP_MS : 0;
}
