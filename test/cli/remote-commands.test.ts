import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { verifyIdentityProof } from '../../src/identity/verify-proof.js';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { approverIdentity, defaultIdentities, operatorIdentity } from '../../local/identities.js';
import { runCli } from './run-cli.js';
import { startSigV4Server, type ReceivedRequest } from './sigv4-server.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const REQUEST = {
  id: 'req-0001',
  keyArn: KEY_ARN,
  keyId: '1234abcd-12ab-34cd-56ef-1234567890ab',
  alias: 'alias/cli-payments',
  action: 'disable',
  status: 'open',
  requestedBy: operatorIdentity.arn,
  createdAt: '2027-01-01T09:00:00.000Z',
  expiresAt: '2027-01-04T09:00:00.000Z',
  requiredApprovals: 1,
  approvals: [],
};

let cloud: LocalCloud;
let api: Awaited<ReturnType<typeof startSigV4Server>>;
let lambda: Awaited<ReturnType<typeof startSigV4Server>>;

beforeAll(async () => {
  cloud = await startLocalCloud({ clock: systemClock });
  api = await startSigV4Server('execute-api', defaultIdentities, (request) => {
    if (request.method === 'POST' && request.path === '/dev/requests') return { status: 201, body: { request: REQUEST } };
    if (request.method === 'GET' && request.path === '/dev/requests') return { status: 200, body: { requests: request.query.status === 'done' ? [] : [REQUEST] } };
    if (request.method === 'POST' && request.path === '/dev/requests/req-0001/approve') return { status: 202, body: { request: { ...REQUEST, status: 'executing' } } };
    if (request.method === 'POST' && request.path === '/dev/requests/req-0001/reject') return { status: 200, body: { request: { ...REQUEST, status: 'rejected' } } };
    if (request.path.startsWith('/dev/requests/missing')) return { status: 404, body: { error: { code: 'NotFound', message: 'No request missing' } } };
    return { status: 400, body: { error: { code: 'BadRequest', message: `unexpected ${request.method} ${request.path}` } } };
  });
  lambda = await startSigV4Server('lambda', defaultIdentities, (request) => {
    const event = JSON.parse(request.body) as { alias?: string };
    if (event.alias === 'alias/unknown') {
      return {
        status: 200,
        headers: { 'x-amz-function-error': 'Unhandled' },
        body: { errorType: 'InvalidRequestError', errorMessage: 'The alias alias/unknown is not managed in us-east-1' },
      };
    }
    return { status: 200, body: { alias: event.alias, region: 'us-east-1', outcome: 'rotated', currentKeyId: 'new-key', previousKeyId: 'old-key' } };
  });
}, 30_000);

afterAll(async () => {
  await Promise.all([cloud?.close(), api?.close(), lambda?.close()]);
});

/** Verifies the identity proof in a request body with the local cloud's STS and returns the caller's ARN. */
async function proofCaller(request: ReceivedRequest | undefined, verb: string, keyId?: string): Promise<string> {
  const body = JSON.parse(request?.body ?? '{}') as { requestId: string; identityProof: unknown };
  const caller = await verifyIdentityProof(body.identityProof, { requestId: body.requestId, verb, ...(keyId ? { keyId } : {}) }, { stsEndpoint: `${cloud.endpoints.kms}/` });
  return caller.arn;
}

describe('kms-rotator requests against a SigV4-checking API', () => {
  it('files, lists, approves and rejects', async () => {
    const apiArgs = ['--api', `${api.url}/dev`, '--endpoint', cloud.endpoints.kms];
    const [filed, listed, listedDone, approved, rejected] = await Promise.all([
      runCli(['requests', 'file', KEY_ARN, '--action', 'delete', '--pending-window', '7', '--reason', 'superseded in 2026', ...apiArgs], operatorIdentity),
      runCli(['requests', 'list', ...apiArgs], operatorIdentity),
      runCli(['requests', 'list', '--status', 'done', '--json', ...apiArgs], operatorIdentity),
      runCli(['requests', 'approve', 'req-0001', ...apiArgs], approverIdentity),
      runCli(['requests', 'reject', 'req-0001', '--reason', 'still in use', ...apiArgs], approverIdentity),
    ]);

    expect(filed).toEqual({ code: 0, stderr: '', stdout: `Filed request req-0001: delete ${KEY_ARN}; status open, expires 2027-01-04T09:00:00.000Z.\n` });
    expect(listed).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'id        status  action   alias               key                                   requested by                          created     expires     approvals',
        'req-0001  open    disable  alias/cli-payments  1234abcd-12ab-34cd-56ef-1234567890ab  arn:aws:iam::111122223333:user/alice  2027-01-01  2027-01-04  0/1',
        '',
      ].join('\n'),
    });
    expect(listedDone).toEqual({ code: 0, stderr: '', stdout: '{\n  "requests": []\n}\n' });
    expect(approved).toEqual({ code: 0, stderr: '', stdout: 'Approved request req-0001; status executing.\n' });
    expect(rejected).toEqual({ code: 0, stderr: '', stdout: 'Rejected request req-0001.\n' });

    const byPath = (method: string, path: string) => api.received.find((request) => request.method === method && request.path === path);
    const fileRequest = byPath('POST', '/dev/requests');
    expect(fileRequest?.signedBy).toBe(operatorIdentity.accessKeyId);
    expect(JSON.parse(fileRequest?.body ?? '{}')).toMatchObject({ keyArn: KEY_ARN, action: 'delete', reason: 'superseded in 2026', pendingWindowInDays: 7 });
    expect(await proofCaller(fileRequest, 'file-retirement:delete', KEY_ARN)).toBe(operatorIdentity.arn);
    expect(api.received.filter((request) => request.method === 'GET').map((request) => request.query)).toEqual(expect.arrayContaining([{}, { status: 'done' }]));
    expect(await proofCaller(byPath('POST', '/dev/requests/req-0001/approve'), 'approve-retirement:req-0001')).toBe(approverIdentity.arn);
    const rejectRequest = byPath('POST', '/dev/requests/req-0001/reject');
    expect(JSON.parse(rejectRequest?.body ?? '{}')).toMatchObject({ reason: 'still in use' });
    expect(await proofCaller(rejectRequest, 'reject-retirement:req-0001')).toBe(approverIdentity.arn);
  }, 60_000);

  it('reports API errors, bad signatures and bad input', async () => {
    const apiArgs = ['--api', `${api.url}/dev`];
    const forged = { ...operatorIdentity, secretAccessKey: 'not-the-secret' };
    const [forgedRun, notFound, badAction, badWindow, windowForDisable, badKey, badApi] = await Promise.all([
      runCli(['requests', 'list', ...apiArgs], forged),
      runCli(['requests', 'approve', 'missing', ...apiArgs], approverIdentity),
      runCli(['requests', 'file', KEY_ARN, '--action', 'destroy', '--reason', 'x', ...apiArgs], operatorIdentity),
      runCli(['requests', 'file', KEY_ARN, '--action', 'delete', '--pending-window', '3', '--reason', 'x', ...apiArgs], operatorIdentity),
      runCli(['requests', 'file', KEY_ARN, '--action', 'disable', '--pending-window', '7', '--reason', 'x', ...apiArgs], operatorIdentity),
      runCli(['requests', 'file', '1234abcd', '--action', 'disable', '--reason', 'x', ...apiArgs], operatorIdentity),
      runCli(['requests', 'list', '--api', '127.0.0.1:1'], operatorIdentity),
    ]);

    expect(forgedRun).toEqual({ code: 1, stdout: '', stderr: 'Error: The API answered GET /requests with HTTP 403: InvalidSignature: signature does not match\n' });
    expect(notFound).toEqual({ code: 1, stdout: '', stderr: 'Error: The API answered POST /requests/missing/approve with HTTP 404: NotFound: No request missing\n' });
    expect(badAction).toEqual({ code: 2, stdout: '', stderr: "error: option '--action <action>' argument 'destroy' is invalid. Allowed choices are disable, delete.\n(add --help for usage)\n" });
    expect(badWindow).toEqual({
      code: 2,
      stdout: '',
      stderr: "error: option '--pending-window <days>' argument '3' is invalid. must be a whole number of days from 7 to 30\n(add --help for usage)\n",
    });
    expect(windowForDisable).toEqual({ code: 2, stdout: '', stderr: 'Error: --pending-window applies to --action delete only\n' });
    expect(badKey).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: Invalid key "1234abcd": expected a key ARN such as arn:aws:kms:us-east-1:111122223333:key/1234abcd-…\n',
    });
    expect(badApi).toEqual({ code: 2, stdout: '', stderr: 'Error: Invalid --api "127.0.0.1:1": expected a URL such as http://127.0.0.1:4566\n' });
  }, 60_000);
});

describe('kms-rotator rotate against a fake Lambda Invoke endpoint', () => {
  it('invokes the rotate function with a proof', async () => {
    const env = { AWS_ENDPOINT_URL_LAMBDA: lambda.url };
    const [rotated, rejected] = await Promise.all([
      runCli(['rotate', 'alias/cli-payments', '--reason', 'incident 42', '--force', '--stage', 'prod', '--json'], operatorIdentity, env),
      runCli(['rotate', 'alias/unknown', '--reason', 'x', '--function', 'custom-rotate'], operatorIdentity, env),
    ]);

    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toEqual({ alias: 'alias/cli-payments', region: 'us-east-1', outcome: 'rotated', currentKeyId: 'new-key', previousKeyId: 'old-key' });
    expect(rejected).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: The function custom-rotate failed: InvalidRequestError: The alias alias/unknown is not managed in us-east-1\n',
    });

    const invoke = lambda.received.find((request) => request.path === '/2015-03-31/functions/kms-rotator-prod-rotate/invocations');
    expect(invoke?.signedBy).toBe(operatorIdentity.accessKeyId);
    expect(invoke?.headers['x-amz-invocation-type']).toBe('RequestResponse');
    const payload = JSON.parse(invoke?.body ?? '{}') as { requestId: string; identityProof: { url: string; headers: Record<string, string> } };
    expect(payload).toMatchObject({ alias: 'alias/cli-payments', reason: 'incident 42', force: true });
    expect(payload.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // Signed for the Regional STS endpoint, which the deployed function verifies with; bound to rotate+force.
    expect(payload.identityProof.url).toBe('https://sts.us-east-1.amazonaws.com/');
    expect(JSON.parse(payload.identityProof.headers['x-kms-rotator-action'] ?? '{}')).toEqual({ alias: 'alias/cli-payments', requestId: payload.requestId, verb: 'rotate+force' });
    expect(lambda.received.some((request) => request.path === '/2015-03-31/functions/custom-rotate/invocations')).toBe(true);
  }, 30_000);
});
