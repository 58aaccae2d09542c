import { vi } from 'vitest';
import { LOCAL_BUS_NAME, LOCAL_TABLE_NAME, type LocalCloud } from '../../local/cloud.js';
import { toolIdentity } from '../../local/identities.js';

/**
 * Stubs the environment a deployed function gets, pointed at the local cloud and signed as the
 * tool's role: Region, credentials, endpoints, table, bus and the JSON config at `configPath`.
 * `extra` adds or overrides variables. Undo with `vi.unstubAllEnvs()`.
 */
export function stubHandlerEnvironment(cloud: LocalCloud, configPath: string, extra: Record<string, string> = {}): void {
  const variables: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: toolIdentity.accessKeyId,
    AWS_SECRET_ACCESS_KEY: toolIdentity.secretAccessKey,
    AWS_SESSION_TOKEN: '',
    AWS_ENDPOINT_URL_KMS: cloud.endpoints.kms,
    AWS_ENDPOINT_URL_DYNAMODB: cloud.endpoints.dynamodb,
    AWS_ENDPOINT_URL_EVENTBRIDGE: cloud.endpoints.events,
    KMS_ROTATOR_TABLE: LOCAL_TABLE_NAME,
    KMS_ROTATOR_BUS: LOCAL_BUS_NAME,
    KMS_ROTATOR_CONFIG: configPath,
    ...extra,
  };
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
}
