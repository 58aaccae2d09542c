import { CreateKeyCommand, UpdateKeyDescriptionCommand } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { operatorIdentity } from '../../local/identities.js';
import { createClients, destroyClients, type AwsClients } from '../../src/aws/clients.js';

/** 25 calls per second of UpdateKeyDescription, the limit the emulator enforces below. */
const LIMIT_PER_SECOND = 25;
const CALLS = 40;

describe('KMS quota pacing', () => {
  let emulator: Emulator;
  let clients: AwsClients | undefined;

  afterEach(async () => {
    if (clients) destroyClients(clients);
    await emulator.close();
  });

  /**
   * Sends CALLS UpdateKeyDescription requests at once, each in a single attempt, and returns how
   * each ended. `timeScale` is the emulator's quota seconds per real second.
   */
  async function burst(quotaShare: number | undefined, timeScale = 1): Promise<{ results: string[]; elapsedMs: number }> {
    emulator = await startEmulator({ faults: { quotas: { timeScale, limits: { UpdateKeyDescription: LIMIT_PER_SECOND } } } });
    clients = createClients({
      region: 'us-east-1',
      endpoints: { kms: emulator.endpoint },
      credentials: { accessKeyId: operatorIdentity.accessKeyId, secretAccessKey: operatorIdentity.secretAccessKey },
      maxAttempts: 1,
      quotaShare,
    });
    const kms = clients.kms;
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: CALLS }, (_unused, index) =>
        kms.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: `call ${index}` })).then(
          () => 'ok',
          (error: Error) => error.name,
        ),
      ),
    );
    return { results, elapsedMs: performance.now() - started };
  }

  it('spaces each operation to its share of the quota', async () => {
    // UpdateKeyDescription's quota is 5 per second, so a share of 5 paces it to 25 per second.
    const { results, elapsedMs } = await burst(5);

    expect(results.filter((result) => result === 'ok')).toHaveLength(CALLS);
    expect(emulator.faultStats().overQuota).toBe(0);
    expect(elapsedMs).toBeGreaterThanOrEqual(((CALLS - 1) * 1000) / LIMIT_PER_SECOND - 5);
  });

  it('leaves clients without a share unpaced', async () => {
    // At a thousandth of real time the bucket does not refill during the burst: one second's calls pass.
    const { results } = await burst(undefined, 0.001);

    expect(results.filter((result) => result === 'ok')).toHaveLength(LIMIT_PER_SECOND);
    expect(results.filter((result) => result === 'ThrottlingException')).toHaveLength(CALLS - LIMIT_PER_SECOND);
  });
});
