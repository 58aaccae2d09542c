import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';

import { operatorIdentity, type LocalIdentity } from '../../local/identities.js';

export const REGION = 'us-east-1';

/** KMS client of `identity` aimed at the emulator; retries are off so error tests fail fast. */
export function kmsClient(endpoint: string, identity: LocalIdentity = operatorIdentity, region = REGION): KMSClient {
  return new KMSClient({
    endpoint,
    region,
    maxAttempts: 1,
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
  });
}

export function eventsClient(endpoint: string, identity: LocalIdentity = operatorIdentity, region = REGION): EventBridgeClient {
  return new EventBridgeClient({
    endpoint,
    region,
    maxAttempts: 1,
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
  });
}

/** Awaits a promise that must reject and returns its error, so a test can assert name and message separately. */
export async function rejection(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return { name: error.name, message: error.message };
    throw new Error(`Expected an Error, got ${String(error)}`);
  }
  throw new Error('Expected the request to fail, but it succeeded');
}

export const DAY_MS = 24 * 60 * 60 * 1000;
