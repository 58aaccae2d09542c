import {
  DescribeKeyCommand,
  GetKeyLastUsageCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  type GrantListEntry,
  type ListAliasesCommandOutput,
  type ListGrantsCommandOutput,
  type KeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { matchesPattern, principalOf } from '../identity/identity.js';
import { KEY_USE_OPERATIONS } from '../kms-operations.js';
import { describeAwsError } from '../rotation/errors.js';
import type { RetirementDeps, TrailEvent } from './deps.js';
import type { UseEvidence } from './request.js';


/** Error codes of a call that failed because the key was disabled or pending deletion. */
export const BLOCKED_ERROR_CODES = new Set(['DisabledException', 'KMSInvalidStateException']);

/** GetKeyLastUsage output, or the error that prevented reading it. */
export interface LastUsage {
  operation?: string;
  time?: string;
  cloudTrailEventId?: string;
  /** KMS records use only from this date; no record before it proves nothing. */
  trackingStartDate?: string;
  keyCreationDate?: string;
  error?: string;
}

/** The facts about one key in one Region that the checks and the `Retirement Requested` event use. */
export interface KeyFacts {
  region: string;
  keyArn: string;
  metadata: KeyMetadata;
  aliases: string[];
  grants: GrantListEntry[];
  lastUsage: LastUsage;
}

export function isToolPrincipal(deps: Pick<RetirementDeps, 'toolRolePatterns'>, arn: string | undefined): boolean {
  if (!arn) return false;
  const principal = principalOf(arn, []);
  return deps.toolRolePatterns.some((pattern) => matchesPattern(principal, pattern));
}

/**
 * True only for the tool's own roles in `accountId`: a role of the same name in another account,
 * or one whose path makes its ARN look alike, is someone else. Used where a wrong "yes" would let
 * a grant or a use go unseen, so `*` in the patterns does not span `/` here.
 */
export function isOwnToolPrincipal(deps: Pick<RetirementDeps, 'toolRolePatterns'>, arn: string | undefined, accountId: string): boolean {
  if (!arn) return false;
  const principal = principalOf(arn, []);
  const match = /^arn:aws[a-z-]*:iam::([0-9]{12}):role\/(.+)$/.exec(principal);
  if (!match || match[1] !== accountId) return false;
  const roleName = match[2] as string;
  return deps.toolRolePatterns.some((pattern) => {
    const rolePattern = pattern.slice(pattern.indexOf(':role/') + ':role/'.length);
    const expression = new RegExp(`^${rolePattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
    return expression.test(roleName);
  });
}

/** Returns the account of a KMS key ARN. */
function accountOf(keyArn: string): string {
  return keyArn.split(':')[4] ?? '';
}

/** Reads DescribeKey, ListAliases, ListGrants and GetKeyLastUsage of one key in its Region. */
export async function readKeyFacts(deps: RetirementDeps, kms: KMSClient, region: string, keyArn: string): Promise<KeyFacts> {
  const metadata = (await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata as KeyMetadata;

  const aliases: string[] = [];
  let marker: string | undefined;
  do {
    const aliasPage: ListAliasesCommandOutput = await kms.send(new ListAliasesCommand({ KeyId: keyArn, Marker: marker }));
    aliases.push(...(aliasPage.Aliases ?? []).map((alias) => alias.AliasName ?? ''));
    marker = aliasPage.Truncated ? aliasPage.NextMarker : undefined;
  } while (marker);

  const grants: GrantListEntry[] = [];
  marker = undefined;
  do {
    const grantPage: ListGrantsCommandOutput = await kms.send(new ListGrantsCommand({ KeyId: keyArn, Marker: marker }));
    grants.push(...(grantPage.Grants ?? []));
    marker = grantPage.Truncated ? grantPage.NextMarker : undefined;
  } while (marker);

  let lastUsage: LastUsage;
  try {
    const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: keyArn }));
    lastUsage = {
      operation: usage.KeyLastUsage?.Operation,
      time: usage.KeyLastUsage?.Timestamp?.toISOString(),
      cloudTrailEventId: usage.KeyLastUsage?.CloudTrailEventId,
      trackingStartDate: usage.TrackingStartDate?.toISOString(),
      keyCreationDate: usage.KeyCreationDate?.toISOString(),
    };
  } catch (error) {
    lastUsage = { error: describeAwsError(error) };
  }
  return { region, keyArn, metadata, aliases, grants, lastUsage };
}

/** Grants whose grantee is not one of the tool's roles. */
export function foreignGrants(deps: Pick<RetirementDeps, 'toolRolePatterns'>, facts: KeyFacts): GrantListEntry[] {
  return facts.grants.filter((grant) => !isOwnToolPrincipal(deps, grant.GranteePrincipal, accountOf(facts.keyArn)));
}

/** Successful uses by anyone but the tool's roles, newest first. */
export function usesIn(deps: Pick<RetirementDeps, 'toolRolePatterns'>, events: TrailEvent[], accountId: string): UseEvidence[] {
  return events
    .filter((event) => KEY_USE_OPERATIONS.has(event.eventName) && !event.errorCode && !isOwnToolPrincipal(deps, event.principal, accountId))
    .sort((a, b) => b.eventTime.getTime() - a.eventTime.getTime())
    .map((event) => ({ principal: event.principal, operation: event.eventName, time: event.eventTime.toISOString(), eventId: event.eventId, source: 'CloudTrail' as const }));
}

/** Calls that failed because the key was disabled or pending deletion, newest first. */
export function blockedIn(events: TrailEvent[]): UseEvidence[] {
  return events
    .filter((event) => event.errorCode !== undefined && BLOCKED_ERROR_CODES.has(event.errorCode))
    .sort((a, b) => b.eventTime.getTime() - a.eventTime.getTime())
    .map((event) => ({
      principal: event.principal,
      operation: event.eventName,
      time: event.eventTime.toISOString(),
      eventId: event.eventId,
      errorCode: event.errorCode,
      source: 'CloudTrail' as const,
    }));
}

/** True for an asymmetric key whose public key encrypts outside KMS, which KMS can never see. */
export function isAsymmetricEncryptionKey(metadata: KeyMetadata): boolean {
  return metadata.KeySpec !== 'SYMMETRIC_DEFAULT' && metadata.KeyUsage === 'ENCRYPT_DECRYPT';
}
