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

export function loadEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  return {
    region: required(env, 'AWS_REGION'),
    tableName: required(env, 'KMS_ROTATOR_TABLE'),
    busName: required(env, 'KMS_ROTATOR_BUS'),
    configPath: env.KMS_ROTATOR_CONFIG || 'rotation.config.yml',
    stsEndpoint: env.AWS_ENDPOINT_URL_STS || defaultStsEndpoint(required(env, 'AWS_REGION')),
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is required`);
  return value;
}
