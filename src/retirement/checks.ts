import type { ManagedAlias } from '../config/load.js';
import type { GenerationItem } from '../state/records.js';
import { keyTrailEvents } from './cloudtrail.js';
import { kmsOf, type RetirementDeps } from './deps.js';
import { blockedIn, foreignGrants, isAsymmetricEncryptionKey, isOwnToolPrincipal, readKeyFacts, usesIn, type KeyFacts } from './key-facts.js';
import type { CheckName, RetirementAction, RetirementRequest, UseEvidence } from './request.js';

/** A check that did not pass, with the evidence a person needs to act on it. */
export interface CheckFailure {
  check: CheckName;
  message: string;
  evidence?: UseEvidence[] | Record<string, unknown>[];
}

/** The key state each action expects before it runs. */
export const EXPECTED_STATE: Record<RetirementAction, string> = { disable: 'Enabled', delete: 'Disabled' };

/** Returns what each check proves, for people reading `Retirement Requested`. */
export function describeChecks(action: RetirementAction): Array<{ check: CheckName; description: string }> {
  const common: Array<{ check: CheckName; description: string }> = [
    { check: 'configured-alias', description: 'the alias is still in rotation.config.yml and the key is one of its superseded generations' },
    { check: 'alias-target', description: 'no alias in the key\'s Region targets the key' },
    { check: 'foreign-grant', description: 'no grant on the key is held by a principal other than kms-rotator\'s roles' },
    { check: 'key-state', description: `the key is ${EXPECTED_STATE[action]}` },
    { check: 'quiet-period', description: 'no successful use within the alias\'s quiet period, from GetKeyLastUsage and CloudTrail LookupEvents' },
  ];
  if (action === 'disable') return common;
  return [
    ...common,
    { check: 'deletion-allowed', description: 'the alias sets retire.allowDeletion' },
    { check: 'public-key-withdrawn', description: 'for an asymmetric encryption key, the alias sets retire.publicKeyWithdrawn' },
    { check: 'disabled-long-enough', description: 'the key has been disabled for retire.disabledBeforeDeletion' },
    { check: 'blocked-use', description: 'no call failed on the key because it was disabled, since it was disabled (CloudTrail and the audit function\'s marks)' },
  ];
}

/** Checks of the request that the alias config decides, without calling AWS. */
export function configFailure(managed: ManagedAlias | undefined, request: Pick<RetirementRequest, 'alias' | 'region' | 'action'>): CheckFailure | undefined {
  if (!managed) {
    return { check: 'configured-alias', message: `${request.alias} is no longer managed in ${request.region}; rotation.config.yml must list it for kms-rotator to retire its keys` };
  }
  if (request.action === 'delete' && !managed.retire.allowDeletion) {
    return { check: 'deletion-allowed', message: `${request.alias} does not allow deletion: set retire.allowDeletion to true in rotation.config.yml to delete its keys` };
  }
  return undefined;
}

/**
 * Runs the checks right before acting on one key in its own Region. Returns the first failure,
 * in the order of describeChecks, or undefined when every check passed.
 */
export async function checkKey(
  deps: RetirementDeps,
  managed: ManagedAlias,
  request: RetirementRequest,
  key: { region: string; keyArn: string },
  generation: GenerationItem,
): Promise<CheckFailure | undefined> {
  const facts = await readKeyFacts(deps, kmsOf(deps, key.region), key.region, key.keyArn);
  const now = deps.clock.now();
  const where = `${key.keyArn} in ${key.region}`;

  if (facts.aliases.length > 0) {
    return { check: 'alias-target', message: `${facts.aliases.join(', ')} targets ${where}; point it elsewhere before retiring the key`, evidence: facts.aliases.map((alias) => ({ alias, region: key.region })) };
  }
  const foreign = foreignGrants(deps, facts);
  if (foreign.length > 0) {
    const grantees = foreign.map((grant) => grant.GranteePrincipal).join(', ');
    return {
      check: 'foreign-grant',
      message: `${where} has ${foreign.length} grant(s) held by other principals (${grantees}); retire the grants first`,
      evidence: foreign.map((grant) => ({ grantId: grant.GrantId, granteePrincipal: grant.GranteePrincipal, operations: grant.Operations })),
    };
  }
  const state = facts.metadata.KeyState ?? 'unknown';
  if (state !== EXPECTED_STATE[request.action]) {
    return { check: 'key-state', message: `${where} is ${state}; a ${request.action} request expects it ${EXPECTED_STATE[request.action]}`, evidence: [{ keyState: state }] };
  }
  if (request.action === 'delete' && isAsymmetricEncryptionKey(facts.metadata) && !managed.retire.publicKeyWithdrawn) {
    return {
      check: 'public-key-withdrawn',
      message: `${where} is an asymmetric encryption key (${facts.metadata.KeySpec}) whose public key may encrypt outside KMS; set retire.publicKeyWithdrawn on ${managed.alias} once every holder of the public key stopped using it`,
    };
  }

  const quietSince = new Date(now.getTime() - managed.retire.quietPeriodMs);
  const disabledAt = generation.disabledAt ? new Date(generation.disabledAt) : undefined;
  const searchFrom = request.action === 'delete' && disabledAt && disabledAt < quietSince ? disabledAt : quietSince;
  const events = await keyTrailEvents(deps.cloudtrailIn(key.region), key.keyArn, searchFrom, now);

  const quietFailure = quietPeriodFailure(deps, facts, events, quietSince, managed, where);
  if (quietFailure) return quietFailure;
  if (request.action === 'disable') return undefined;

  if (!disabledAt) {
    return { check: 'disabled-long-enough', message: `kms-rotator has no record of when it disabled ${where}; file a disable request and approve it first` };
  }
  const deletableAt = disabledAt.getTime() + managed.retire.disabledBeforeDeletionMs;
  if (now.getTime() < deletableAt) {
    return {
      check: 'disabled-long-enough',
      message: `${where} was disabled at ${disabledAt.toISOString()}; retire.disabledBeforeDeletion allows its deletion from ${new Date(deletableAt).toISOString()}`,
    };
  }
  const blocked = [
    ...blockedIn(events.filter((event) => event.eventTime >= disabledAt)),
    ...(await deps.marks.listBlockedUses(key.keyArn, disabledAt)).map((use): UseEvidence => ({
      principal: use.principal,
      operation: use.operation,
      time: use.time,
      errorCode: use.errorCode,
      eventId: use.id,
      source: 'audit',
    })),
  ];
  if (blocked.length > 0) {
    const last = blocked[0] as UseEvidence;
    return {
      check: 'blocked-use',
      message: `${blocked.length} call(s) failed on ${where} because it is disabled, since ${disabledAt.toISOString()}; the latest: ${describeUse(last)}. Something still needs the key`,
      evidence: blocked,
    };
  }
  if (await deps.marks.hasUnclearedDeletionMark(key.keyArn)) {
    return { check: 'blocked-use', message: `The audit function marked ${where} after a use while it was pending deletion; a person must clear the mark before kms-rotator proposes its deletion again` };
  }
  return undefined;
}

function quietPeriodFailure(
  deps: RetirementDeps,
  facts: KeyFacts,
  events: Parameters<typeof usesIn>[1],
  quietSince: Date,
  managed: ManagedAlias,
  where: string,
): CheckFailure | undefined {
  const uses = usesIn(deps, events.filter((event) => event.eventTime >= quietSince), facts.keyArn.split(':')[4] ?? '');
  const last = facts.lastUsage;
  if (last.time && new Date(last.time) >= quietSince) {
    // CloudTrail names the caller; GetKeyLastUsage only gives the event id.
    const trailEvent = events.find((event) => event.eventId === last.cloudTrailEventId);
    if (!isOwnToolPrincipal(deps, trailEvent?.principal, facts.keyArn.split(':')[4] ?? '') && !uses.some((use) => use.eventId === last.cloudTrailEventId)) {
      uses.unshift({ principal: trailEvent?.principal, operation: last.operation ?? 'unknown', time: last.time, eventId: last.cloudTrailEventId, source: 'GetKeyLastUsage' });
    }
  }
  if (uses.length === 0) return undefined;
  const latest = uses[0] as UseEvidence;
  return {
    check: 'quiet-period',
    message: `${where} was used within the quiet period of ${formatDuration(managed.retire.quietPeriodMs)}: last use ${describeUse(latest)}`,
    evidence: uses,
  };
}

export function describeUse(use: UseEvidence): string {
  const error = use.errorCode ? ` failed with ${use.errorCode}` : '';
  return `${use.operation}${error} by ${use.principal ?? 'an unknown principal'} at ${use.time}`;
}

/** Formats a config duration as it is written there: whole days as `30d`, otherwise hours. */
export function formatDuration(ms: number): string {
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : `${ms / 3_600_000}h`;
}
