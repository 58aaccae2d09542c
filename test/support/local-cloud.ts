import {
  CreateAliasCommand,
  CreateKeyCommand,
  type CreateKeyCommandInput,
  type KeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { AwsClients } from '../../src/aws/clients.js';
import { VirtualClock } from '../../local/clock.js';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { operatorIdentity, type LocalIdentity } from '../../local/identities.js';
import type { ActionBinding, IdentityProof } from '../../src/identity/proof.js';
import { createIdentityProof } from '../../src/identity/sign-proof.js';

export const START = Date.UTC(2027, 0, 1);
export const DAY_MS = 86_400_000;

/** A local cloud on a virtual clock, with clients signed as the operator who owns the keys. */
export interface TestCloud {
  cloud: LocalCloud;
  clock: VirtualClock;
  operator: AwsClients;
  close(): Promise<void>;
}

export async function startTestCloud(): Promise<TestCloud> {
  const clock = new VirtualClock(START);
  const cloud = await startLocalCloud({ clock });
  return { cloud, clock, operator: cloud.clients(operatorIdentity), close: () => cloud.close() };
}

/** Creates a key and an alias on it, as a team would before putting the alias under management. */
export async function createAliasedKey(kms: KMSClient, alias: string, input: CreateKeyCommandInput = {}): Promise<KeyMetadata> {
  const created = await kms.send(new CreateKeyCommand({ Description: `key behind ${alias}`, ...input }));
  const key = created.KeyMetadata as KeyMetadata;
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyId }));
  return key;
}

/** Counts the calls the emulator served for one operation, failed ones included. */
export function countCalls(cloud: LocalCloud, operation: string): number {
  return cloud.emulator.calls().filter((call) => call.operation === operation).length;
}

/** Signs an identity proof for `binding` as `identity`, for the emulator's STS. */
export async function proofFor(cloud: LocalCloud, identity: LocalIdentity, binding: ActionBinding): Promise<IdentityProof> {
  return createIdentityProof({
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
    region: cloud.region,
    binding,
    stsEndpoint: cloud.endpoints.kms,
  });
}
