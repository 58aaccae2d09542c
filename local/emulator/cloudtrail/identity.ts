import type { LocalIdentity } from '../../identities.js';
import { getCallerIdentity } from '../sts/get-caller-identity.js';

/** The `userIdentity` element of a CloudTrail record of a call made by a local identity. */
export type CloudTrailUserIdentity = Record<string, unknown> & { type?: string; arn?: string; accountId: string };

const ASSUMED_ROLE = /^arn:([^:]+):sts::(\d{12}):assumed-role\/(.+)\/([^/]+)$/;
const IAM_USER = /^arn:[^:]+:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/;
const ROOT = /^arn:[^:]+:iam::\d{12}:root$/;

/**
 * Builds `userIdentity` as CloudTrail writes it for the identity types a local identity can be:
 * IAMUser, AssumedRole (with sessionContext and its role as sessionIssuer) and Root. principalId
 * is the caller's GetCallerIdentity UserId. `sessionCreated` is the session's creationDate.
 * Source: "CloudTrail userIdentity element" in the AWS CloudTrail User Guide.
 */
export function userIdentityOf(identity: LocalIdentity, sessionCreated: Date): CloudTrailUserIdentity {
  const principalId = getCallerIdentity(identity).UserId;
  const session = ASSUMED_ROLE.exec(identity.arn);
  if (session) {
    const [, partition = 'aws', accountId = identity.accountId, rolePath = ''] = session;
    const roleName = rolePath.split('/').at(-1) ?? rolePath;
    return {
      type: 'AssumedRole',
      principalId,
      arn: identity.arn,
      accountId: identity.accountId,
      accessKeyId: identity.accessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: principalId.split(':')[0],
          arn: `arn:${partition}:iam::${accountId}:role/${rolePath}`,
          accountId,
          userName: roleName,
        },
        attributes: { creationDate: formatEventTime(sessionCreated), mfaAuthenticated: 'false' },
      },
    };
  }
  if (ROOT.test(identity.arn)) {
    return { type: 'Root', principalId, arn: identity.arn, accountId: identity.accountId, accessKeyId: identity.accessKeyId };
  }
  const user = IAM_USER.exec(identity.arn);
  return {
    type: 'IAMUser',
    principalId,
    arn: identity.arn,
    accountId: identity.accountId,
    accessKeyId: identity.accessKeyId,
    ...(user ? { userName: user[1] } : {}),
  };
}

/**
 * Returns the name LookupEvents reports as Username: the user name of an IAM user, the session
 * name of an assumed role, `root` for the root user, and undefined for AWS service events.
 */
export function usernameOf(userIdentity: CloudTrailUserIdentity): string | undefined {
  if (userIdentity.type === 'IAMUser') return typeof userIdentity.userName === 'string' ? userIdentity.userName : undefined;
  if (userIdentity.type === 'Root') return 'root';
  if (userIdentity.type === 'AssumedRole') return ASSUMED_ROLE.exec(userIdentity.arn ?? '')?.[4];
  return undefined;
}

/** Formats a time as CloudTrail's eventTime: ISO 8601 in UTC, to the second. */
export function formatEventTime(time: Date | number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
