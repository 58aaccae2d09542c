/** `serverless package` validates rotation.config.yml and ships its JSON copy, or stops. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeServiceCopy, runServerless } from './helpers.js';

const PACKAGE_TIMEOUT_MS = 180_000;

describe('config JSON plugin', () => {
  let serviceDir: string | undefined;

  afterEach(() => {
    if (serviceDir) rmSync(serviceDir, { recursive: true, force: true });
    serviceDir = undefined;
  });

  it('stops packaging with check-config message for an invalid config', async () => {
    serviceDir = makeServiceCopy('kms-rotator-config-json-', 'aliases:\n  - alias: alias/payments\n    regions: [us-east-1]\n    period: 9x\n');

    const failure = await runServerless(['package', '--stage', 'dev', '--region', 'us-east-1'], serviceDir, PACKAGE_TIMEOUT_MS).catch((error: Error) => error);

    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain(
      'rotation.config.yml cannot be packaged:\nrotation.config.yml is invalid:\n  - alias alias/payments: field period: value "9x" must be a whole number followed by h or d, such as 30d',
    );
    expect(existsSync(path.join(serviceDir, '.kms-rotator', 'rotation.config.json'))).toBe(false);
    expect(existsSync(path.join(serviceDir, '.serverless', 'rotate.zip'))).toBe(false);
  }, PACKAGE_TIMEOUT_MS);

  it('rejects a YAML value that JSON cannot carry', async () => {
    serviceDir = makeServiceCopy(
      'kms-rotator-config-json-',
      '%YAML 1.1\n---\nsettings: !!omap\n  - maxRotationsPerRun: 1\naliases:\n  - alias: alias/payments\n    regions: [us-east-1]\n    period: 90d\n',
    );

    const failure = await runServerless(['package', '--stage', 'dev', '--region', 'us-east-1'], serviceDir, PACKAGE_TIMEOUT_MS).catch((error: Error) => error);

    expect((failure as Error).message).toContain(
      'rotation.config.yml is invalid:\n  - field settings: a YAML tag or type that JSON cannot carry (such as !!omap, !!set, !!binary or a timestamp); write plain mappings, lists, strings, numbers and booleans',
    );
  }, PACKAGE_TIMEOUT_MS);

  it('names the file when the YAML does not parse', async () => {
    serviceDir = makeServiceCopy('kms-rotator-config-json-', 'aliases:\n  - alias: alias/payments\n    regions: [us-east-1\n    period: 90d\n');

    const failure = await runServerless(['package', '--stage', 'dev', '--region', 'us-east-1'], serviceDir, PACKAGE_TIMEOUT_MS).catch((error: Error) => error);

    expect((failure as Error).message).toContain(`${serviceDir}/rotation.config.yml is not valid YAML: `);
    expect((failure as Error).message).toContain('; run npm run check-config for details');
  }, PACKAGE_TIMEOUT_MS);

  it('writes the validated document as JSON', async () => {
    const yaml = 'settings:\n  maxRotationsPerRun: 7\naliases:\n  - alias: alias/payments\n    regions: [us-east-1]\n    period: 90d\n';
    serviceDir = makeServiceCopy('kms-rotator-config-json-', yaml);

    await runServerless(['package', '--stage', 'dev', '--region', 'us-east-1'], serviceDir, PACKAGE_TIMEOUT_MS);

    expect(JSON.parse(readFileSync(path.join(serviceDir, '.kms-rotator', 'rotation.config.json'), 'utf8'))).toEqual({
      settings: { maxRotationsPerRun: 7 },
      aliases: [{ alias: 'alias/payments', regions: ['us-east-1'], period: '90d' }],
    });
  }, PACKAGE_TIMEOUT_MS);
});
