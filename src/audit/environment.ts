/**
 * Returns the deployment stage from `KMS_ROTATOR_STAGE`. The audit function needs it to recognise
 * the tool's own roles, `kms-rotator-<stage>-<region>-<function>`.
 */
export function auditStage(env: NodeJS.ProcessEnv): string {
  const stage = env.KMS_ROTATOR_STAGE;
  if (!stage) throw new Error('Environment variable KMS_ROTATOR_STAGE is required: the stage the stack was deployed with, such as prod');
  if (!/^[A-Za-z0-9-]+$/.test(stage)) throw new Error(`Environment variable KMS_ROTATOR_STAGE has the invalid value ${JSON.stringify(stage)}; use letters, digits and -`);
  return stage;
}
