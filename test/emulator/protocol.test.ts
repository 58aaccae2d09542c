import { CreateKeyCommand, DescribeKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { toJson } from '../../local/emulator/protocol.js';
import { LOCAL_ACCOUNT_ID, operatorIdentity, type LocalIdentity } from '../../local/identities.js';
import { kmsClient, rejection } from './helpers.js';
import { signHeaders } from './signing.js';

const unknownIdentity: LocalIdentity = {
  accessKeyId: 'AKIAUNKNOWN000000001',
  secretAccessKey: 'unknown-secret',
  accountId: LOCAL_ACCOUNT_ID,
  arn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:user/nobody`,
};

async function post(endpoint: string, headers: Record<string, string>, body: string): Promise<{ status: number; json: Record<string, unknown>; errorType: string | null }> {
  const response = await fetch(endpoint, { method: 'POST', headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown>, errorType: response.headers.get('x-amzn-errortype') };
}

const signedHeader = `AWS4-HMAC-SHA256 Credential=${operatorIdentity.accessKeyId}/20270101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00`;

describe('emulator protocol', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator();
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('listens on 127.0.0.1', () => {
    expect(emulator.endpoint).toBe(`http://127.0.0.1:${emulator.port}`);
    expect(emulator.port).toBeGreaterThan(0);
  });

  it('rejects an unknown access key', async () => {
    const error = await rejection(kmsClient(emulator.endpoint, unknownIdentity).send(new ListKeysCommand({})));
    expect(error.name).toBe('UnrecognizedClientException');
    expect(error.message).toBe('The security token included in the request is invalid.');
  });

  it('rejects a missing Authorization header', async () => {
    const reply = await post(emulator.endpoint, { 'x-amz-target': 'TrentService.ListKeys', 'content-type': 'application/x-amz-json-1.1' }, '{}');
    expect(reply.status).toBe(400);
    expect(reply.json.__type).toBe('MissingAuthenticationTokenException');
    expect(reply.json.message).toBe('Missing Authentication Token');
    expect(reply.errorType).toBe('MissingAuthenticationTokenException');
  });

  it('names an unknown operation', async () => {
    const headers = await signHeaders(emulator.endpoint, { identity: operatorIdentity, service: 'kms', headers: { 'x-amz-target': 'TrentService.FlyToTheMoon' }, body: '{}' });
    const reply = await post(emulator.endpoint, headers, '{}');
    expect(reply.status).toBe(400);
    expect(reply.json.__type).toBe('UnknownOperationException');
    expect(reply.json.message).toBe('The operation TrentService.FlyToTheMoon is not supported.');
  });

  it('rejects unparseable JSON', async () => {
    const headers = await signHeaders(emulator.endpoint, { identity: operatorIdentity, service: 'kms', headers: { 'x-amz-target': 'TrentService.ListKeys' }, body: '{not json' });
    const reply = await post(emulator.endpoint, headers, '{not json');
    expect(reply.status).toBe(400);
    expect(reply.json.__type).toBe('SerializationException');
    expect(reply.json.message).toBe('The request body is not valid JSON.');
  });

  it('rejects a credential scoped to another service', async () => {
    const header = signedHeader.replace('/kms/', '/s3/');
    const reply = await post(emulator.endpoint, { 'x-amz-target': 'TrentService.ListKeys', authorization: header }, '{}');
    expect(reply.json.__type).toBe('InvalidSignatureException');
    expect(reply.json.message).toBe("Credential should be scoped to correct service: 'kms'.");
  });

  it('records successful and failed calls', async () => {
    const kms = kmsClient(emulator.endpoint);
    const created = await kms.send(new CreateKeyCommand({ Description: 'recorded' }));
    await rejection(kms.send(new DescribeKeyCommand({ KeyId: 'alias/missing' })));

    const calls = emulator.calls();
    const create = calls.find((call) => call.operation === 'CreateKey' && call.request.Description === 'recorded');
    expect(create).toBeDefined();
    expect(create?.service).toBe('kms');
    expect(create?.accountId).toBe(LOCAL_ACCOUNT_ID);
    expect(create?.region).toBe('us-east-1');
    expect(create?.principalArn).toBe(operatorIdentity.arn);
    expect(create?.errorCode).toBeUndefined();
    expect(created.KeyMetadata?.KeyId).toBeDefined();

    const failed = calls.find((call) => call.operation === 'DescribeKey' && call.request.KeyId === 'alias/missing');
    expect(failed?.errorCode).toBe('NotFoundException');
    expect(failed?.errorMessage).toBe(`Alias arn:aws:kms:us-east-1:${LOCAL_ACCOUNT_ID}:alias/missing is not found.`);
  });
});

describe('toJson', () => {
  it('writes dates as epoch seconds', () => {
    expect(toJson({ CreationDate: new Date(1_700_000_000_123), Dates: [new Date(0), new Date(Number.NaN)] })).toBe('{"CreationDate":1700000000.123,"Dates":[0,null]}');
  });

  it('writes blobs as base64', () => {
    const bytes = Buffer.from('ciphertext');
    // A view into a larger buffer: only its own bytes are written.
    const outer = Buffer.from('xxciphertextxx');
    const view = new Uint8Array(outer.buffer, outer.byteOffset + 2, 10);
    expect(toJson({ CiphertextBlob: bytes, Plaintext: new Uint8Array([1, 2, 255]), View: view })).toBe(
      '{"CiphertextBlob":"Y2lwaGVydGV4dA==","Plaintext":"AQL/","View":"Y2lwaGVydGV4dA=="}',
    );
  });

  it('matches JSON.stringify otherwise', () => {
    const value = {
      text: 'a"b',
      count: 3,
      flag: false,
      none: null,
      missing: undefined,
      run: () => 1,
      list: [1, undefined, 'x', { nested: true }],
      custom: { toJSON: (key: string) => ({ key, at: 'custom' }) },
      map: new Map([['k', 'v']]),
    };
    expect(toJson(value)).toBe(JSON.stringify(value));
    expect(toJson(value)).toBe('{"text":"a\\"b","count":3,"flag":false,"none":null,"list":[1,null,"x",{"nested":true}],"custom":{"key":"custom","at":"custom"},"map":{}}');
  });
});
