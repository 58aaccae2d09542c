import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApprovalServer, type ApprovalServer } from '../../local/approval-server.js';
import { operatorIdentity } from '../../local/identities.js';
import { runCli, type CliRun } from '../cli/run-cli.js';
import { startTestCloud, type TestCloud } from '../support/local-cloud.js';
import { ApprovalClient, retireConfig, supersededKey } from '../retirement/support.js';
import { loadCorpus, scanTable, sideEffectsSince, snapshot } from './bad-input-support.js';

/**
 * One command line of the kms-rotator CLI, run as a child process signed as the operator. `{KMS}`,
 * `{DYNAMODB}` and `{API}` are the local cloud's endpoints and approval server, so that a vector
 * the CLI failed to reject would reach them and show up in the checks. `group` batches vectors
 * into one test, because each child process costs about a second.
 */
interface CliCase {
  name: string;
  group: 'person' | 'read' | 'requests' | 'api';
  args: string[];
  exit: number;
  stderr: string;
  /** The API checks the identity proof, recording its request id, before it rejects the key ARN. */
  consumesRequestId?: boolean;
}

const CASES = loadCorpus<CliCase>('cli');
/** Child processes run at once; each compiles the CLI with tsx first. */
const PARALLEL = 4;

describe('CLI bad input', () => {
  let test: TestCloud;
  let server: ApprovalServer;
  let values: Record<string, string>;

  beforeAll(async () => {
    test = await startTestCloud();
    const client = new ApprovalClient(test, retireConfig());
    server = await startApprovalServer({ deps: client.deps, config: client.config });
    const { oldKeyArn } = await supersededKey(test, client.config);
    values = {
      KMS: test.cloud.endpoints.kms,
      DYNAMODB: test.cloud.endpoints.dynamodb,
      API: server.endpoint,
      KEY_ARN: oldKeyArn,
      KEY_ARN_OTHER_ACCOUNT: oldKeyArn.replace(':111122223333:', ':444455556666:'),
    };
  }, 60_000);

  afterAll(async () => {
    await server.close();
    await test.close();
  });

  async function runAll(cases: CliCase[]): Promise<CliRun[]> {
    const runs: CliRun[] = new Array(cases.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const index = next;
        next += 1;
        const args = (cases[index] as CliCase).args.map((arg) => arg.replace(/\{([A-Z_]+)\}/g, (match, name: string) => values[name] ?? match));
        runs[index] = await runCli(args, operatorIdentity);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    return runs;
  }

  it.each(['person', 'read', 'requests', 'api'] as const)('rejects the %s vectors', async (group) => {
    const cases = CASES.filter((entry) => entry.group === group);
    const before = await snapshot(test.cloud, test.operator.dynamodb);

    const runs = await runAll(cases);

    for (const [index, entry] of cases.entries()) {
      const run = runs[index] as CliRun;
      expect(run.code, `${entry.name}: exit code; stderr ${run.stderr}`).toBe(entry.exit);
      expect(run.stderr, `${entry.name}: stderr`).toContain(entry.stderr);
      expect(run.stdout, `${entry.name}: stdout`).toBe('');
    }
    expect(sideEffectsSince(test.cloud, before)).toEqual([]);
    const itemsBefore = JSON.parse(before.table) as unknown[];
    const itemsAfter = JSON.parse(await scanTable(test.operator.dynamodb)) as Array<{ pk: { S: string } }>;
    const added = itemsAfter.filter((item) => !before.table.includes(JSON.stringify(item)));
    expect(itemsAfter.length - added.length).toBe(itemsBefore.length);
    const consumed = cases.filter((entry) => entry.consumesRequestId).length;
    expect(added.map((item) => item.pk.S)).toEqual(Array.from({ length: consumed }, () => expect.stringMatching(/^REQUEST#/)));
  }, 120_000);
});
