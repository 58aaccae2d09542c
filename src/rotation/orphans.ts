import { DescribeKeyCommand, ListKeysCommand, ListResourceTagsCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { ManagedAlias } from '../config/load.js';
import type { StateTable } from '../state/state-table.js';
import { ALIAS_TAG } from '../tags.js';

/** A key that carries the tool's alias tag but that the state table does not know for that alias. */
export interface OrphanKey {
  keyId: string;
  keyArn: string;
  /** Value of the key's kms-rotator:alias tag. */
  taggedAlias: string;
  keyState?: string;
  createdAt?: string;
}

/**
 * Lists the keys of the Region whose `kms-rotator:alias` tag names a managed alias but which are
 * neither a recorded generation of it nor the successor of its rotation in flight: the key of a
 * CreateKey whose response was lost, or a key someone tagged by hand. Tags are labels, so such keys
 * are only reported, never adopted or promoted. Costs one ListResourceTags call per key of the
 * Region, so it runs on a dry run, which people ask for, and not on every sweep.
 */
export async function findOrphanKeys(kms: KMSClient, table: StateTable, region: string, managed: ManagedAlias[]): Promise<OrphanKey[]> {
  const aliases = new Set(managed.map((entry) => entry.alias));
  const known = new Map<string, Set<string>>();
  const knownOf = async (alias: string): Promise<Set<string>> => {
    let keys = known.get(alias);
    if (!keys) {
      const [generations, item] = await Promise.all([table.listGenerations(region, alias), table.getAlias(region, alias)]);
      keys = new Set(generations.map((generation) => generation.keyId));
      if (item?.rotation?.successorKeyId) keys.add(item.rotation.successorKeyId);
      known.set(alias, keys);
    }
    return keys;
  };

  const orphans: OrphanKey[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListKeysCommand({ Limit: 1000, Marker: marker }));
    for (const key of page.Keys ?? []) {
      if (!key.KeyId) continue;
      const tags = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId, Limit: 50 }));
      const taggedAlias = tags.Tags?.find((tag) => tag.TagKey === ALIAS_TAG)?.TagValue;
      if (!taggedAlias || !aliases.has(taggedAlias) || (await knownOf(taggedAlias)).has(key.KeyId)) continue;
      const metadata = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
      orphans.push({
        keyId: key.KeyId,
        keyArn: key.KeyArn ?? metadata?.Arn ?? key.KeyId,
        taggedAlias,
        keyState: metadata?.KeyState,
        createdAt: metadata?.CreationDate?.toISOString(),
      });
    }
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return orphans;
}
