/** Unit tests of deploy/config-vars.cjs, the variables serverless.yml reads from rotation.config.yml. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const configVars = createRequire(import.meta.url)('../../deploy/config-vars.cjs');

const config = {
  aliases: [
    { alias: 'alias/single', regions: ['us-east-1', 'eu-west-1'] },
    { alias: 'alias/mr-global', regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'], multiRegion: true },
    { alias: 'alias/mr-europe', regions: ['eu-west-1', 'us-east-1'], multiRegion: true },
    { alias: 'alias/mr-off', regions: ['ap-southeast-2', 'us-east-1'], multiRegion: false },
  ],
};

describe('aliasesInRegion', () => {
  it('primary Region manages its multi-Region aliases', () => {
    expect(configVars.aliasesInRegion(config, 'us-east-1')).toEqual(['alias/single', 'alias/mr-global', 'alias/mr-off']);
  });

  it('replica Region skips multi-Region aliases', () => {
    expect(configVars.aliasesInRegion(config, 'eu-west-1')).toEqual(['alias/single', 'alias/mr-europe']);
    expect(configVars.aliasesInRegion(config, 'ap-southeast-2')).toEqual(['alias/mr-off']);
  });

  it('Region in no list', () => {
    expect(configVars.aliasesInRegion(config, 'sa-east-1')).toEqual([]);
  });

  it('rejects a non-boolean multiRegion', () => {
    const invalid = { aliases: [{ alias: 'alias/x', regions: ['us-east-1', 'eu-west-1'], multiRegion: 'true' }] };
    expect(() => configVars.aliasesInRegion(invalid, 'us-east-1')).toThrow('aliases[0] (alias/x).multiRegion must be true or false; got "true"');
  });

  it('rejects an invalid Region code', () => {
    const invalid = { aliases: [{ alias: 'alias/x', regions: ['us-east-1', 'eu-west-1:${AWS::AccountId}'], multiRegion: true }] };
    expect(() => configVars.aliasesInRegion(invalid, 'us-east-1')).toThrow(/aliases\[0\] \(alias\/x\) must have a "regions" list of Region codes/);
  });
});

describe('replicaAliasesOf', () => {
  it('lists replica Regions of primary aliases', () => {
    expect(configVars.replicaAliasesOf(config, 'us-east-1')).toEqual([
      { alias: 'alias/mr-global', region: 'eu-west-1' },
      { alias: 'alias/mr-global', region: 'ap-southeast-2' },
    ]);
    expect(configVars.replicaAliasesOf(config, 'eu-west-1')).toEqual([{ alias: 'alias/mr-europe', region: 'us-east-1' }]);
  });

  it('empty in a replica-only Region', () => {
    expect(configVars.replicaAliasesOf(config, 'ap-southeast-2')).toEqual([]);
  });
});

describe('schedules', () => {
  it('read from rotation.config.yml', async () => {
    expect(await configVars.sweepSchedule()).toBe('rate(1 hour)');
    expect(await configVars.retireSchedule()).toBe(configVars.DEFAULT_RETIRE_SCHEDULE);
  });

  it('retire default is daily', () => {
    expect(configVars.DEFAULT_RETIRE_SCHEDULE).toBe('rate(1 day)');
  });
});
