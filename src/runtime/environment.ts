import { defaultStsEndpoint } from '../identity/sign-proof.js';

/** Settings a deployed function reads from its environment; nothing else in the code reads process.env. */
export interface Environment {
  region: string;
  tableName: string;
  busName: string;
  configPath: string;
  /** STS endpoint that identity proofs are checked with: AWS_ENDPOINT_URL_STS, else the Regional endpoint. */
  stsEndpoint: string;
}

/** Path of the JSON copy of rotation.config.yml that `serverless package` puts in each function's zip. */
export const DEPLOYED_CONFIG_PATH = '.kms-rotator/rotation.config.json';

export function loadEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  return {
    region: required(env, 'AWS_REGION'),
    tableName: required(env, 'KMS_ROTATOR_TABLE'),
    busName: required(env, 'KMS_ROTATOR_BUS'),
    configPath: env.KMS_ROTATOR_CONFIG || DEPLOYED_CONFIG_PATH,
    stsEndpoint: env.AWS_ENDPOINT_URL_STS || defaultStsEndpoint(required(env, 'AWS_REGION')),
  };
}

/**
 * Returns the deployment stage from `KMS_ROTATOR_STAGE`. The audit, retire and approval functions
 * need it to recognise the tool's own roles, `kms-rotator-<stage>-<region>-<function>`.
 */
export function loadStage(env: NodeJS.ProcessEnv = process.env): string {
  const stage = env.KMS_ROTATOR_STAGE;
  if (!stage) throw new Error('Environment variable KMS_ROTATOR_STAGE is required: the stage the stack was deployed with, such as prod');
  if (!/^[A-Za-z0-9-]+$/.test(stage)) throw new Error(`Environment variable KMS_ROTATOR_STAGE has the invalid value ${JSON.stringify(stage)}; use letters, digits and -`);
  return stage;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is required`);
  return value;
}
