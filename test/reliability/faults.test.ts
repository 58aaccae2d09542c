import { CreateKeyCommand, DescribeKeyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { QuotaLimiter } from '../../local/emulator/faults/quotas.js';
import { operatorIdentity } from '../../local/identities.js';

describe('emulator fault injection', () => {
  let emulator: Emulator;
  const clients: KMSClient[] = [];

  afterEach(async () => {
    clients.splice(0).forEach((client) => client.destroy());
    await emulator.close();
  });

  function kms(maxAttempts = 1): KMSClient {
    const client = new KMSClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      maxAttempts,
      credentials: { accessKeyId: operatorIdentity.accessKeyId, secretAccessKey: operatorIdentity.secretAccessKey },
    });
    clients.push(client);
    return client;
  }

  async function errorNames(client: KMSClient, count: number): Promise<string[]> {
    const names: string[] = [];
    for (let index = 0; index < count; index += 1) {
      names.push(await client.send(new ListKeysCommand({})).then(() => 'ok', (error: Error) => error.name));
    }
    return names;
  }

  it('throttles the same calls for the same seed', async () => {
    emulator = await startEmulator({ faults: { seed: 42, rules: [{ kind: 'throttle', share: 0.5 }] } });
    const first = await errorNames(kms(), 40);
    emulator.setFaults({ seed: 42, rules: [{ kind: 'throttle', share: 0.5 }] });
    const second = await errorNames(kms(), 40);

    expect(second).toEqual(first);
    expect(first.filter((name) => name === 'ThrottlingException').length).toBeGreaterThan(8);
    expect(first.filter((name) => name === 'ok').length).toBeGreaterThan(8);
    expect(emulator.calls().find((call) => call.errorCode === 'ThrottlingException')?.errorMessage).toBe(
      'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.',
    );
  });

  it('fails only the nth call of an operation', async () => {
    emulator = await startEmulator({ faults: { rules: [{ kind: 'internal-error', operation: 'CreateKey', nth: 2 }] } });
    const client = kms();

    await client.send(new CreateKeyCommand({}));
    await expect(client.send(new CreateKeyCommand({}))).rejects.toMatchObject({ name: 'KMSInternalException', $metadata: { httpStatusCode: 500 } });
    await client.send(new CreateKeyCommand({}));

    expect((await client.send(new ListKeysCommand({}))).Keys).toHaveLength(2);
  });

  it('resets the connection without serving', async () => {
    emulator = await startEmulator({ faults: { rules: [{ kind: 'connection-reset', operation: 'CreateKey' }] } });
    const client = kms();

    await expect(client.send(new CreateKeyCommand({}))).rejects.toThrow();

    expect((await client.send(new ListKeysCommand({}))).Keys).toHaveLength(0);
    expect(emulator.calls()[0]).toMatchObject({ operation: 'CreateKey', injectedFault: 'connection-reset', errorCode: 'ConnectionReset' });
  });

  it('serves a call whose response is lost', async () => {
    emulator = await startEmulator({ faults: { rules: [{ kind: 'lost-response', operation: 'CreateKey' }] } });
    const client = kms();

    await expect(client.send(new CreateKeyCommand({}))).rejects.toThrow();

    expect((await client.send(new ListKeysCommand({}))).Keys).toHaveLength(1);
    expect(emulator.calls()[0]).toMatchObject({ operation: 'CreateKey', injectedFault: 'lost-response' });
    expect(emulator.calls()[0]?.errorCode).toBeUndefined();
  });

  it('enforces the CreateKey quota of 5 per second', async () => {
    emulator = await startEmulator({ faults: { quotas: { timeScale: 0.001 } } });
    const client = kms();

    const results = await Promise.all(Array.from({ length: 8 }, () => client.send(new CreateKeyCommand({})).then(() => 'ok', (error: Error) => error.name)));

    expect(results.filter((name) => name === 'ok')).toHaveLength(5);
    expect(results.filter((name) => name === 'ThrottlingException')).toHaveLength(3);
    expect(emulator.faultStats().overQuota).toBe(3);
    expect(await client.send(new DescribeKeyCommand({ KeyId: (await client.send(new ListKeysCommand({}))).Keys?.[0]?.KeyId })).then(() => 'ok')).toBe('ok');
  });

  it('adds latency on the virtual clock', async () => {
    const clock = new VirtualClock(Date.UTC(2027, 0, 1));
    emulator = await startEmulator({ clock, faults: { rules: [{ kind: 'latency', latencyMs: 60_000 }] } });
    const started = Date.now();

    await kms().send(new ListKeysCommand({}));

    expect(clock.now().toISOString()).toBe('2027-01-01T00:01:00.000Z');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects a share outside 0 to 1', async () => {
    emulator = await startEmulator();

    expect(() => emulator.setFaults({ rules: [{ kind: 'throttle', share: 2 }] })).toThrow('Invalid fault rule: share 2 must be between 0 and 1');
  });
});

describe('quota limiter', () => {
  it('keeps a fractional quota with a token bucket', () => {
    const limiter = new QuotaLimiter({ timeScale: 1, limits: { CreateKey: 2.5 } });
    const throttledAt = (realTimeMs: number) => limiter.exceeds('CreateKey', '111122223333', 'us-east-1', realTimeMs);

    // A full bucket contains 2.5 calls: two pass at once and the third is throttled.
    expect([throttledAt(0), throttledAt(0), throttledAt(0)]).toEqual([false, false, true]);
    // It refills 2.5 calls per second: 0.5 left plus 200 ms of refill make one call.
    expect(throttledAt(200)).toBe(false);
    // Calls 400 ms apart, the quota's own spacing, always pass; one 100 ms early does not.
    expect([throttledAt(600), throttledAt(1000), throttledAt(1400)]).toEqual([false, false, false]);
    expect(throttledAt(1700)).toBe(true);
    expect(throttledAt(1800)).toBe(false);
  });

  it('throttles every call of a quota of 0', () => {
    const limiter = new QuotaLimiter({ timeScale: 1, limits: { CreateKey: 0 } });

    expect(limiter.exceeds('CreateKey', '111122223333', 'us-east-1', 0)).toBe(true);
    expect(limiter.exceeds('DescribeKey', '111122223333', 'us-east-1', 0)).toBe(false);
  });
});
