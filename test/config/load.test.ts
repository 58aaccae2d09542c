import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aliasesInRegion, loadConfigFile, parseConfig } from '../../src/config/load.js';

function aliasEntry(fields: string): string {
  return `aliases:\n  - alias: alias/payments\n${fields}`;
}

describe('parseConfig', () => {
  it('applies defaults and expands Regions', () => {
    const config = parseConfig(aliasEntry('    regions: [us-east-1, eu-west-1]\n    period: 36h\n'));

    expect(config).toEqual({
      sweepSchedule: 'rate(1 hour)',
      maxRotationsPerRun: 20,
      aliases: [
        { alias: 'alias/payments', region: 'us-east-1', period: '36h', periodMs: 36 * 3_600_000 },
        { alias: 'alias/payments', region: 'eu-west-1', period: '36h', periodMs: 36 * 3_600_000 },
      ],
    });
    expect(aliasesInRegion(config, 'eu-west-1').map((entry) => entry.region)).toEqual(['eu-west-1']);
  });

  it.each([
    ['a malformed period', aliasEntry('    regions: [us-east-1]\n    period: 9x\n'), 'alias alias/payments: field period: value "9x" must be a whole number followed by h or d, such as 90d'],
    ['a period in weeks', aliasEntry('    regions: [us-east-1]\n    period: 2w\n'), 'alias alias/payments: field period: value "2w" must be a whole number followed by h or d, such as 90d'],
    ['a period under a day', aliasEntry('    regions: [us-east-1]\n    period: 23h\n'), 'alias alias/payments: field period: value "23h" must be at least 1d (24h) for the alias strategy'],
    ['a zero period', aliasEntry('    regions: [us-east-1]\n    period: 0d\n'), 'alias alias/payments: field period: value "0d" must be a whole number followed by h or d, such as 90d'],
    ['a missing period', aliasEntry('    regions: [us-east-1]\n'), 'alias alias/payments: field period: missing; it is required'],
    ['a numeric period', aliasEntry('    regions: [us-east-1]\n    period: 90\n'), 'alias alias/payments: field period: value 90 must be of type string'],
    ['an invalid Region', aliasEntry('    regions: [US-East-1]\n    period: 90d\n'), 'alias alias/payments: field regions.0: value "US-East-1" must be a Region code such as us-east-1'],
    ['no Regions', aliasEntry('    regions: []\n    period: 90d\n'), 'alias alias/payments: field regions: value [] must list at least one Region'],
    ['an unknown field', aliasEntry('    regions: [us-east-1]\n    period: 90d\n    perod: 30d\n'), 'alias alias/payments: unknown field perod; remove it or check its spelling'],
    ['an AWS managed alias', 'aliases:\n  - alias: alias/aws/s3\n    regions: [us-east-1]\n    period: 90d\n', 'alias alias/aws/s3: field alias: value "alias/aws/s3" names an AWS managed key (alias/aws/...), which kms-rotator never touches'],
    ['an alias without the prefix', 'aliases:\n  - alias: payments\n    regions: [us-east-1]\n    period: 90d\n', 'alias payments: field alias: value "payments" must start with alias/ followed by letters, digits, /, _ or -'],
    ['a duplicate alias', 'aliases:\n  - alias: alias/a\n    regions: [us-east-1]\n    period: 90d\n  - alias: alias/a\n    regions: [us-east-1]\n    period: 30d\n', 'alias alias/a: field regions: value ["us-east-1"] lists us-east-1 for an alias already configured in that Region'],
    ['no aliases', 'aliases: []\n', 'field aliases: value [] must list at least one alias'],
    ['a bad schedule', `settings:\n  sweepSchedule: every hour\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings.sweepSchedule: value "every hour" must be an EventBridge rate() or cron() expression'],
    ['a zero rotation cap', `settings:\n  maxRotationsPerRun: 0\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings.maxRotationsPerRun: value 0 must be at least 1'],
    ['a fractional rotation cap', `settings:\n  maxRotationsPerRun: 1.5\n${aliasEntry('    regions: [us-east-1]\n    period: 90d\n')}`, 'field settings.maxRotationsPerRun: value 1.5 must be of type int'],
  ])('rejects %s', (_case, text, message) => {
    expect(() => parseConfig(text)).toThrow(`rotation.config.yml is invalid:\n  - ${message}`);
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
