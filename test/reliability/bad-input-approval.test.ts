import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpApiResult } from '../../src/retirement/http.js';
import { handleApprovalInvoke } from '../../src/retirement/invoke.js';
import type { RetirementRequest } from '../../src/retirement/request.js';
import { approverIdentity, operatorIdentity } from '../../local/identities.js';
import { proofFor, startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { ApprovalClient, disabledKey, retireConfig, supersededKey } from '../retirement/support.js';
import { expand, loadCorpus, scanTable, sideEffectsSince, snapshot } from './bad-input-support.js';

/**
 * One input to the approval function: an HTTP API payload 2.0 request (`method`, `path`, and
 * `body` as JSON or `bodyText` as sent) or a direct invoke (`invoke`). In the corpus, `FRESH`
 * stands for a new request id, `SIGNED` for a valid identity proof bound to the route's action,
 * and `{REQUEST}`, `{OLD_KEY_ARN}` and the like for values known after setup.
 */
interface ApprovalCase {
  name: string;
  method?: string;
  path?: string;
  body?: unknown;
  bodyText?: string;
  invoke?: unknown;
  /** Expected HTTP status, error code and text the error message contains. */
  status?: number;
  code?: string;
  error?: string;
  /** Text of the error a direct invoke throws. */
  throws?: string;
  /** For an `{ execute }` invoke: `nothing` (no such request) or the status the request keeps. */
  returns?: 'nothing' | 'open';
  /**
   * The input passes the identity check, so the proof's request id is recorded as used before the
   * input is rejected: the table gains that one REQUEST# item and nothing else.
   */
  consumesRequestId?: boolean;
  /**
   * A known gap: the case changes nothing, but its error is not yet a clear one naming the field.
   * The expected values pin the current response; `npm run reliability` lists these open cases.
   */
  open?: string;
}

const CASES = loadCorpus<ApprovalCase>('approval');

describe('approval function bad input', () => {
  let test: TestCloud;
  let client: ApprovalClient;
  let values: Record<string, string>;

  beforeAll(async () => {
    test = await startTestCloud();
    client = new ApprovalClient(test, retireConfig(['allowDeletion: true']));
    const { oldKeyArn, oldKeyId, newKeyId } = await supersededKey(test, client.config);
    await disabledKey(client, oldKeyArn);
    const filed = await client.file(operatorIdentity, { keyArn: oldKeyArn, action: 'delete' });
    expect(filed.status).toBe(201);
    values = {
      REQUEST: (filed.body.request as RetirementRequest).id,
      OLD_KEY_ARN: oldKeyArn,
      OLD_KEY_ID: oldKeyId,
      NEW_KEY_ARN: oldKeyArn.replace(oldKeyId, newKeyId),
      OLD_KEY_ARN_OTHER_ACCOUNT: oldKeyArn.replace(':111122223333:', ':444455556666:'),
      OLD_KEY_ARN_OTHER_REGION: oldKeyArn.replace(':us-east-1:', ':eu-west-1:'),
    };
  }, 60_000);

  afterAll(async () => {
    await test.close();
  });

  /** Replaces `{NAME}` placeholders and `REPEAT:` strings everywhere in a corpus value. */
  function fill(value: unknown): unknown {
    const filled = JSON.parse(JSON.stringify(value ?? null).replace(/\{([A-Z_]+)\}/g, (match, name: string) => values[name] ?? match)) as unknown;
    return expand(filled);
  }

  /** Fills `FRESH` and `SIGNED` in a body, with a proof bound to the action that `path` performs. */
  async function signBody(method: string, path: string, body: unknown): Promise<unknown> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
    const fields = { ...(body as Record<string, unknown>) };
    if (fields.requestId === 'FRESH') fields.requestId = client.nextRequestId();
    if (fields.identityProof !== 'SIGNED') return fields;
    const [, , id, verb] = path.split('?')[0]?.split('/') ?? [];
    const binding =
      method === 'POST' && id === undefined
        ? { requestId: String(fields.requestId), verb: `file-retirement:${String(fields.action)}`, keyId: String(fields.keyArn) }
        : { requestId: String(fields.requestId), verb: `${verb}-retirement:${id}` };
    const signer = verb === undefined ? operatorIdentity : approverIdentity;
    try {
      fields.identityProof = await proofFor(test.cloud, signer, binding);
    } catch {
      // A binding field too long to sign; the body check rejects such a request before the proof.
      fields.identityProof = {};
    }
    return fields;
  }

  async function eventOf(entry: ApprovalCase): Promise<unknown> {
    if ('invoke' in entry) return fill(entry.invoke);
    const method = entry.method ?? 'GET';
    const path = fill(entry.path) as string;
    const [rawPath, rawQueryString = ''] = path.split('?') as [string, string?];
    let body: string | undefined = entry.bodyText;
    if (entry.body !== undefined) body = JSON.stringify(await signBody(method, path, fill(entry.body)));
    return { version: '2.0', routeKey: '$default', rawPath, rawQueryString, ...(body !== undefined ? { body } : {}), isBase64Encoded: false, requestContext: { http: { method } } };
  }

  it.each(CASES.map((entry) => [entry.name, entry] as const))('rejects %s', async (_name, entry) => {
    const event = await eventOf(entry);
    const before = await snapshot(test.cloud, test.operator.dynamodb);

    const outcome = await handleApprovalInvoke(client.deps, client.config, event).then(
      (result) => ({ result }),
      (error: unknown) => ({ error: error as Error }),
    );
    await client.local.settled();

    if (entry.throws !== undefined) {
      expect('error' in outcome ? outcome.error.message : 'returned').toContain(entry.throws);
    } else if (entry.returns !== undefined) {
      const result = 'result' in outcome ? (outcome.result as RetirementRequest | undefined) : undefined;
      expect('error' in outcome ? outcome.error.message : undefined).toBeUndefined();
      expect(result?.status ?? 'nothing').toBe(entry.returns);
    } else {
      const result = 'result' in outcome ? (outcome.result as HttpApiResult) : undefined;
      expect('error' in outcome ? outcome.error.message : undefined).toBeUndefined();
      const answer = JSON.parse(result?.body ?? '{}') as { error?: { code?: string; message?: string } };
      expect(result?.statusCode).toBe(entry.status);
      expect(answer.error?.code).toBe(entry.code);
      expect(answer.error?.message).toContain(entry.error);
      expect(answer.error?.message?.length).toBeLessThan(1000);
    }

    expect(sideEffectsSince(test.cloud, before)).toEqual([]);
    const itemsBefore = JSON.parse(before.table) as unknown[];
    const itemsAfter = JSON.parse(await scanTable(test.operator.dynamodb)) as unknown[];
    const added = itemsAfter.filter((item) => !before.table.includes(JSON.stringify(item)));
    const kept = itemsBefore.filter((item) => itemsAfter.some((after) => JSON.stringify(after) === JSON.stringify(item)));
    expect(kept.length).toBe(itemsBefore.length);
    if (entry.consumesRequestId) {
      expect(added.map((item) => (item as { pk: { S: string } }).pk.S)).toEqual([expect.stringMatching(/^REQUEST#client-/)]);
    } else {
      expect(added).toEqual([]);
    }
  });

  it('leaves the open request untouched', async () => {
    const request = await client.get(values.REQUEST as string);

    expect(request.status).toBe('open');
    expect(request.approvals).toEqual([]);
  });
});
