import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { paceKmsRequests } from '../rotation/pacer.js';

/** The AWS clients the core uses; everything it calls goes through these. */
export interface AwsClients {
  kms: KMSClient;
  /**
   * A KMS client that never retries, for CreateKey and RotateKeyOnDemand. They have no idempotency
   * token, so a retry after a lost response could create a second key or spend a second rotation.
   */
  kmsSingleAttempt: KMSClient;
  dynamodb: DynamoDBClient;
  eventbridge: EventBridgeClient;
}

export interface ClientOptions {
  region: string;
  /** Endpoint per service; absent means the SDK's own resolution (AWS, or AWS_ENDPOINT_URL_*). */
  endpoints?: { kms?: string; dynamodb?: string; events?: string };
  credentials?: KMSClientConfig['credentials'];
  /**
   * SDK attempts per call, first try included; 5 unless set (the SDK's default is 3). At a 50%
   * throttle, 5 attempts fail one call in 32 where 3 fail one in 8.
   */
  maxAttempts?: number;
  /**
   * Share of each KMS request quota that these clients may spend (settings.quotaShare). Absent
   * means no pacing, as the tests and the local cloud run.
   */
  quotaShare?: number;
}

/** Maximum wait for a response to one AWS request, and for a connection. */
const REQUEST_TIMEOUT_MS = 30_000;
const CONNECTION_TIMEOUT_MS = 5_000;

export function createClients(options: ClientOptions): AwsClients {
  // Without a timeout the SDK waits on a stalled connection until Lambda ends the run. A request
  // that times out is retried like any transient failure, and a CreateKey one is reported unknown.
  const requestHandler = { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: CONNECTION_TIMEOUT_MS };
  const common = { region: options.region, credentials: options.credentials, requestHandler };
  const maxAttempts = options.maxAttempts ?? 5;
  const kms = new KMSClient({ ...common, endpoint: options.endpoints?.kms, maxAttempts });
  const kmsSingleAttempt = new KMSClient({ ...common, endpoint: options.endpoints?.kms, maxAttempts: 1 });
  if (options.quotaShare !== undefined) paceKmsRequests([kms, kmsSingleAttempt], options.quotaShare);
  return {
    kms,
    kmsSingleAttempt,
    dynamodb: new DynamoDBClient({ ...common, endpoint: options.endpoints?.dynamodb, maxAttempts }),
    eventbridge: new EventBridgeClient({ ...common, endpoint: options.endpoints?.events, maxAttempts }),
  };
}

export function destroyClients(clients: AwsClients): void {
  clients.kms.destroy();
  clients.kmsSingleAttempt.destroy();
  clients.dynamodb.destroy();
  clients.eventbridge.destroy();
}

/** Returns a function that makes one client per Region on first use and then returns the same one. */
export function perRegion<T>(create: (region: string) => T): (region: string) => T {
  const made = new Map<string, T>();
  return (region) => {
    let client = made.get(region);
    if (!client) {
      client = create(region);
      made.set(region, client);
    }
    return client;
  };
}
