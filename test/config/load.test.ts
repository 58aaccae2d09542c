import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { aliasesInRegion, loadDeployedConfig } from '../../src/config/load.js';
import { configDocumentFromYaml, loadConfigFile, parseConfig } from '../../src/config/yaml.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function aliasEntry(fields: string): string {
  return `aliases:\n  - alias: alias/payments\n${fields}`;
}

describe('parseConfig', () => {
  it('applies defaults and expands Regions', () => {
    const config = parseConfig(aliasEntry('    regions: [us-east-1, eu-west-1]\n    period: 36h\n'));

    const retire = {
      graceBeforeDisableMs: 30 * DAY_MS,
      quietPeriodMs: 30 * DAY_MS,
      disabledBeforeDeletionMs: 30 * DAY_MS,
      allowDeletion: false,
      pendingWindowInDays: 30,
      publicKeyWithdrawn: false,
      approvers: [],
      requiredApprovals: 1,
    };
    const common = { alias: 'alias/payments', strategy: 'alias', period: '36h', periodMs: 36 * HOUR_MS, multiRegion: false, replicaRegions: [], retire };
    expect(config).toEqual({
      sweepSchedule: 'rate(1 hour)',
      retireSchedule: 'rate(1 day)',
      maxRotationsPerRun: 20,
      forceCooldownMs: HOUR_MS,
      dueSoonNoticeMs: 7 * DAY_MS,
      requestExpiryMs: 72 * HOUR_MS,
      requestReminderMs: 24 * HOUR_MS,
      quotaShare: 0.5,
      cancelDeletionOnUse: true,
      approvers: [],
      pinnedSessionRoles: [],
      audit: { repeatWindow: '5m', rules: {} },
      aliases: [
        { ...common, region: 'us-east-1' },
        { ...common, region: 'eu-west-1' },
      ],
    });
    expect(aliasesInRegion(config, 'eu-west-1').map((entry) => entry.region)).toEqual(['eu-west-1']);
  });

  it('reads every alias field', () => {
    const config = parseConfig(
      [
        'settings:',
        '  approvers: ["arn:aws:iam::111122223333:role/KeyAdmins"]',
        'aliases:',
        '  - alias: alias/signing',
        '    regions: [us-east-1, eu-west-1]',
        '    period: 180d',
        '    multiRegion: true',
        '    overlap: 48h',
        '    retire:',
        '      graceBeforeDisable: 10d',
        '      quietPeriod: 90d',
        '      disabledBeforeDeletion: 60d',
        '      allowDeletion: true',
        '      pendingWindow: 7d',
        '      publicKeyWithdrawn: true',
        '      approvers: ["arn:aws:iam::111122223333:user/carol"]',
        '      requiredApprovals: 2',
        '',
      ].join('\n'),
    );

    expect(config.aliases).toEqual([
      {
        alias: 'alias/signing',
        region: 'us-east-1',
        strategy: 'alias',
        period: '180d',
        periodMs: 180 * DAY_MS,
        multiRegion: true,
        replicaRegions: ['eu-west-1'],
        overlapMs: 48 * HOUR_MS,
        retire: {
          graceBeforeDisableMs: 10 * DAY_MS,
          quietPeriodMs: 90 * DAY_MS,
          disabledBeforeDeletionMs: 60 * DAY_MS,
          allowDeletion: true,
          pendingWindowInDays: 7,
          publicKeyWithdrawn: true,
          approvers: ['arn:aws:iam::111122223333:role/KeyAdmins', 'arn:aws:iam::111122223333:user/carol'],
          requiredApprovals: 2,
        },
      },
    ]);
  });

  it('accepts a native alias', () => {
    const config = parseConfig(aliasEntry('    regions: [us-east-1]\n    period: 365d\n    strategy: native\n'));

    expect(config.aliases[0]?.strategy).toBe('native');
    expect(config.aliases[0]?.periodMs).toBe(365 * DAY_MS);
  });

  it.each([
    ['a malformed period', aliasEntry('    regions: [us-east-1]\n    period: 9x\n'), 'alias alias/payments: field period: value "9x" must be a whole number followed by h or d, such as 30d'],
    ['a period in weeks', aliasEntry('    regions: [us-east-1]\n    period: 2w\n'), 'alias alias/payments: field period: value "2w" must be a whole number followed by h or d, such as 30d'],
    ['a period in minutes', aliasEntry('    regions: [us-east-1]\n    period: 1440m\n'), 'alias alias/payments: field period: value "1440m" must be a whole number followed by h or d, such as 30d'],
    ['a period under a day', aliasEntry('    regions: [us-east-1]\n    period: 23h\n'), 'alias alias/payments: field period: value "23h" must be at least 1d (24h) for the alias strategy'],
    ['a zero period', aliasEntry('    regions: [us-east-1]\n    period: 0d\n'), 'alias alias/payments: field period: value "0d" must be at least 1d (24h) for the alias strategy'],
    ['a native period under 90 days', aliasEntry('    regions: [us-east-1]\n    period: 89d\n    strategy: native\n'), 'alias alias/payments: field period: value "89d" must be whole days from 90d to 2560d for the native strategy, as KMS allows'],
    ['a native period over 2560 days', aliasEntry('    regions: [us-east-1]\n    period: 2561d\n    strategy: native\n'), 'alias alias/payments: field period: value "2561d" must be whole days from 90d to 2560d for the native strategy, as KMS allows'],
    ['a native period in hours', aliasEntry('    regions: [us-east-1]\n    period: 2201h\n    strategy: native\n'), 'alias alias/payments: field period: value "2201h" must be whole days from 90d to 2560d for the native strategy, as KMS allows'],
    ['an unknown strategy', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    strategy: manual\n'), 'alias alias/payments: field strategy: value "manual" must be one of "alias", "native"'],
    ['a native multi-Region alias', aliasEntry('    regions: [us-east-1, eu-west-1]\n    period: 90d\n    strategy: native\n    multiRegion: true\n'), 'alias alias/payments: field multiRegion: value true must be false for the native strategy; KMS rotates multi-Region keys natively from the primary'],
    ['a multi-Region alias in one Region', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    multiRegion: true\n'), 'alias alias/payments: field regions: value ["us-east-1"] must list the primary Region then at least one replica Region for a multi-Region alias'],
    ['a Region listed twice', aliasEntry('    regions: [us-east-1, us-east-1]\n    period: 90d\n'), 'alias alias/payments: field regions: value ["us-east-1","us-east-1"] lists a Region twice'],
    ['an overlap over 30 days', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    overlap: 31d\n'), 'alias alias/payments: field overlap: value "31d" must be at most 30d'],
    ['a quiet period over 90 days', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    retire:\n      quietPeriod: 91d\n'), 'alias alias/payments: field retire.quietPeriod: value "91d" must be at most 90d, because CloudTrail LookupEvents reaches back 90 days'],
    ['a pending window under 7 days', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    retire:\n      pendingWindow: 6d\n'), 'alias alias/payments: field retire.pendingWindow: value "6d" must be at least 7d'],
    ['a pending window over 30 days', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    retire:\n      pendingWindow: 31d\n'), 'alias alias/payments: field retire.pendingWindow: value "31d" must be at most 30d'],
    ['a pending window in hours', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    retire:\n      pendingWindow: 168h\n'), 'alias alias/payments: field retire.pendingWindow: value "168h" must be a whole number followed by d, such as 30d'],
    ['zero required approvals', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    retire:\n      requiredApprovals: 0\n'), 'alias alias/payments: field retire.requiredApprovals: value 0 must be at least 1'],
    ['an approver that is not an ARN', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    retire:\n      approvers: [bob]\n'), 'alias alias/payments: field retire.approvers.0: value "bob" must be an IAM or STS ARN pattern such as arn:aws:iam::111122223333:role/KeyAdmins'],
    ['a string for allowDeletion', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    retire:\n      allowDeletion: "yes"\n'), 'alias alias/payments: field retire.allowDeletion: value "yes" must be of type boolean'],
    ['an unknown retire field', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    retire:\n      deleteAfter: 30d\n'), 'alias alias/payments: field retire: unknown field deleteAfter; remove it or check its spelling'],
    ['a quota share of 0', `settings:\n  quotaShare: 0\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings.quotaShare: value 0 must be at least 0.01'],
    ['a quota share too small to finish a rotation', `settings:\n  quotaShare: 0.001\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings.quotaShare: value 0.001 must be at least 0.01'],
    ['a quota share over 1', `settings:\n  quotaShare: 1.5\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings.quotaShare: value 1.5 must be at most 1'],
    ['an unknown setting', `settings:\n  sweepSchedul: rate(1 hour)\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings: unknown field sweepSchedul; remove it or check its spelling'],
    ['a missing period', aliasEntry('    regions: [us-east-1]\n'), 'alias alias/payments: field period: missing; it is required'],
    ['a numeric period', aliasEntry('    regions: [us-east-1]\n    period: 90\n'), 'alias alias/payments: field period: value 90 must be of type string'],
    ['an invalid Region', aliasEntry('    regions: [US-East-1]\n    period: 90d\n'), 'alias alias/payments: field regions.0: value "US-East-1" must be a Region code such as us-east-1'],
    ['no Regions', aliasEntry('    regions: []\n    period: 90d\n'), 'alias alias/payments: field regions: value [] must list at least one Region'],
    ['an unknown field', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    perod: 30d\n'), 'alias alias/payments: unknown field perod; remove it or check its spelling'],
    ['an AWS managed alias', 'aliases:\n  - alias: alias/aws/s3\n    regions: [us-east-1]\n    period: 90d\n', 'alias alias/aws/s3: field alias: value "alias/aws/s3" names an AWS managed key (alias/aws/...), which kms-rotator never touches'],
    ['an alias without the prefix', 'aliases:\n  - alias: payments\n    regions: [us-east-1]\n    period: 90d\n', 'alias payments: field alias: value "payments" must start with alias/ followed by letters, digits, /, _ or -'],
    ['a duplicate alias', 'aliases:\n  - alias: alias/a\n    regions: [us-east-1]\n    period: 90d\n  - alias: alias/a\n    regions: [us-east-1]\n    period: 30d\n', 'alias alias/a: field regions: value ["us-east-1"] lists us-east-1 for an alias already configured in that Region'],
    ['no aliases', 'aliases: []\n', 'field aliases: value [] must list at least one alias'],
    ['a bad schedule', `settings:\n  sweepSchedule: every hour\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings.sweepSchedule: value "every hour" is not a valid EventBridge schedule: expected "rate(value unit)" or "cron(minutes hours day-of-month month day-of-week year)"'],
    ['a rate whose unit disagrees', `settings:\n  sweepSchedule: rate(1 hours)\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings.sweepSchedule: value "rate(1 hours)" is not a valid EventBridge schedule: a rate value of 1 takes the singular unit "hour", not "hours"'],
    ['a cron without a question mark', `settings:\n  retireSchedule: cron(0 12 * * * *)\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings.retireSchedule: value "cron(0 12 * * * *)" is not a valid EventBridge schedule: day-of-month "*" and day-of-week "*" cannot both be set: use "?" in one of them'],
    ['a zero rotation cap', `settings:\n  maxRotationsPerRun: 0\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings.maxRotationsPerRun: value 0 must be at least 1'],
    ['a fractional rotation cap', `settings:\n  maxRotationsPerRun: 1.5\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings.maxRotationsPerRun: value 1.5 must be of type int'],
  ])('rejects %s', (_case, text, message) => {
    expect(() => parseConfig(text)).toThrow(`rotation.config.yml is invalid:\n  - ${message}`);
  });

  it('rejects an empty file', () => {
    expect(() => parseConfig('# nothing yet\n')).toThrow('rotation.config.yml is empty; it needs at least an aliases list, as docs/configuration.md shows');
  });

  it('rejects YAML that does not parse', () => {
    expect(() => parseConfig('aliases: [\n')).toThrow(/^rotation.config.yml is not valid YAML: /);
  });
});

describe('loadConfigFile', () => {
  it('names a file it cannot read', () => {
    expect(() => loadConfigFile('/nonexistent/rotation.config.yml')).toThrow(
      "Cannot read the rotation config /nonexistent/rotation.config.yml: ENOENT: no such file or directory, open '/nonexistent/rotation.config.yml'",
    );
  });

  it('names the file in validation messages', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kms-rotator-')), 'custom.yml');
    writeFileSync(path, aliasEntry('    regions: [us-east-1]\n    period: 1h\n'));

    expect(() => loadConfigFile(path)).toThrow(`${path} is invalid:\n  - alias alias/payments: field period: value "1h" must be at least 1d (24h) for the alias strategy`);
  });

  it('accepts the example config in the repository', () => {
    const config = loadConfigFile('rotation.config.yml');

    expect(config.aliases.map((entry) => entry.alias)).toContain('alias/demo-payments');
  });
});

describe('loadDeployedConfig', () => {
  function writeJson(text: string): string {
    const path = join(mkdtempSync(join(tmpdir(), 'kms-rotator-')), 'rotation.config.json');
    writeFileSync(path, text);
    return path;
  }

  it('reads the JSON copy exactly as the YAML it came from', () => {
    const yaml = readFileSync('rotation.config.yml', 'utf8');
    const path = writeJson(JSON.stringify(parseYaml(yaml)));

    expect(loadDeployedConfig(path)).toEqual(parseConfig(yaml));
  });

  it('names a file it cannot read', () => {
    expect(() => loadDeployedConfig('/nonexistent/rotation.config.json')).toThrow(
      "Cannot read the rotation config /nonexistent/rotation.config.json: ENOENT: no such file or directory, open '/nonexistent/rotation.config.json'",
    );
  });

  it('rejects a file that is not JSON, such as the YAML itself', () => {
    const path = writeJson('aliases:\n  - alias: alias/payments\n');

    expect(() => loadDeployedConfig(path)).toThrow(
      `${path} is not valid JSON (the functions read the JSON copy of rotation.config.yml that serverless package writes): Unexpected token 'a', "aliases:\n "... is not valid JSON`,
    );
  });

  it('validates the document', () => {
    const path = writeJson(JSON.stringify({ aliases: [{ alias: 'alias/payments', regions: ['us-east-1'], period: '1h' }] }));

    expect(() => loadDeployedConfig(path)).toThrow(`${path} is invalid:\n  - alias alias/payments: field period: value "1h" must be at least 1d (24h) for the alias strategy`);
  });

  it('rejects null', () => {
    const path = writeJson('null');

    expect(() => loadDeployedConfig(path)).toThrow(`${path} is empty; it needs at least an aliases list, as docs/configuration.md shows`);
  });
});

describe('configDocumentFromYaml', () => {
  const NOT_JSON = 'a YAML tag or type that JSON cannot carry (such as !!omap, !!set, !!binary or a timestamp); write plain mappings, lists, strings, numbers and booleans';
  const alias = 'aliases:\n  - alias: alias/payments\n    regions: [us-east-1]\n    period: 90d\n';

  it.each([
    ['an ordered map', `%YAML 1.1\n---\nsettings: !!omap\n  - maxRotationsPerRun: 1\n${alias}`, 'settings'],
    ['a set', `%YAML 1.1\n---\nsettings:\n  audit:\n    rules: !!set {a, b}\n${alias}`, 'settings.audit.rules'],
    ['a timestamp', `settings:\n  forceCooldown: !!timestamp 2001-12-14\n${alias}`, 'settings.forceCooldown'],
    ['binary data', `${alias}    description: !!binary aGVsbG8=\n`, 'aliases.0.description'],
    ['an infinite number', `settings:\n  quotaShare: .inf\n${alias}`, 'settings.quotaShare'],
  ])('rejects %s, which JSON cannot carry', (_name, text, field) => {
    expect(() => configDocumentFromYaml(text, 'rotation.config.yml')).toThrow(`rotation.config.yml is invalid:\n  - field ${field}: ${NOT_JSON}`);
  });

  it('returns plain YAML unchanged', () => {
    expect(configDocumentFromYaml(`settings:\n  maxRotationsPerRun: 7\n${alias}`)).toEqual({
      settings: { maxRotationsPerRun: 7 },
      aliases: [{ alias: 'alias/payments', regions: ['us-east-1'], period: '90d' }],
    });
  });
});
