import { TagResourceCommand, type KeyMetadata } from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import type { AliasItem } from '../state/records.js';
import { toolTags } from '../tags.js';
import { readTags } from './create-successor.js';
import type { RotationDeps } from './deps.js';
import { successorTags } from './successor.js';

/**
 * Tags the key an alias targets as managed and records it as the alias's next generation. Runs the
 * first time the tool sees the alias, and when someone else moved the alias (KMS is followed, and
 * the difference is logged). Throws RotationBlockedError, before tagging, for a key whose user tags
 * leave no room for the tool's two.
 */
export async function adoptKey(deps: RotationDeps, managed: ManagedAlias, item: AliasItem, key: KeyMetadata, runId: string): Promise<void> {
  const { alias, region } = managed;
  if (item.currentKeyId) {
    deps.logger.warn('The alias targets a key the state table does not record as current; following KMS', {
      alias,
      region,
      recordedKeyId: item.currentKeyId,
      targetKeyId: key.KeyId,
    });
  }
  successorTags(alias, key, await readTags(deps.kms, key));
  await deps.kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: toolTags(alias) }));
  const generation = item.generation + 1;
  const createdAt = (key.CreationDate ?? deps.clock.now()).toISOString();
  await deps.table.recordAdoption(
    region,
    alias,
    runId,
    {
      alias,
      region,
      generation,
      keyId: key.KeyId as string,
      keyArn: key.Arn as string,
      state: 'current',
      source: 'adopted',
      recordedAt: deps.clock.now().toISOString(),
    },
    createdAt,
  );
  deps.logger.info('Adopted the key the alias targets', { alias, region, keyId: key.KeyId, generation });
}
