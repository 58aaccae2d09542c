import { DescribeKeyCommand, ListAliasesCommand, NotFoundException, type KeyMetadata, type KMSClient } from '@aws-sdk/client-kms';

/** The alias does not exist in KMS in this account and Region. */
export class AliasNotFoundError extends Error {
  override readonly name = 'AliasNotFoundError';
}

/** Reads the key an alias targets, from KMS, which is the truth about aliases. */
export async function describeAliasTarget(kms: KMSClient, aliasName: string, region: string): Promise<KeyMetadata> {
  try {
    const output = await kms.send(new DescribeKeyCommand({ KeyId: aliasName }));
    if (!output.KeyMetadata?.KeyId) throw new Error(`DescribeKey returned no key metadata for ${aliasName}`);
    return output.KeyMetadata;
  } catch (error) {
    if (error instanceof NotFoundException) {
      throw new AliasNotFoundError(`The alias ${aliasName} does not exist in KMS in ${region}; create it or remove it from rotation.config.yml`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Returns the key id each alias of the account and Region targets, from ListAliases pages of 100.
 * One call covers up to 100 aliases, where DescribeKey would take one call each.
 */
export async function listAliasTargets(kms: KMSClient): Promise<Map<string, string>> {
  const targets = new Map<string, string>();
  let marker: string | undefined;
  do {
    const output = await kms.send(new ListAliasesCommand({ Limit: 100, Marker: marker }));
    for (const entry of output.Aliases ?? []) {
      if (entry.AliasName && entry.TargetKeyId) targets.set(entry.AliasName, entry.TargetKeyId);
    }
    marker = output.Truncated ? output.NextMarker : undefined;
  } while (marker);
  return targets;
}
