'use strict';
/**
 * Variables that serverless.yml reads from rotation.config.yml, through osls's `file` variable
 * source: `${file(./deploy/config-vars.cjs):aliasArns}`. osls calls each exported function with
 * `{ options, resolveConfigurationProperty, resolveVariable }` while it resolves the
 * configuration, so `serverless package` needs neither AWS credentials nor network access.
 *
 * The file is CommonJS because osls loads it with `require` and package.json sets
 * `"type": "module"`.
 */
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const CONFIG_PATH = path.resolve(__dirname, '..', 'rotation.config.yml');
const DEFAULT_SWEEP_SCHEDULE = 'rate(1 hour)';

/**
 * Alias name used in IAM statements when no alias is configured for the Region. CloudFormation
 * rejects an empty Resource list or condition value, and `alias/aws/` is reserved for AWS managed
 * keys, so no customer alias can match this name and the statement grants nothing.
 */
const NO_ALIAS_PLACEHOLDER = 'alias/aws/kms-rotator-no-alias-configured';

function readConfig() {
  let text;
  try {
    text = fs.readFileSync(CONFIG_PATH, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read ${CONFIG_PATH}: ${error.message}`);
  }
  const config = YAML.parse(text);
  if (config === null || typeof config !== 'object') {
    throw new Error(`${CONFIG_PATH} must contain a mapping with "settings" and "aliases"`);
  }
  return config;
}

/** Returns the configured aliases whose `regions` list contains `region`. */
function aliasesInRegion(config, region) {
  const aliases = config.aliases ?? [];
  if (!Array.isArray(aliases)) {
    throw new Error(`${CONFIG_PATH}: "aliases" must be a list`);
  }
  const names = [];
  for (const [index, entry] of aliases.entries()) {
    const name = entry?.alias;
    if (typeof name !== 'string' || !/^alias\/[a-zA-Z0-9/_-]+$/.test(name) || name.startsWith('alias/aws/')) {
      throw new Error(
        `${CONFIG_PATH}: aliases[${index}].alias must be "alias/" followed by letters, digits, "/", "_" or "-", ` +
          `and must not start with "alias/aws/"; got ${JSON.stringify(name)}`,
      );
    }
    if (!Array.isArray(entry.regions) || entry.regions.some((item) => typeof item !== 'string')) {
      throw new Error(`${CONFIG_PATH}: aliases[${index}] (${name}) must have a "regions" list of Region names`);
    }
    if (entry.regions.includes(region)) names.push(name);
  }
  return names;
}

async function stackRegion(resolveVariable) {
  // `aws:region` is resolved by osls from --region or provider.region without an AWS call.
  return resolveVariable('aws:region');
}

async function configuredAliasNames(resolveVariable) {
  const names = aliasesInRegion(readConfig(), await stackRegion(resolveVariable));
  return names.length > 0 ? names : [NO_ALIAS_PLACEHOLDER];
}

module.exports = {
  NO_ALIAS_PLACEHOLDER,
  DEFAULT_SWEEP_SCHEDULE,
  aliasesInRegion,

  /** Alias names (`alias/NAME`) configured for the stack's Region, for `kms:ResourceAliases`. */
  aliasNames: async ({ resolveVariable }) => configuredAliasNames(resolveVariable),

  /** `Fn::Sub` ARNs of the aliases configured for the stack's Region. */
  aliasArns: async ({ resolveVariable }) => {
    const names = await configuredAliasNames(resolveVariable);
    return names.map((name) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:${name}`,
    }));
  },

  /** `settings.sweepSchedule`, an EventBridge schedule expression. */
  sweepSchedule: async () => {
    const schedule = readConfig().settings?.sweepSchedule ?? DEFAULT_SWEEP_SCHEDULE;
    if (typeof schedule !== 'string') {
      throw new Error(`${CONFIG_PATH}: settings.sweepSchedule must be a string such as "${DEFAULT_SWEEP_SCHEDULE}"`);
    }
    return schedule;
  },
};
