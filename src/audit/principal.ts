import type { UserIdentity } from './schemas.js';

/** `userIdentity.type` values that the CloudTrail User Guide documents. */
export const KNOWN_IDENTITY_TYPES = [
  'IAMUser',
  'AssumedRole',
  'Role',
  'FederatedUser',
  'Root',
  'AWSService',
  'AWSAccount',
  'IdentityCenterUser',
  'SAMLUser',
  'WebIdentityUser',
  'Directory',
] as const;

export type KnownIdentityType = (typeof KNOWN_IDENTITY_TYPES)[number];

/** Who made a call, reduced to what an auditor compares. */
export interface Principal {
  /** `userIdentity.type`; `none` when absent, as in events KMS records for its own actions. */
  type: string;
  /** False for a type this code does not know; the record keeps it and flags it. */
  knownType: boolean;
  /** ARN of the caller, or for a role session the session's ARN. */
  arn?: string;
  accountId?: string;
  /** A stable name to group a principal's events: ARN, role, Identity Center user, provider user or service. */
  id: string;
  /** ARN of the role behind an assumed-role or federated session. */
  issuerArn?: string;
  /** AWS service that made the call, from `invokedBy`. */
  invokedBy?: string;
  /** IAM Identity Center user id and identity store, for IdentityCenterUser and propagated sessions. */
  onBehalfOf?: { userId?: string; identityStoreArn?: string };
}

/** Maps a `userIdentity` element to a Principal; `fallbackAccount` is the event's account. */
export function toPrincipal(identity: UserIdentity, fallbackAccount: string): Principal {
  const type = identity.type ?? 'none';
  const principal: Principal = {
    type,
    knownType: identity.type === undefined || (KNOWN_IDENTITY_TYPES as readonly string[]).includes(type),
    accountId: identity.accountId ?? fallbackAccount,
    id: '',
  };
  if (identity.arn) principal.arn = identity.arn;
  if (identity.sessionContext?.sessionIssuer?.arn) principal.issuerArn = identity.sessionContext.sessionIssuer.arn;
  if (identity.invokedBy) principal.invokedBy = identity.invokedBy;
  if (identity.onBehalfOf) principal.onBehalfOf = { userId: identity.onBehalfOf.userId, identityStoreArn: identity.onBehalfOf.identityStoreArn };
  principal.id = principalId(identity, principal);
  return principal;
}

function principalId(identity: UserIdentity, principal: Principal): string {
  switch (identity.type) {
    case 'IdentityCenterUser':
      return `identity-center:${identity.onBehalfOf?.identityStoreArn ?? ''}/${identity.onBehalfOf?.userId ?? identity.userName ?? 'unknown'}`;
    case 'SAMLUser':
    case 'WebIdentityUser':
      return `${identity.type}:${identity.identityProvider ?? ''}/${identity.userName ?? identity.principalId ?? 'unknown'}`;
    case 'AWSService':
      return `service:${identity.invokedBy ?? 'unknown'}`;
    case 'AWSAccount':
      return `account:${identity.accountId ?? principal.accountId ?? 'unknown'}/${identity.principalId ?? ''}`;
    default:
      if (identity.arn) return identity.arn;
      if (identity.invokedBy) return `service:${identity.invokedBy}`;
      return `${principal.type}:${identity.principalId ?? principal.accountId ?? 'unknown'}`;
  }
}

/**
 * Returns the role name of an IAM role or a session of one: from the session issuer, or from an
 * `assumed-role/ROLE/SESSION` or `role/PATH/ROLE` ARN.
 */
export function roleNameOf(principal: Principal): string | undefined {
  const issuer = principal.issuerArn ? /:role\/(?:.*\/)?([^/]+)$/.exec(principal.issuerArn)?.[1] : undefined;
  if (issuer) return issuer;
  if (!principal.arn) return undefined;
  return /:assumed-role\/([^/]+)\//.exec(principal.arn)?.[1] ?? /:role\/(?:.*\/)?([^/]+)$/.exec(principal.arn)?.[1];
}

/**
 * Returns a test of whether a principal is one of this tool's roles. Every stack names its roles
 * `kms-rotator-<stage>-<region>-<function>`, so a role of the same stage in any Region counts.
 * Only principals of `accountId` count: a role of that name in another account is not the tool.
 */
export function toolRoleMatcher(stage: string): (principal: Principal, accountId: string) => boolean {
  const pattern = new RegExp(`^kms-rotator-${escapeRegExp(stage)}-[a-z]{2}(?:-[a-z]+)+-\\d{1,2}-[A-Za-z0-9]+$`);
  return (principal, accountId) => {
    if (principal.type !== 'AssumedRole' && principal.type !== 'Role') return false;
    if (principal.accountId !== accountId) return false;
    const role = roleNameOf(principal);
    return role !== undefined && pattern.test(role);
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
