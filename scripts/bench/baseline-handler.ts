import { KMSClient } from '@aws-sdk/client-kms';

// The baseline of the bundle and cold-start figures: a function that loads the KMS client and
// does nothing else. The client is constructed so that esbuild cannot drop the import as unused.
const kms = new KMSClient({});

export async function handler(): Promise<{ ok: boolean }> {
  return { ok: kms !== undefined };
}
