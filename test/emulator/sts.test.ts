import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../local/clock.js';
import { startEmulator, type Emulator } from '../../local/emulator/index.js';
import { defaultIdentities, LOCAL_ACCOUNT_ID, operatorIdentity, toolIdentity, type LocalIdentity } from '../../local/identities.js';
import { presignedUrl, signedFetch } from './signing.js';

const BODY = 'Action=GetCallerIdentity&Version=2011-06-15';
const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

function getCallerIdentity(endpoint: string, identity: LocalIdentity, body = BODY): Promise<Response> {
  return signedFetch(endpoint, { identity, service: 'sts', headers: FORM, body });
}

function element(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

describe('emulator STS', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startEmulator({ clock: new VirtualClock(Date.UTC(2027, 0, 1)) });
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('returns the XML of GetCallerIdentity', async () => {
    const response = await getCallerIdentity(emulator.endpoint, operatorIdentity);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/xml');
    const requestId = response.headers.get('x-amzn-requestid');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.text()).toBe(
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n' +
        '  <GetCallerIdentityResult>\n' +
        '    <Arn>arn:aws:iam::111122223333:user/alice</Arn>\n' +
        '    <UserId>AIDAXYDN7IBDLKQVIMBW5</UserId>\n' +
        '    <Account>111122223333</Account>\n' +
        '  </GetCallerIdentityResult>\n' +
        `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
        '</GetCallerIdentityResponse>\n',
    );
  });

  it.each(defaultIdentities.map((identity) => [identity.arn, identity] as const))('identifies %s', async (_arn, identity) => {
    const xml = await (await getCallerIdentity(emulator.endpoint, identity)).text();
    expect(element(xml, 'Arn')).toBe(identity.arn);
    expect(element(xml, 'Account')).toBe(identity.accountId);
    expect(element(xml, 'UserId')).toMatch(identity.arn.includes(':assumed-role/') ? /^AROA[A-Z2-7]{17}:[^:]+$/ : /^AIDA[A-Z2-7]{17}$/);
  });

  it('gives a role session its session name in UserId', async () => {
    const xml = await (await getCallerIdentity(emulator.endpoint, toolIdentity)).text();
    expect(element(xml, 'UserId')?.split(':')[1]).toBe('kms-rotator-local-us-east-1-rotate');
  });

  it('serves a presigned GET', async () => {
    const url = await presignedUrl(emulator.endpoint, {
      identity: operatorIdentity,
      service: 'sts',
      method: 'GET',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      expiresIn: 60,
    });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(element(await response.text(), 'Arn')).toBe(operatorIdentity.arn);
  });

  it('records the call as sts', async () => {
    await getCallerIdentity(emulator.endpoint, toolIdentity);
    const call = emulator.calls().findLast((recorded) => recorded.service === 'sts');
    expect(call?.operation).toBe('GetCallerIdentity');
    expect(call?.principalArn).toBe(toolIdentity.arn);
    expect(call?.accountId).toBe(LOCAL_ACCOUNT_ID);
    expect(call?.region).toBe('us-east-1');
    expect(call?.request).toEqual({ Action: 'GetCallerIdentity', Version: '2011-06-15' });
    expect(call?.time).toEqual(new Date(Date.UTC(2027, 0, 1)));
  });

  it('rejects a wrong secret as SignatureDoesNotMatch', async () => {
    const response = await getCallerIdentity(emulator.endpoint, { ...operatorIdentity, secretAccessKey: 'wrong' });
    expect(response.status).toBe(403);
    const xml = await response.text();
    expect(xml).toBe(
      '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n' +
        '  <Error>\n    <Type>Sender</Type>\n    <Code>SignatureDoesNotMatch</Code>\n' +
        '    <Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.</Message>\n' +
        '  </Error>\n' +
        `  <RequestId>${response.headers.get('x-amzn-requestid')}</RequestId>\n</ErrorResponse>\n`,
    );
  });

  it('rejects an unknown access key as InvalidClientTokenId', async () => {
    const response = await getCallerIdentity(emulator.endpoint, { ...operatorIdentity, accessKeyId: 'AKIAUNKNOWN000000003' });
    expect(response.status).toBe(403);
    const xml = await response.text();
    expect(element(xml, 'Code')).toBe('InvalidClientTokenId');
    expect(element(xml, 'Message')).toBe('The security token included in the request is invalid.');
  });

  it('rejects an unsigned request', async () => {
    const response = await fetch(emulator.endpoint, { method: 'POST', headers: FORM, body: BODY });
    expect(response.status).toBe(403);
    const xml = await response.text();
    expect(element(xml, 'Code')).toBe('MissingAuthenticationToken');
    expect(element(xml, 'Message')).toBe('Request is missing Authentication Token');
  });

  it('rejects an action it does not serve', async () => {
    const response = await getCallerIdentity(emulator.endpoint, operatorIdentity, 'Action=AssumeRole&Version=2011-06-15');
    expect(response.status).toBe(400);
    const xml = await response.text();
    expect(element(xml, 'Code')).toBe('InvalidAction');
    expect(element(xml, 'Message')).toBe('Could not find operation AssumeRole for version 2011-06-15');
  });

  it('rejects a missing Version', async () => {
    const response = await getCallerIdentity(emulator.endpoint, operatorIdentity, 'Action=GetCallerIdentity');
    const xml = await response.text();
    expect(element(xml, 'Code')).toBe('InvalidAction');
    expect(element(xml, 'Message')).toBe('Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED');
  });

  it('rejects an expired presigned GET', async () => {
    const url = await presignedUrl(emulator.endpoint, {
      identity: operatorIdentity,
      service: 'sts',
      method: 'GET',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      expiresIn: 1,
      signingDate: new Date(Date.now() - 60 * 1000),
    });
    const response = await fetch(url);
    expect(response.status).toBe(403);
    const xml = await response.text();
    expect(element(xml, 'Code')).toBe('SignatureDoesNotMatch');
    expect(element(xml, 'Message')).toBe('Request has expired');
  });
});
