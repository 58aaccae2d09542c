/** The rotation core run in this process, for --endpoint and for the read-only commands. */
import type { KMSClient } from '@aws-sdk/client-kms';
import { systemClock } from '../src/clock.js';
import { destroyClients, type AwsClients } from '../src/aws/clients.js';
import { ConfigError, type RotationConfig } from '../src/config/load.js';
import { loadConfigFile } from '../src/config/yaml.js';
import { DEFAULT_LEASE_DURATION_MS, type CoreLogger, type RotationDeps } from '../src/rotation/deps.js';
import { stsIdentityVerifier } from '../src/rotation/identity.js';
import { StateTable } from '../src/state/state-table.js';
import { clientsFor, type CliContext } from './context.js';
import { CliError, EXIT } from './errors.js';

/** Core dependencies with the clients they opened; call `close` when done. */
export interface CoreSession {
  deps: RotationDeps;
  close(): void;
}

/**
 * Builds what the rotate function gets in Lambda, signed with the caller's credentials and
 * pointed at the context's endpoints. Identity proofs are checked with the STS at --endpoint,
 * or the Regional STS endpoint without it.
 */
export function openCore(context: CliContext): CoreSession {
  const opened: AwsClients[] = [];
  const primary = clientsFor(context);
  opened.push(primary);
  const regional = new Map<string, KMSClient>();
  const kmsIn = (region: string): KMSClient => {
    let kms = regional.get(region);
    if (!kms) {
      const clients = clientsFor(context, region);
      opened.push(clients);
      kms = clients.kms;
      regional.set(region, kms);
    }
    return kms;
  };
  const deps: RotationDeps = {
    ...primary,
    kmsIn,
    table: new StateTable(primary.dynamodb, context.tableName),
    busName: context.busName,
    region: context.region,
    clock: context.at ? { now: () => new Date((context.at as Date).getTime()) } : systemClock,
    logger: stderrLogger,
    leaseDurationMs: DEFAULT_LEASE_DURATION_MS,
    identity: context.endpoint ? stsIdentityVerifier(`${context.endpoint}/`) : undefined,
  };
  return { deps, close: () => opened.forEach(destroyClients) };
}

/** Loads the rotation config, turning a ConfigError into a usage error that names the file. */
export function loadConfig(path: string): RotationConfig {
  try {
    return loadConfigFile(path);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`${error.message}\nFix the file or pass --config FILE.`, EXIT.usage, { cause: error });
    throw error;
  }
}

/** The core's warnings and errors go to stderr, one line each; its info and debug lines are dropped. */
const stderrLogger: CoreLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message: unknown, ...details: unknown[]) => writeLog('warning', message, details),
  error: (message: unknown, ...details: unknown[]) => writeLog('error', message, details),
} as CoreLogger;

function writeLog(level: string, message: unknown, details: unknown[]): void {
  const extra = details.length > 0 ? ` ${JSON.stringify(details.length === 1 ? details[0] : details)}` : '';
  process.stderr.write(`${level}: ${String(message)}${extra}\n`);
}
