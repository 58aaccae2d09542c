import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { operatorIdentity } from '../../local/identities.js';
import { runCli } from './run-cli.js';

const CONFIG = `aliases:
  - alias: alias/cli-payments
    regions: [us-east-1]
    period: 90d
`;

let cloud: LocalCloud;
let kms: KMSClient;
let configPath: string;
let endpointArgs: string[];
let firstKeyId: string;

beforeAll(async () => {
  cloud = await startLocalCloud({ clock: systemClock });
  kms = cloud.clients(operatorIdentity).kms;
  const created = await kms.send(new CreateKeyCommand({ Description: 'cli test key' }));
  firstKeyId = created.KeyMetadata?.KeyId as string;
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/cli-payments', TargetKeyId: firstKeyId }));
  configPath = join(mkdtempSync(join(tmpdir(), 'kms-rotator-cli-')), 'rotation.config.yml');
  writeFileSync(configPath, CONFIG);
  endpointArgs = ['--config', configPath, '--endpoint', cloud.endpoints.kms, '--dynamodb-endpoint', cloud.endpoints.dynamodb];
}, 30_000);

afterAll(async () => {
  await cloud?.close();
});

const PLAN_HEADER =
  'alias               strategy  current key                           age (d)  period  due         sweep would  keys now  keys in 365d  USD/month now  USD/month in 365d  note';

describe('kms-rotator against the local cloud', () => {
  it('plan prints JSON and a table', async () => {
    const [json, table] = await Promise.all([runCli(['plan', '--json', ...endpointArgs], operatorIdentity), runCli(['plan', ...endpointArgs], operatorIdentity)]);

    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as { aliases: Array<Record<string, unknown>>; totals: Record<string, number>; pricing: Record<string, unknown> };
    expect(plan.aliases).toEqual([
      expect.objectContaining({ alias: 'alias/cli-payments', strategy: 'alias', period: '90d', currentKeyId: firstKeyId, keyAgeDays: 0, action: 'wait', keysNow: 1, keysProjected: 5, costNow: 1, costProjected: 5 }),
    ]);
    expect(plan.totals).toEqual({ keysNow: 1, keysProjected: 5, costNow: 1, costProjected: 5 });
    expect(plan.pricing).toMatchObject({ usdPerKeyMonth: 1, source: 'https://aws.amazon.com/kms/pricing/', projectionDays: 365 });

    expect(table.code).toBe(0);
    const dueDay = String(plan.aliases[0]?.dueAt).slice(0, 10);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^Plan for us-east-1 at \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(lines.slice(1)).toEqual([
      '',
      PLAN_HEADER,
      `alias/cli-payments  alias     ${firstKeyId}  0        90d     ${dueDay}  wait         1         5             $1.00          $5.00              -`,
      '',
      'Total: 1 keys, $1.00 per month now; about 5 keys, $5.00 per month in 365 days.',
      'Price: $1.00 per key per month (AWS KMS pricing, https://aws.amazon.com/kms/pricing/). Enabled and disabled keys are billed; keys pending deletion are not.',
      'The projection is an estimate: every due alias rotates when due, and where retire.allowDeletion is set, deletions are approved as soon as filed. Request charges are not included.',
      '',
    ]);
  }, 30_000);

  it('rotate, status, rollback, pause and resume in process', async () => {
    const rotated = await runCli(['rotate', 'alias/cli-payments', '--reason', 'suspected exposure', '--json', ...endpointArgs], operatorIdentity);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const outcome = JSON.parse(rotated.stdout) as { outcome: string; currentKeyId: string; previousKeyId: string };
    expect(outcome).toMatchObject({ alias: 'alias/cli-payments', region: 'us-east-1', outcome: 'rotated', previousKeyId: firstKeyId });
    const secondKeyId = outcome.currentKeyId;
    const target = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/cli-payments' }));
    expect(target.KeyMetadata?.KeyId).toBe(secondKeyId);
    // The core recorded the person that the identity proof named.
    const generations = await cloud.rotationDeps().table.listGenerations('us-east-1', 'alias/cli-payments');
    expect(generations.map((generation) => [generation.keyId, generation.state, generation.requestedBy])).toEqual([
      [firstKeyId, 'superseded', undefined],
      [secondKeyId, 'current', operatorIdentity.arn],
    ]);

    const status = await runCli(['status', 'alias/cli-payments', ...endpointArgs.slice(2)], operatorIdentity);
    expect(status.code).toBe(0);
    const [first, second] = generations;
    expect(status.stdout).toBe(
      [
        `alias/cli-payments in us-east-1: current key ${secondKeyId}`,
        '',
        'gen  key                                   source   current from              superseded                rolled back  disabled  deletion scheduled  state now  deletion date  reason',
        `1    ${firstKeyId}  adopted  ${first?.recordedAt}  ${first?.supersededAt}  -            -         -                   Enabled    -              -`,
        `2    ${secondKeyId}  rotated  ${second?.promotedAt}  -                         -            -         -                   Enabled    -              suspected exposure`,
        '',
      ].join('\n'),
    );

    const rolledBack = await runCli(['rollback', 'alias/cli-payments', '--reason', 'callers broke', ...endpointArgs], operatorIdentity);
    expect(rolledBack.stderr).toBe('');
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.stdout).toContain(`alias/cli-payments  us-east-1  rolled-back  ${firstKeyId}  ${secondKeyId}`);

    // A second manual rotation within settings.forceCooldown (1h) is turned down and exits 1.
    const rejectedRotation = await runCli(['rotate', 'alias/cli-payments', '--reason', 'try again', '--force', ...endpointArgs], operatorIdentity);
    expect(rejectedRotation.code).toBe(1);
    expect(rejectedRotation.stderr).toMatch(/^Error: rotate alias\/cli-payments ended with outcome rejected: A person rotated alias\/cli-payments at \S+; settings\.forceCooldown allows the next manual rotation at \S+\.\n$/);

    const resumed = await runCli(['resume', 'alias/cli-payments', '--json', ...endpointArgs], operatorIdentity);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toEqual({ alias: 'alias/cli-payments', region: 'us-east-1', outcome: 'resumed' });

    const pausedAll = await runCli(['pause', '--all', '--reason', 'change freeze', ...endpointArgs], operatorIdentity);
    expect(pausedAll.code).toBe(0);
    expect(pausedAll.stdout).toBe(
      'alias  region     outcome  current key  previous key  message\n*      us-east-1  paused   -            -             -\n',
    );
    expect(await cloud.rotationDeps().table.getGlobalPause('us-east-1')).toMatchObject({ reason: 'change freeze', by: operatorIdentity.arn });

    const resumedAll = await runCli(['resume', '--all', ...endpointArgs], operatorIdentity);
    expect(resumedAll.code).toBe(0);
    expect(await cloud.rotationDeps().table.getGlobalPause('us-east-1')).toBeUndefined();
  }, 60_000);

  it('rejects bad input with exit 2', async () => {
    const runs = await Promise.all([
      runCli(['rotate', 'alias/not-managed', '--reason', 'x', ...endpointArgs], operatorIdentity),
      runCli(['rotate', 'alias/cli-payments', ...endpointArgs], operatorIdentity),
      runCli(['rotate', 'alias/cli-payments', '--reason', '   ', ...endpointArgs], operatorIdentity),
      runCli(['plan', '--endpoint', 'not a url'], operatorIdentity),
      runCli(['plan', '--endpoint', 'ftp://127.0.0.1:1'], operatorIdentity),
      runCli(['pause', '--reason', 'x', ...endpointArgs], operatorIdentity),
      runCli(['status', 'payments', ...endpointArgs.slice(2)], operatorIdentity),
      runCli(['plan', '--config', '/nonexistent/rotation.config.yml', ...endpointArgs.slice(2)], operatorIdentity),
    ]);
    const [unknownAlias, missingReason, blankReason, badUrl, badScheme, pauseWithoutTarget, badAlias, missingConfig] = runs;

    expect(unknownAlias).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: The alias alias/not-managed is not managed in us-east-1: only aliases listed for this Region in rotation.config.yml can be rotated\n',
    });
    expect(missingReason?.code).toBe(2);
    expect(missingReason?.stderr).toBe("error: required option '--reason <text>' not specified\n(add --help for usage)\n");
    expect(blankReason).toEqual({ code: 2, stdout: '', stderr: 'Error: Invalid rotation request: --reason must say why\n' });
    expect(badUrl).toEqual({ code: 2, stdout: '', stderr: 'Error: Invalid --endpoint "not a url": expected a URL such as http://127.0.0.1:4566\n' });
    expect(badScheme).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: Invalid --endpoint "ftp://127.0.0.1:1": expected an http or https URL without query or fragment, such as http://127.0.0.1:4566\n',
    });
    expect(pauseWithoutTarget).toEqual({ code: 2, stdout: '', stderr: 'Error: Missing alias: name the alias to pause, or pass --all for every alias of the Region\n' });
    expect(badAlias).toEqual({ code: 2, stdout: '', stderr: 'Error: Invalid alias "payments": expected a name such as alias/payments\n' });
    expect(missingConfig?.code).toBe(2);
    expect(missingConfig?.stderr).toMatch(/^Error: Cannot read the rotation config \/nonexistent\/rotation\.config\.yml: ENOENT.*\nFix the file or pass --config FILE\.\n$/);
  }, 30_000);

  it('names where a virtual time came from when it cannot apply', async () => {
    const [fromEnvironment, fromOption, badTime] = await Promise.all([
      runCli(['plan'], operatorIdentity, { KMS_ROTATOR_AT: '2028-01-01T00:00:00.000Z' }),
      runCli(['plan', '--at', '2028-01-01T00:00:00Z'], operatorIdentity),
      runCli(['plan', '--at', 'tomorrow', ...endpointArgs], operatorIdentity),
    ]);

    expect(fromEnvironment).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: KMS_ROTATOR_AT is set to 2028-01-01T00:00:00.000Z, but a virtual time applies only with --endpoint: add --endpoint, or unset KMS_ROTATOR_AT\n',
    });
    expect(fromOption).toEqual({
      code: 2,
      stdout: '',
      stderr: 'Error: --at is set to 2028-01-01T00:00:00Z, but a virtual time applies only with --endpoint: add --endpoint, or leave out --at\n',
    });
    expect(badTime).toEqual({ code: 2, stdout: '', stderr: 'Error: Invalid --at "tomorrow": give an ISO 8601 time such as 2028-01-01T00:00:00Z\n' });
  }, 30_000);

  it('status of an unknown alias exits 1', async () => {
    const run = await runCli(['status', 'alias/never-seen', ...endpointArgs.slice(2)], operatorIdentity);

    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Error: No record of alias/never-seen in the state table kms-rotator-local-state in us-east-1: check the alias, --region and --stage, or wait for the first sweep to adopt it\n',
    });
  }, 30_000);
});
