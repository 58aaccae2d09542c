import { DescribeKeyCommand, NotFoundException, type KeyMetadata, type KMSClient } from '@aws-sdk/client-kms';

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
