import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { operatorIdentity } from '../../local/identities.js';
import { IdentityProofError, type ActionBinding, type IdentityProof } from '../../src/identity/proof.js';
import { createIdentityProof } from '../../src/identity/sign-proof.js';
import { verifyIdentityProof } from '../../src/identity/verify-proof.js';

const credentials = { accessKeyId: operatorIdentity.accessKeyId, secretAccessKey: operatorIdentity.secretAccessKey };
const binding: ActionBinding = { requestId: 'req-0001', verb: 'rotate', alias: 'alias/payments' };
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** Starts a local HTTP server that records the requests it receives, standing in for an attacker's STS. */
async function startRecordingServer(answer: boolean): Promise<{ server: Server; endpoint: string; received: string[] }> {
  const received: string[] = [];
  const server = createServer((request, response) => {
    received.push(`${request.method} ${request.url}`);
    if (!answer) return; // never responds, to exercise the timeout
    response.writeHead(200, { 'content-type': 'text/xml' });
    response.end(
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
        '<Arn>arn:aws:iam::111122223333:user/admin</Arn><UserId>AIDAFORGED00000000000</UserId><Account>111122223333</Account>' +
        '</GetCallerIdentityResult></GetCallerIdentityResponse>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, endpoint: `http://127.0.0.1:${port}/`, received };
}

async function rejectionMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(IdentityProofError);
    return (error as Error).message;
  }
  throw new Error('Expected the proof to be rejected, but it was accepted');
}

describe('verifyIdentityProof', () => {
  let emulator: Emulator;
  let attacker: Awaited<ReturnType<typeof startRecordingServer>>;
  let silent: Awaited<ReturnType<typeof startRecordingServer>>;
  let proof: IdentityProof;

  beforeAll(async () => {
    emulator = await startEmulator();
    attacker = await startRecordingServer(true);
    silent = await startRecordingServer(false);
    proof = await createIdentityProof({ credentials, region: 'us-east-1', binding, stsEndpoint: emulator.endpoint });
  });

  afterAll(async () => {
    await emulator.close();
    attacker.server.closeAllConnections();
    attacker.server.close();
    silent.server.closeAllConnections();
    silent.server.close();
  });

  it('returns the signer from STS', async () => {
    const caller = await verifyIdentityProof(proof, binding, { stsEndpoint: emulator.endpoint });
    expect(caller.arn).toBe('arn:aws:iam::111122223333:user/alice');
    expect(caller.account).toBe('111122223333');
    expect(caller.userId).toBe('AIDAXYDN7IBDLKQVIMBW5');
    const call = emulator.calls().findLast((recorded) => recorded.service === 'sts');
    expect(call?.principalArn).toBe(operatorIdentity.arn);
    expect(call?.errorCode).toBeUndefined();
  });

  it('accepts a proof that went through JSON', async () => {
    const caller = await verifyIdentityProof(JSON.parse(JSON.stringify(proof)), binding, { stsEndpoint: emulator.endpoint });
    expect(caller.arn).toBe(operatorIdentity.arn);
  });

  it.each([
    [{ ...binding, verb: 'rollback' }, 'The identity proof is for another action: its verb is "rotate", expected "rollback".'],
    [{ ...binding, alias: 'alias/other' }, 'The identity proof is for another action: its alias is "alias/payments", expected "alias/other".'],
    [{ ...binding, requestId: 'req-0002' }, 'The identity proof is for another action: its requestId is "req-0001", expected "req-0002".'],
    [{ ...binding, keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' }, 'The identity proof is for another action: its keyId is null, expected "1234abcd-12ab-34cd-56ef-1234567890ab".'],
  ])('rejects the proof for %j', async (expected, message) => {
    const before = emulator.calls().length;
    expect(await rejectionMessage(verifyIdentityProof(proof, expected, { stsEndpoint: emulator.endpoint }))).toBe(message);
    expect(emulator.calls().length).toBe(before);
  });

  it('passes an edited action header to STS, which rejects it', async () => {
    const edited = { ...binding, alias: 'alias/other' };
    const tampered = { ...proof, headers: { ...proof.headers, 'x-kms-rotator-action': '{"alias":"alias/other","requestId":"req-0001","verb":"rotate"}' } };
    const message = await rejectionMessage(verifyIdentityProof(tampered, edited, { stsEndpoint: emulator.endpoint }));
    expect(message).toBe(`STS rejected the identity proof: SignatureDoesNotMatch: ${SIGNATURE_MISMATCH}`);
    expect(emulator.calls().findLast((recorded) => recorded.service === 'sts')?.errorCode).toBe('SignatureDoesNotMatch');
  });

  it('sends the proof only to the configured endpoint', async () => {
    const redirected = { ...proof, url: attacker.endpoint };
    const caller = await verifyIdentityProof(redirected, binding, { stsEndpoint: emulator.endpoint });
    expect(caller.arn).toBe(operatorIdentity.arn);
    expect(attacker.received).toEqual([]);
  });

  it('rejects a proof signed for another host', async () => {
    const forAttacker = await createIdentityProof({ credentials, region: 'us-east-1', binding, stsEndpoint: attacker.endpoint });
    const message = await rejectionMessage(verifyIdentityProof(forAttacker, binding, { stsEndpoint: emulator.endpoint }));
    const attackerHost = new URL(attacker.endpoint).host;
    const emulatorHost = new URL(emulator.endpoint).host;
    expect(message).toBe(
      `The identity proof is signed for host "${attackerHost}", but this function verifies proofs with STS at ${emulatorHost}: sign the proof for ${emulator.endpoint}/.`,
    );
    expect(attacker.received).toEqual([]);
  });

  it('rejects a proof older than 15 minutes', async () => {
    const now = new Date(Date.UTC(2027, 0, 1, 12, 0, 0));
    const old = await createIdentityProof({ credentials, region: 'us-east-1', binding, stsEndpoint: emulator.endpoint, signingDate: new Date(Date.UTC(2027, 0, 1, 11, 44, 59)) });
    const message = await rejectionMessage(verifyIdentityProof(old, binding, { stsEndpoint: emulator.endpoint, clock: { now: () => now } }));
    expect(message).toBe('The identity proof expired: it was signed at 2027-01-01T11:44:59.000Z, more than 15 minutes before 2027-01-01T12:00:00.000Z. Sign a new one.');
  });

  it('lets STS reject a proof its own clock calls stale', async () => {
    const old = await createIdentityProof({ credentials, region: 'us-east-1', binding, stsEndpoint: emulator.endpoint, signingDate: new Date(Date.now() - 20 * 60 * 1000) });
    const lenientClock = { now: () => new Date(Date.now() - 20 * 60 * 1000) };
    const message = await rejectionMessage(verifyIdentityProof(old, binding, { stsEndpoint: emulator.endpoint, clock: lenientClock }));
    expect(message).toMatch(/^STS rejected the identity proof: SignatureDoesNotMatch: Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
  });

  it('times out a silent STS', async () => {
    const forSilent = await createIdentityProof({ credentials, region: 'us-east-1', binding, stsEndpoint: silent.endpoint });
    const message = await rejectionMessage(verifyIdentityProof(forSilent, binding, { stsEndpoint: silent.endpoint, timeoutMs: 200 }));
    expect(message).toBe(`STS at ${silent.endpoint} did not answer within 200 ms.`);
    expect(silent.received).toEqual(['POST /']);
  });

  it('uses the given fetch', async () => {
    const urls: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    };
    await verifyIdentityProof({ ...proof, url: 'https://example.invalid/' }, binding, { stsEndpoint: emulator.endpoint, fetch: recordingFetch });
    expect(urls).toEqual([`${emulator.endpoint}/`]);
  });

  describe('malformed proofs', () => {
    const withHeaders = (headers: Record<string, string>): unknown => ({ ...proof, headers });
    const without = (name: string): Record<string, string> => Object.fromEntries(Object.entries(proof.headers).filter(([key]) => key !== name));

    it.each<[string, () => unknown, string]>([
      ['a string', () => 'proof', 'Malformed identity proof: proof: Invalid input: expected object, received string.'],
      ['a GET', () => ({ ...proof, method: 'GET' }), 'Malformed identity proof: method: Invalid input: expected "POST".'],
      ['no headers', () => ({ method: 'POST', url: proof.url, body: proof.body }), 'Malformed identity proof: headers: Invalid input: expected record, received undefined.'],
      ['a number header', () => withHeaders({ ...proof.headers, 'x-extra': 5 as unknown as string }), 'Malformed identity proof: headers.x-extra: Invalid input: expected string, received number.'],
      ['an extra field', () => ({ ...proof, note: 'hi' }), 'Malformed identity proof: proof: Unrecognized key: "note".'],
      ['a long body', () => ({ ...proof, body: 'x'.repeat(1025) }), 'Malformed identity proof: body: Too big: expected string to have <=1024 characters.'],
      ['another body', () => ({ ...proof, body: 'Action=AssumeRole&Version=2011-06-15' }), 'The identity proof\'s body must be exactly Action=GetCallerIdentity&Version=2011-06-15, not "Action=AssumeRole&Version=2011-06-15".'],
      ['no authorization', () => withHeaders(without('authorization')), 'The identity proof has no authorization header.'],
      ['a garbled authorization', () => withHeaders({ ...proof.headers, authorization: 'AWS4-HMAC-SHA256 nonsense' }), 'Malformed identity proof: headers.authorization is not AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=<64 hex digits>.'],
      ['a kms credential', () => withHeaders({ ...proof.headers, authorization: (proof.headers.authorization ?? '').replace('/sts/', '/kms/') }), 'The identity proof\'s credential is scoped to service "kms"; it must be signed for sts.'],
      ['an unsigned action header', () => withHeaders({ ...proof.headers, authorization: (proof.headers.authorization ?? '').replace(';x-kms-rotator-action', '') }), 'The identity proof does not sign the x-kms-rotator-action header.'],
      ['an unsigned host', () => withHeaders({ ...proof.headers, authorization: (proof.headers.authorization ?? '').replace('host;', '') }), 'The identity proof does not sign the host header.'],
      ['a missing action header', () => withHeaders(without('x-kms-rotator-action')), 'The identity proof signs the x-kms-rotator-action header but does not contain it.'],
      ['an action header that is not JSON', () => withHeaders({ ...proof.headers, 'x-kms-rotator-action': 'rotate' }), 'The identity proof\'s x-kms-rotator-action header is not JSON.'],
      ['a header repeated in another case', () => withHeaders({ ...proof.headers, Host: 'evil.example' }), 'Malformed identity proof: headers.host appears more than once.'],
      ['a bad x-amz-date', () => withHeaders({ ...proof.headers, 'x-amz-date': 'yesterday' }), 'Malformed identity proof: headers.x-amz-date "yesterday" is not of the form YYYYMMDDTHHMMSSZ.'],
    ])('rejects %s', async (_case, build, message) => {
      expect(await rejectionMessage(verifyIdentityProof(build(), binding, { stsEndpoint: emulator.endpoint }))).toBe(message);
    });
  });
});
