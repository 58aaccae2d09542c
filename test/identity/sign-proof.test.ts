import { describe, expect, it } from 'vitest';

import { operatorIdentity } from '../../local/identities.js';
import { canonicalBinding, IdentityProofError } from '../../src/identity/proof.js';
import { createIdentityProof, defaultStsEndpoint } from '../../src/identity/sign-proof.js';

const credentials = { accessKeyId: operatorIdentity.accessKeyId, secretAccessKey: operatorIdentity.secretAccessKey };
const binding = { requestId: 'req-0001', verb: 'rotate', alias: 'alias/payments' };

describe('canonicalBinding', () => {
  it('orders keys and leaves out absent fields', () => {
    expect(canonicalBinding({ verb: 'rotate', requestId: 'r1', alias: 'alias/a' })).toBe('{"alias":"alias/a","requestId":"r1","verb":"rotate"}');
    expect(canonicalBinding({ keyId: 'k', verb: 'pause', requestId: 'r2' })).toBe('{"keyId":"k","requestId":"r2","verb":"pause"}');
  });

  it.each([
    [{ requestId: 'r', verb: 'rotate', alias: 'alias/with space' }, 'Invalid action binding: alias must be printable ASCII without spaces.'],
    [{ requestId: '', verb: 'rotate' }, 'Invalid action binding: requestId must have 1 to 128 characters, not 0.'],
    [{ requestId: 'r', verb: 'x'.repeat(65) }, 'Invalid action binding: verb must have 1 to 64 characters, not 65.'],
    [{ requestId: 'r', verb: 'rotate', keyId: 'clé' }, 'Invalid action binding: keyId must be printable ASCII without spaces.'],
    [{ requestId: 'r' }, 'Invalid action binding: verb is missing.'],
    [{ requestId: 7, verb: 'rotate' }, 'Invalid action binding: requestId must be a string.'],
  ])('rejects %j', (input, message) => {
    expect(() => canonicalBinding(input as never)).toThrow(new IdentityProofError(message));
  });
});

describe('defaultStsEndpoint', () => {
  it.each([
    ['us-east-1', 'https://sts.us-east-1.amazonaws.com/'],
    ['eu-west-1', 'https://sts.eu-west-1.amazonaws.com/'],
    ['us-gov-west-1', 'https://sts.us-gov-west-1.amazonaws.com/'],
    ['cn-north-1', 'https://sts.cn-north-1.amazonaws.com.cn/'],
    ['cn-northwest-1', 'https://sts.cn-northwest-1.amazonaws.com.cn/'],
  ])('%s uses %s', (region, endpoint) => {
    expect(defaultStsEndpoint(region)).toBe(endpoint);
  });

  it('rejects a name that is not a Region', () => {
    expect(() => defaultStsEndpoint('evil.example/')).toThrow('Invalid region "evil.example/": expected a Region name such as us-east-1.');
  });

  it('asks for an endpoint in isolated Regions', () => {
    expect(() => defaultStsEndpoint('us-iso-east-1')).toThrow('No default STS endpoint for the isolated Region us-iso-east-1: set stsEndpoint.');
  });
});

describe('createIdentityProof', () => {
  const signingDate = new Date(Date.UTC(2027, 0, 1, 9, 30, 0));

  it('signs GetCallerIdentity with the action header', async () => {
    const proof = await createIdentityProof({ credentials, region: 'eu-west-1', binding, signingDate });
    expect(proof.method).toBe('POST');
    expect(proof.url).toBe('https://sts.eu-west-1.amazonaws.com/');
    expect(proof.body).toBe('Action=GetCallerIdentity&Version=2011-06-15');
    expect(proof.headers.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(proof.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    expect(proof.headers['x-amz-date']).toBe('20270101T093000Z');
    expect(proof.headers['x-kms-rotator-action']).toBe('{"alias":"alias/payments","requestId":"req-0001","verb":"rotate"}');
    expect(proof.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIALOCALALICE000001\/20270101\/eu-west-1\/sts\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-kms-rotator-action, Signature=[0-9a-f]{64}$/,
    );
  });

  it('survives a JSON round trip', async () => {
    const proof = await createIdentityProof({ credentials, region: 'us-east-1', binding, signingDate });
    expect(JSON.parse(JSON.stringify(proof))).toEqual(proof);
  });

  it('signs the session token of temporary credentials', async () => {
    const provider = async () => ({ ...credentials, sessionToken: 'token-1' });
    const proof = await createIdentityProof({ credentials: provider, region: 'us-east-1', binding, signingDate });
    expect(proof.headers['x-amz-security-token']).toBe('token-1');
    expect(proof.headers.authorization).toContain('SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-kms-rotator-action,');
  });

  it('uses a given endpoint and its port', async () => {
    const proof = await createIdentityProof({ credentials, region: 'us-east-1', binding, stsEndpoint: 'http://127.0.0.1:4566', signingDate });
    expect(proof.url).toBe('http://127.0.0.1:4566/');
    expect(proof.headers.host).toBe('127.0.0.1:4566');
  });

  it('rejects an endpoint with a query string', async () => {
    await expect(createIdentityProof({ credentials, region: 'us-east-1', binding, stsEndpoint: 'https://sts.example/?a=1' })).rejects.toThrow(
      'Invalid stsEndpoint https://sts.example/?a=1: it must not have a query string or fragment.',
    );
  });
});
