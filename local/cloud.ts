import { Logger } from '@aws-lambda-powertools/logger';
import { CreateEventBusCommand, ResourceAlreadyExistsException } from '@aws-sdk/client-eventbridge';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { Clock } from '../src/clock.js';
import { createClients, destroyClients, type AwsClients } from '../src/aws/clients.js';
import { DEFAULT_LEASE_DURATION_MS, type CoreLogger, type RotationDeps } from '../src/rotation/deps.js';
import { stsIdentityVerifier } from '../src/rotation/identity.js';
import { StateTable } from '../src/state/state-table.js';
import { startEmulator, type Emulator } from './emulator/index.js';
import { LOCAL_REGION, toolIdentity, type LocalIdentity } from './identities.js';
import { ensureStateTable, startDynalite, type LocalDynamoDB } from './state-table.js';

export const LOCAL_TABLE_NAME = 'kms-rotator-local-state';
export const LOCAL_BUS_NAME = 'kms-rotator-local';

export interface LocalCloudOptions {
  clock: Clock;
  region?: string;
  /** Emulator state file; the state table is kept in the folder `<stateFile>.dynamodb` beside it. */
  stateFile?: string;
  /** Logger for the core; silent by default so that people read the runner's timeline. */
  logger?: CoreLogger;
}

/**
 * Changes to the rotate function's dependencies. `regions` sets the KMS client of a replica
 * Region, for example one with a middleware that injects a failure. Other Regions get a client
 * signed as the tool's role, and the emulator serves each from that Region's state.
 */
export type RotationDepsOverrides = Partial<RotationDeps> & { regions?: Record<string, KMSClient> };

/** The emulator and dynalite on 127.0.0.1, with the state table and the bus created. */
export interface LocalCloud {
  emulator: Emulator;
  dynamodb: LocalDynamoDB;
  region: string;
  endpoints: { kms: string; dynamodb: string; events: string };
  /** Clients signed as `identity`, the local `rotate` function's role by default. */
  clients(identity?: LocalIdentity): AwsClients;
  /** What the rotate function gets in Lambda, pointed at the local cloud. */
  rotationDeps(overrides?: RotationDepsOverrides): RotationDeps;
  close(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const region = options.region ?? LOCAL_REGION;
  const emulator = await startEmulator({ clock: options.clock, stateFile: options.stateFile });
  const dynamodb = await startDynalite({ path: options.stateFile ? `${options.stateFile}.dynamodb` : undefined });
  const endpoints = { kms: emulator.endpoint, dynamodb: dynamodb.endpoint, events: emulator.endpoint };
  const opened: AwsClients[] = [];

  const clients = (identity: LocalIdentity = toolIdentity): AwsClients => {
    const created = createClients({
      region,
      endpoints,
      credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
    });
    opened.push(created);
    return created;
  };

  const setup = clients();
  await ensureStateTable(setup.dynamodb, LOCAL_TABLE_NAME);
  try {
    await setup.eventbridge.send(new CreateEventBusCommand({ Name: LOCAL_BUS_NAME }));
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }

  const logger = options.logger ?? new Logger({ serviceName: 'kms-rotator', logLevel: 'SILENT' });
  // One tool client per replica Region, shared by every rotationDeps() and destroyed on close.
  const regionalKms = new Map<string, KMSClient>();
  const toolKmsIn = (kmsRegion: string): KMSClient => {
    let client = regionalKms.get(kmsRegion);
    if (!client) {
      const created = createClients({
        region: kmsRegion,
        endpoints,
        credentials: { accessKeyId: toolIdentity.accessKeyId, secretAccessKey: toolIdentity.secretAccessKey },
      });
      opened.push(created);
      client = created.kms;
      regionalKms.set(kmsRegion, client);
    }
    return client;
  };

  const rotationDeps = ({ regions = {}, ...overrides }: RotationDepsOverrides = {}): RotationDeps => ({
    ...setup,
    kmsIn: (kmsRegion) => regions[kmsRegion] ?? toolKmsIn(kmsRegion),
    table: new StateTable(setup.dynamodb, LOCAL_TABLE_NAME),
    busName: LOCAL_BUS_NAME,
    region,
    clock: options.clock,
    logger,
    leaseDurationMs: DEFAULT_LEASE_DURATION_MS,
    identity: stsIdentityVerifier(emulator.endpoint),
    ...overrides,
  });

  return {
    emulator,
    dynamodb,
    region,
    endpoints,
    clients,
    rotationDeps,
    close: async () => {
      opened.forEach(destroyClients);
      await Promise.all([emulator.close(), dynamodb.close()]);
    },
  };
}
