/**
 * `npm run local-cloud [-- --state FILE]`: serves the emulator (KMS, EventBridge, STS, CloudTrail),
 * dynalite and the approval HTTP API on 127.0.0.1 with the state table and bus created, and prints
 * the environment that points the AWS SDK, `npm run invoke` and the CLI at them. Runs until
 * interrupted.
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../src/clock.js';
import { loadConfigFile } from '../src/config/yaml.js';
import { localRetirementDeps, startApprovalServer } from './approval-server.js';
import { LOCAL_BUS_NAME, LOCAL_TABLE_NAME, startLocalCloud } from './cloud.js';
import { VirtualClock } from './clock.js';
import { toolIdentity } from './identities.js';
import { lockStateFile, readRunnerState } from './runner-state.js';

const { values } = parseArgs({ options: { state: { type: 'string' } } });
// A state file from `npm start` carries on at the virtual time that run ended, so key ages match its timeline.
const saved = values.state ? readRunnerState(values.state) : undefined;
const clock = saved ? new VirtualClock(Date.parse(saved.clock)) : systemClock;
const unlock = values.state ? lockStateFile(values.state) : undefined;
const cloud = await startLocalCloud({ clock, stateFile: values.state });
const config = loadConfigFile(process.env.KMS_ROTATOR_CONFIG || 'rotation.config.yml');
const approvals = await startApprovalServer({ deps: localRetirementDeps(cloud, config).deps, config });

console.log(`Local cloud on 127.0.0.1 (Region ${cloud.region}), at ${clock.now().toISOString()}${saved ? ' (virtual time, frozen)' : ''}. In another shell:

export AWS_REGION=${cloud.region}
export AWS_ACCESS_KEY_ID=${toolIdentity.accessKeyId} AWS_SECRET_ACCESS_KEY=${toolIdentity.secretAccessKey}
export AWS_ENDPOINT_URL_KMS=${cloud.endpoints.kms} AWS_ENDPOINT_URL_EVENTBRIDGE=${cloud.endpoints.events}
export AWS_ENDPOINT_URL_STS=${cloud.endpoints.kms} AWS_ENDPOINT_URL_CLOUDTRAIL=${cloud.endpoints.kms} AWS_ENDPOINT_URL_DYNAMODB=${cloud.endpoints.dynamodb}
export KMS_ROTATOR_TABLE=${LOCAL_TABLE_NAME} KMS_ROTATOR_BUS=${LOCAL_BUS_NAME} KMS_ROTATOR_API=${approvals.endpoint}${saved ? `\nexport KMS_ROTATOR_AT=${clock.now().toISOString()}` : ''}

Press Ctrl+C to stop.`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([approvals.close(), cloud.close()]).then(() => {
      unlock?.();
      process.exit(0);
    });
  });
}
