import { partitionOf } from '../state.js';
import type { RequestContext } from '../types.js';

export function keyArn(context: Pick<RequestContext, 'region' | 'accountId'>, keyId: string): string {
  return `arn:${partitionOf(context.region)}:kms:${context.region}:${context.accountId}:key/${keyId}`;
}

export function aliasArn(context: Pick<RequestContext, 'region' | 'accountId'>, aliasName: string): string {
  return `arn:${partitionOf(context.region)}:kms:${context.region}:${context.accountId}:${aliasName}`;
}

/** Parts of a KMS ARN: `arn:PARTITION:kms:REGION:ACCOUNT:key/ID` or `...:alias/NAME`. */
export interface ParsedKmsArn {
  region: string;
  accountId: string;
  resourceType: 'key' | 'alias';
  /** Key id, or the alias name including its `alias/` prefix. */
  resource: string;
}

const KMS_ARN = /^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;

export function parseKmsArn(arn: string): ParsedKmsArn | undefined {
  const match = KMS_ARN.exec(arn);
  if (!match) return undefined;
  const [, , region, accountId, resourceType, rest] = match;
  if (!region || !accountId || !rest) return undefined;
  const type = resourceType === 'alias' ? 'alias' : 'key';
  return { region, accountId, resourceType: type, resource: type === 'alias' ? `alias/${rest}` : rest };
}
