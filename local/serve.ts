/**
 * `npm run local-cloud`: serves the emulator (KMS, EventBridge, STS) and dynalite on 127.0.0.1
 * with the state table and bus created, and prints the environment that points the AWS SDK, and so
 * `npm run invoke`, at them. Runs until interrupted.
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../src/clock.js';
import { LOCAL_BUS_NAME, LOCAL_TABLE_NAME, startLocalCloud } from './cloud.js';
import { toolIdentity } from './identities.js';

const { values } = parseArgs({ options: { state: { type: 'string' } } });
const cloud = await startLocalCloud({ clock: systemClock, stateFile: values.state });

console.log(`Local cloud on 127.0.0.1 (Region ${cloud.region}). In another shell:

export AWS_REGION=${cloud.region}
export AWS_ACCESS_KEY_ID=${toolIdentity.accessKeyId} AWS_SECRET_ACCESS_KEY=${toolIdentity.secretAccessKey}
export AWS_ENDPOINT_URL_KMS=${cloud.endpoints.kms} AWS_ENDPOINT_URL_EVENTBRIDGE=${cloud.endpoints.events}
export AWS_ENDPOINT_URL_STS=${cloud.endpoints.kms} AWS_ENDPOINT_URL_DYNAMODB=${cloud.endpoints.dynamodb}
export KMS_ROTATOR_TABLE=${LOCAL_TABLE_NAME} KMS_ROTATOR_BUS=${LOCAL_BUS_NAME}

Press Ctrl+C to stop.`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cloud.close().then(() => process.exit(0));
  });
}
