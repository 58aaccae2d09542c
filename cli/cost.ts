/**
 * Estimates how many KMS keys the tool keeps for an alias, now and twelve months ahead, and what
 * they cost per month in key storage. Request charges are not included.
 */
import { DescribeKeyCommand, NotFoundException, type KMSClient } from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../src/config/load.js';
import type { AliasPlan } from '../src/rotation/dry-run.js';
import type { StateTable } from '../src/state/state-table.js';

/**
 * US dollars per customer managed key per month, prorated hourly. Source: the AWS KMS pricing page,
 * https://aws.amazon.com/kms/pricing/ (archived copy of 2019-03-08). It also says that keys
 * scheduled for deletion are not charged, while enabled and disabled keys are.
 */
export const KMS_KEY_PRICE_USD_PER_MONTH = 1;

/**
 * Natively rotated keys cost one key price more for each of the first two rotations; later
 * rotations add nothing (AWS's May 2024 pricing change, as cloudburn.io's March 2026 summary of the
 * pricing page describes it). NOTE: read from a secondary source; check the pricing page.
 */
export const NATIVE_BILLED_ROTATIONS = 2;

export const PROJECTION_DAYS = 365;
const DAY_MS = 86_400_000;

export interface KeyCount {
  /** Keys billed now: enabled or disabled, replicas included; pending deletion excluded. */
  keysNow: number;
  keysProjected: number;
  /** Key storage in US dollars per month. */
  costNow: number;
  costProjected: number;
}

/** Key states that KMS bills. */
const BILLED_STATES = new Set(['Enabled', 'Disabled', 'PendingImport', 'Creating', 'Updating', 'Unavailable']);

/** Counts the billed keys of one alias now and estimates them PROJECTION_DAYS ahead. */
export async function countKeys(
  kms: KMSClient,
  table: StateTable,
  managed: ManagedAlias,
  plan: AliasPlan,
  now: Date,
  price: number,
): Promise<KeyCount> {
  const copies = 1 + managed.replicaRegions.length;
  const end = now.getTime() + PROJECTION_DAYS * DAY_MS;

  if (managed.strategy === 'native') {
    if (plan.currentKeyId === undefined) return { keysNow: 0, keysProjected: 0, costNow: 0, costProjected: 0 };
    // The key id stays; each rotation adds billed material until NATIVE_BILLED_ROTATIONS.
    const ageMs = (plan.keyAgeDays ?? 0) * DAY_MS;
    const rotationsNow = Math.floor(ageMs / managed.periodMs);
    const rotationsAtEnd = Math.floor((ageMs + PROJECTION_DAYS * DAY_MS) / managed.periodMs);
    const billed = (rotations: number) => copies * price * (1 + Math.min(rotations, NATIVE_BILLED_ROTATIONS));
    return { keysNow: copies, keysProjected: copies, costNow: billed(rotationsNow), costProjected: billed(rotationsAtEnd) };
  }

  // Times at which a billed key stopped being current, one per superseded generation still billed.
  const supersededAt: number[] = [];
  let currentBilled = plan.currentKeyId === undefined ? 0 : 1;
  const generations = await table.listGenerations(managed.region, managed.alias);
  for (const generation of generations) {
    if (generation.keyId === plan.currentKeyId) continue;
    if (!BILLED_STATES.has(await keyState(kms, generation.keyArn))) continue;
    supersededAt.push(generation.supersededAt ? Date.parse(generation.supersededAt) : now.getTime());
  }
  if (plan.currentKeyId === undefined && generations.length === 0) currentBilled = 0;

  const rotationsAhead: number[] = [];
  if (plan.dueAt !== undefined && plan.action !== 'paused' && plan.action !== 'blocked') {
    for (let at = Math.max(Date.parse(plan.dueAt), now.getTime()); at <= end; at += managed.periodMs) rotationsAhead.push(at);
  }

  // With deletion allowed, a superseded key stops being billed once its deletion is scheduled:
  // graceBeforeDisable plus disabledBeforeDeletion after it was superseded, if approved at once.
  const retention = managed.retire.allowDeletion ? managed.retire.graceBeforeDisableMs + managed.retire.disabledBeforeDeletionMs : Infinity;
  const billedAtEnd = [...supersededAt, ...rotationsAhead].filter((at) => end - at < retention).length;

  const keysNow = copies * (currentBilled + supersededAt.length);
  const keysProjected = copies * ((currentBilled > 0 || rotationsAhead.length > 0 ? 1 : 0) + billedAtEnd);
  return { keysNow, keysProjected, costNow: keysNow * price, costProjected: keysProjected * price };
}

async function keyState(kms: KMSClient, keyArn: string): Promise<string> {
  try {
    const output = await kms.send(new DescribeKeyCommand({ KeyId: keyArn }));
    return output.KeyMetadata?.KeyState ?? 'Unknown';
  } catch (error) {
    if (error instanceof NotFoundException) return 'Deleted';
    throw error;
  }
}
