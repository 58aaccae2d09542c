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

/** One alias of a ListAliases page that targets a key. */
export interface AliasTarget {
  aliasName: string;
  targetKeyId: string;
}

/**
 * Yields the aliases of the account and Region page by page, from ListAliases pages of 100, the
 * API's maximum. The next page is requested only when the caller asks for it, so a caller that
 * stops early makes no further call. Aliases without a key are left out: AWS lists its predefined
 * aliases before they are associated with a key.
 */
export async function* listAliasPages(kms: KMSClient): AsyncGenerator<AliasTarget[]> {
  let marker: string | undefined;
  do {
    const output = await kms.send(new ListAliasesCommand({ Limit: 100, Marker: marker }));
    const page: AliasTarget[] = [];
    for (const entry of output.Aliases ?? []) {
      if (entry.AliasName && entry.TargetKeyId) page.push({ aliasName: entry.AliasName, targetKeyId: entry.TargetKeyId });
    }
    yield page;
    marker = output.Truncated ? output.NextMarker : undefined;
  } while (marker);
}
