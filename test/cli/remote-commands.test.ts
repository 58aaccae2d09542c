import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localRetirementDeps, startApprovalServer, type ApprovalServer, type LocalRetirementDeps } from '../../local/approval-server.js';
import { approverIdentity, defaultIdentities, operatorIdentity } from '../../local/identities.js';
import type { RetirementRequest } from '../../src/retirement/request.js';
import { ALIAS, retireConfig, ROTATED_AT, supersededKey } from '../retirement/support.js';
import { DAY_MS, startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { runCli } from './run-cli.js';
import { startSigV4Server } from './sigv4-server.js';

const REQUEST_ID = /^Filed request ([0-9a-f-]{36}): /;

let test: TestCloud;
let retirement: LocalRetirementDeps;
let api: ApprovalServer;
let lambda: Awaited<ReturnType<typeof startSigV4Server>>;
/** The key that the rotation at day 91 superseded, which the requests below retire. */
let oldKeyArn: string;
let oldKeyId: string;

beforeAll(async () => {
  test = await startTestCloud();
  const config = retireConfig();
  ({ oldKeyArn, oldKeyId } = await supersededKey(test, config));
  // Past the default quiet period of 30 days, so the approved request passes its checks.
  test.clock.set(ROTATED_AT + 31 * DAY_MS);
  retirement = localRetirementDeps(test.cloud, config);
  api = await startApprovalServer({ deps: retirement.deps, config });
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
}, 60_000);

afterAll(async () => {
  await Promise.all([api?.close(), lambda?.close()]);
  await retirement?.settled();
  await test?.close();
});

/** Options that point a `requests` command at the local approval API, with proofs signed for the emulator's STS. */
function apiArgs(): string[] {
  return ['--api', api.endpoint, '--endpoint', test.cloud.endpoints.kms];
}

/** Returns the request id from the output of `requests file`. */
function filedId(stdout: string): string {
  const id = REQUEST_ID.exec(stdout)?.[1];
  if (!id) throw new Error(`No request id in ${JSON.stringify(stdout)}`);
  return id;
}

describe('kms-rotator requests against the local approval API', () => {
  it('files, lists, rejects and approves', async () => {
    const expires = new Date(ROTATED_AT + 31 * DAY_MS + 72 * 3_600_000).toISOString();

    const filed = await runCli(['requests', 'file', oldKeyArn, '--action', 'disable', '--reason', 'superseded in 2027', ...apiArgs()], operatorIdentity);
    expect(filed.stderr).toBe('');
    expect(filed.code).toBe(0);
    const firstId = filedId(filed.stdout);
    expect(filed.stdout).toBe(`Filed request ${firstId}: disable ${oldKeyArn}; status open, expires ${expires}.\n`);

    const listed = await runCli(['requests', 'list', ...apiArgs()], operatorIdentity);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')).toEqual([
      expect.stringMatching(/^id +status +action +alias +key +requested by +created +expires +approvals$/),
      expect.stringMatching(new RegExp(`^${firstId} +open +disable +${ALIAS} +${oldKeyId} +${operatorIdentity.arn} +2027-05-03 +2027-05-06 +0/1$`)),
      '',
    ]);

    const rejected = await runCli(['requests', 'reject', firstId, '--reason', 'still in use', ...apiArgs()], approverIdentity);
    expect(rejected).toEqual({ code: 0, stderr: '', stdout: `Rejected request ${firstId}.\n` });

    const refiled = await runCli(['requests', 'file', oldKeyArn, '--action', 'disable', '--reason', 'the batch job moved', ...apiArgs()], operatorIdentity);
    expect(refiled.code).toBe(0);
    const secondId = filedId(refiled.stdout);

    const selfApproved = await runCli(['requests', 'approve', secondId, ...apiArgs()], operatorIdentity);
    expect(selfApproved.code).toBe(1);
    expect(selfApproved.stderr).toMatch(new RegExp(`^Error: The API returned HTTP 403 for POST /requests/${secondId}/approve: self-approval: `));

    const approved = await runCli(['requests', 'approve', secondId, ...apiArgs()], approverIdentity);
    expect(approved).toEqual({ code: 0, stderr: '', stdout: `Approved request ${secondId}; status executing.\n` });
    await retirement.settled();

    const done = await runCli(['requests', 'list', '--status', 'done', '--json', ...apiArgs()], operatorIdentity);
    expect(done.code).toBe(0);
    const requests = (JSON.parse(done.stdout) as { requests: RetirementRequest[] }).requests;
    expect(requests.map((request) => [request.id, request.status, request.requestedBy])).toEqual([[secondId, 'done', operatorIdentity.arn]]);
    expect(requests[0]?.approvals.map((approval) => approval.by)).toEqual([approverIdentity.arn]);

    const rejectedList = await runCli(['requests', 'list', '--status', 'rejected', '--json', ...apiArgs()], operatorIdentity);
    const rejectedRequests = (JSON.parse(rejectedList.stdout) as { requests: RetirementRequest[] }).requests;
    expect(rejectedRequests.map((request) => [request.id, request.decision?.by, request.decision?.reason])).toEqual([[firstId, approverIdentity.arn, 'still in use']]);
  }, 120_000);

  it('reports API errors, bad signatures and bad input', async () => {
    const forged = { ...operatorIdentity, secretAccessKey: 'not-the-secret' };
    const [forgedRun, notFound, notAllowed, badAction, badWindow, windowForDisable, badKey, badApi] = await Promise.all([
      runCli(['requests', 'list', ...apiArgs()], forged),
      runCli(['requests', 'approve', 'missing', ...apiArgs()], approverIdentity),
      runCli(['requests', 'file', oldKeyArn, '--action', 'delete', '--pending-window', '7', '--reason', 'x', ...apiArgs()], operatorIdentity),
      runCli(['requests', 'file', oldKeyArn, '--action', 'destroy', '--reason', 'x', ...apiArgs()], operatorIdentity),
      runCli(['requests', 'file', oldKeyArn, '--action', 'delete', '--pending-window', '3', '--reason', 'x', ...apiArgs()], operatorIdentity),
      runCli(['requests', 'file', oldKeyArn, '--action', 'disable', '--pending-window', '7', '--reason', 'x', ...apiArgs()], operatorIdentity),
      runCli(['requests', 'file', '1234abcd', '--action', 'disable', '--reason', 'x', ...apiArgs()], operatorIdentity),
      runCli(['requests', 'list', '--api', '127.0.0.1:1'], operatorIdentity),
    ]);

    expect(forgedRun.code).toBe(1);
    expect(forgedRun.stdout).toBe('');
    // API Gateway's AWS_IAM authorizer rejects a bad signature with 403 and a `message`, before the function runs.
    expect(forgedRun.stderr).toBe(
      'Error: The API returned HTTP 403 for GET /requests: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n',
    );
    expect(notFound).toEqual({ code: 1, stdout: '', stderr: 'Error: The API returned HTTP 404 for POST /requests/missing/approve: unknown-request: No retirement request missing in us-east-1.\n' });
    expect(notAllowed).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: The API returned HTTP 400 for POST /requests: deletion-not-allowed: Invalid action: alias/orders does not allow deletion (retire.allowDeletion is false in rotation.config.yml).\n',
    });
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
