import { createHash } from 'node:crypto';

import type { LocalIdentity } from '../../identities.js';

/** The GetCallerIdentity result, with STS's element names. */
export interface CallerIdentity {
  Arn: string;
  UserId: string;
  Account: string;
}

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Derives a stable IAM unique id from an ARN: the prefix, then 17 base32 characters of the ARN's
 * SHA-256, in the 21-character form of real ids such as `AIDAJQABLZS4A3QDU576Q`. Local identities
 * have no real unique id, so the emulator makes one up that never changes for the same ARN.
 */
function uniqueId(prefix: string, arn: string): string {
  const digest = createHash('sha256').update(arn).digest();
  let id = prefix;
  for (let index = 0; id.length < prefix.length + 17; index += 1) {
    id += BASE32_ALPHABET[(digest[index] ?? 0) % 32];
  }
  return id;
}

const ASSUMED_ROLE = /^arn:([^:]+):sts::(\d{12}):assumed-role\/(.+)\/([^/]+)$/;
const ROOT = /^arn:[^:]+:iam::(\d{12}):root$/;

/**
 * Returns the GetCallerIdentity result for a local identity. UserId follows STS: the account id for the
 * root user, `AROA…:<session name>` for an assumed-role session and `AIDA…` for an IAM user.
 */
export function getCallerIdentity(identity: LocalIdentity): CallerIdentity {
  const session = ASSUMED_ROLE.exec(identity.arn);
  let userId: string;
  if (session) {
    const [, partition, account, rolePath, sessionName] = session;
    userId = `${uniqueId('AROA', `arn:${partition}:iam::${account}:role/${rolePath}`)}:${sessionName}`;
  } else if (ROOT.test(identity.arn)) {
    userId = identity.accountId;
  } else {
    userId = uniqueId('AIDA', identity.arn);
  }
  return { Arn: identity.arn, UserId: userId, Account: identity.accountId };
}
