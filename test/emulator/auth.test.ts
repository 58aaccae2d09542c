import { ListKeysCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { LOCAL_ACCOUNT_ID, operatorIdentity, type LocalIdentity } from '../../local/identities.js';
import { kmsClient, rejection } from './helpers.js';
import { presignedUrl, signHeaders } from './signing.js';

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

const LIST_KEYS = { identity: operatorIdentity, service: 'kms', headers: { 'x-amz-target': 'TrentService.ListKeys', 'content-type': 'application/x-amz-json-1.1' }, body: '{"Limit":1}' };

async function send(endpoint: string, headers: Record<string, string>, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(endpoint, { method: 'POST', headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('emulator signature checks', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    // A virtual clock years ahead of the real one: signatures are still dated against real time.
    emulator = await startEmulator({ clock: new VirtualClock(Date.UTC(2031, 5, 1)) });
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('accepts an SDK request on a virtual clock', async () => {
    const listed = await kmsClient(emulator.endpoint).send(new ListKeysCommand({}));
    expect(listed.Keys).toEqual([]);
  });

  it('accepts a raw signed request', async () => {
    const headers = await signHeaders(emulator.endpoint, LIST_KEYS);
    const reply = await send(emulator.endpoint, headers, LIST_KEYS.body);
    expect(reply.status).toBe(200);
    expect(reply.json.Keys).toEqual([]);
  });

  it('rejects a tampered signature', async () => {
    const headers = await signHeaders(emulator.endpoint, LIST_KEYS);
    const authorization = headers.authorization ?? '';
    const lastDigit = authorization.at(-1) === '0' ? '1' : '0';
    headers.authorization = `${authorization.slice(0, -1)}${lastDigit}`;

    const reply = await send(emulator.endpoint, headers, LIST_KEYS.body);
    expect(reply.status).toBe(400);
    expect(reply.json.__type).toBe('InvalidSignatureException');
    expect(reply.json.message).toBe(SIGNATURE_MISMATCH);
  });

  it('rejects a wrong secret through the SDK', async () => {
    const impostor: LocalIdentity = { ...operatorIdentity, secretAccessKey: 'not-alice-secret' };
    const error = await rejection(kmsClient(emulator.endpoint, impostor).send(new ListKeysCommand({})));
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.message).toBe(SIGNATURE_MISMATCH);
  });

  it('rejects a body changed after signing', async () => {
    const headers = await signHeaders(emulator.endpoint, LIST_KEYS);
    const reply = await send(emulator.endpoint, headers, '{"Limit":2}');
    expect(reply.json.__type).toBe('InvalidSignatureException');
    expect(reply.json.message).toBe(SIGNATURE_MISMATCH);
  });

  it('rejects a signed header changed after signing', async () => {
    const headers = await signHeaders(emulator.endpoint, LIST_KEYS);
    headers['x-amz-target'] = 'TrentService.ListAliases';
    const reply = await send(emulator.endpoint, headers, LIST_KEYS.body);
    expect(reply.json.__type).toBe('InvalidSignatureException');
    expect(reply.json.message).toBe(SIGNATURE_MISMATCH);
  });

  it('rejects an unknown access key', async () => {
    const stranger: LocalIdentity = { accessKeyId: 'AKIAUNKNOWN000000002', secretAccessKey: 'x', accountId: LOCAL_ACCOUNT_ID, arn: 'arn:aws:iam::111122223333:user/nobody' };
    const headers = await signHeaders(emulator.endpoint, { ...LIST_KEYS, identity: stranger });
    const reply = await send(emulator.endpoint, headers, LIST_KEYS.body);
    expect(reply.json.__type).toBe('UnrecognizedClientException');
    expect(reply.json.message).toBe('The security token included in the request is invalid.');
  });

  it('records a rejected call with its error', async () => {
    const headers = await signHeaders(emulator.endpoint, LIST_KEYS);
    await send(emulator.endpoint, headers, '{"Limit":3}');
    const call = emulator.calls().find((recorded) => recorded.operation === 'ListKeys' && recorded.errorCode !== undefined);
    expect(call?.errorCode).toBe('InvalidSignatureException');
    expect(call?.errorMessage).toBe(SIGNATURE_MISMATCH);
  });
});

describe('emulator request time checks', () => {
  // The emulator's signature clock reads 2027-01-01T12:00:00Z; requests are signed relative to it.
  const NOW = Date.UTC(2027, 0, 1, 12, 0, 0);
  const MINUTE = 60 * 1000;
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator({ signatureClock: { now: () => new Date(NOW) } });
  });

  afterAll(async () => {
    await emulator.close();
  });

  async function sendSignedAt(signedAt: number): Promise<Record<string, unknown>> {
    const headers = await signHeaders(emulator.endpoint, { ...LIST_KEYS, signingDate: new Date(signedAt) });
    return (await send(emulator.endpoint, headers, LIST_KEYS.body)).json;
  }

  it('accepts a request 14 minutes old', async () => {
    const json = await sendSignedAt(NOW - 14 * MINUTE);
    expect(json.Keys).toEqual([]);
  });

  it('rejects a request 16 minutes old', async () => {
    const json = await sendSignedAt(NOW - 16 * MINUTE);
    expect(json.__type).toBe('InvalidSignatureException');
    expect(json.message).toBe('Signature expired: 20270101T114400Z is now earlier than 20270101T114500Z (20270101T120000Z - 15 min.)');
  });

  it('rejects a request 16 minutes ahead', async () => {
    const json = await sendSignedAt(NOW + 16 * MINUTE);
    expect(json.__type).toBe('InvalidSignatureException');
    expect(json.message).toBe('Signature not yet current: 20270101T121600Z is still later than 20270101T121500Z (20270101T120000Z + 15 min.)');
  });

  // X-Amz-Target is left out of the presigned headers: presign would move it into the query
  // string, and the emulator reads the operation only from the header.
  async function fetchPresigned(signedAt: number, expiresIn: number): Promise<Record<string, unknown>> {
    const request = { ...LIST_KEYS, headers: { 'content-type': 'application/x-amz-json-1.1' }, expiresIn, signingDate: new Date(signedAt) };
    const url = await presignedUrl(emulator.endpoint, request);
    const response = await fetch(url, { method: 'POST', headers: { 'x-amz-target': 'TrentService.ListKeys', 'content-type': 'application/x-amz-json-1.1' }, body: LIST_KEYS.body });
    return (await response.json()) as Record<string, unknown>;
  }

  it('accepts a presigned request within X-Amz-Expires', async () => {
    const json = await fetchPresigned(NOW - 30 * 1000, 60);
    expect(json.Keys).toEqual([]);
  });

  it('rejects a presigned request past X-Amz-Expires', async () => {
    const json = await fetchPresigned(NOW - 2 * MINUTE, 60);
    expect(json.__type).toBe('InvalidSignatureException');
    expect(json.message).toBe('Request has expired');
  });

  it('rejects an unsigned X-Amz-Target', async () => {
    const body = JSON.stringify({ KeyId: 'alias/none' });
    const headers = await signHeaders(emulator.endpoint, {
      identity: operatorIdentity,
      service: 'kms',
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body,
    });

    const response = await fetch(`${emulator.endpoint}/`, { method: 'POST', headers: { ...headers, 'x-amz-target': 'TrentService.DisableKey' }, body });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'InvalidSignatureException',
      message: "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
    });
  });
});
