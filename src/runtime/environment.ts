/** Settings a deployed function reads from its environment; nothing else in the code reads process.env. */
export interface Environment {
  region: string;
  tableName: string;
  busName: string;
  configPath: string;
}

export function loadEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  return {
    region: required(env, 'AWS_REGION'),
    tableName: required(env, 'KMS_ROTATOR_TABLE'),
    busName: required(env, 'KMS_ROTATOR_BUS'),
    configPath: env.KMS_ROTATOR_CONFIG || 'rotation.config.yml',
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is required`);
  return value;
}
