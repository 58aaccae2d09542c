'use strict';
/**
 * Variables that serverless.yml reads from rotation.config.yml, through osls's `file` variable
 * source: `${file(./deploy/config-vars.cjs):aliasArns}`. osls calls each exported function with
 * `{ options, resolveConfigurationProperty, resolveVariable }` while it resolves the
 * configuration, so `serverless package` needs neither AWS credentials nor network access.
 *
 * The file is CommonJS because osls loads it with `require` and package.json sets
 * `"type": "module"`.
 *
 * It reads the `rotation.config.yml` in the parent directory of this file, which is the file that
 * `serverless.yml` ships in the function's zip, so the role matches the aliases the function
 * manages. There is deliberately no setting that names another file. Tests use another config by
 * copying `serverless.yml` and this file into a temporary directory next to it.
 */
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const CONFIG_PATH = path.resolve(__dirname, '..', 'rotation.config.yml');
const DEFAULT_SWEEP_SCHEDULE = 'rate(1 hour)';
const DEFAULT_RETIRE_SCHEDULE = 'rate(1 day)';
/** Same pattern as REGION in src/config/schema.ts. */
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$/;

/**
 * Alias name used in IAM statements when no alias is configured for the Region. CloudFormation
 * rejects an empty Resource list or condition value, and `alias/aws/` is reserved for AWS managed
 * keys, so no customer alias can match this name and the statement grants nothing.
 */
const NO_ALIAS_PLACEHOLDER = 'alias/aws/kms-rotator-no-alias-configured';

/**
 * Value of the `kms:ReplicaRegion` condition when the stack's Region is the primary of no
 * multi-Region alias. It is not a Region code, so no ReplicateKey request can match it.
 */
const NO_REPLICA_REGION_PLACEHOLDER = 'kms-rotator-no-replica-region';

function readConfig() {
  let text;
  try {
    text = fs.readFileSync(CONFIG_PATH, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read ${CONFIG_PATH}: ${error.message}`);
  }
  let config;
  try {
    config = YAML.parse(text);
  } catch (error) {
    // One line naming the file, where osls would print the parser's stack once per variable.
    throw new Error(`${CONFIG_PATH} is not valid YAML: ${error.message.split('\n')[0]}; run npm run check-config for details`);
  }
  if (config === null || typeof config !== 'object') {
    throw new Error(`${CONFIG_PATH} must contain a mapping with "settings" and "aliases"`);
  }
  return config;
}

/**
 * Returns the validated alias entries of the config as `{ alias, regions, multiRegion }`.
 * @throws Error naming the entry and field when an alias name, Region list or multiRegion value is invalid.
 */
function aliasEntries(config) {
  const aliases = config.aliases ?? [];
  if (!Array.isArray(aliases)) {
    throw new Error(`${CONFIG_PATH}: "aliases" must be a list`);
  }
  return aliases.map((entry, index) => {
    const name = entry?.alias;
    if (typeof name !== 'string' || !/^alias\/[a-zA-Z0-9/_-]+$/.test(name) || name.startsWith('alias/aws/')) {
      throw new Error(
        `${CONFIG_PATH}: aliases[${index}].alias must be "alias/" followed by letters, digits, "/", "_" or "-", ` +
          `and must not start with "alias/aws/"; got ${JSON.stringify(name)}`,
      );
    }
    if (!Array.isArray(entry.regions) || entry.regions.some((item) => typeof item !== 'string' || !REGION_PATTERN.test(item))) {
      throw new Error(
        `${CONFIG_PATH}: aliases[${index}] (${name}) must have a "regions" list of Region codes such as us-east-1; got ${JSON.stringify(entry.regions)}`,
      );
    }
    const multiRegion = entry.multiRegion ?? false;
    if (typeof multiRegion !== 'boolean') {
      throw new Error(`${CONFIG_PATH}: aliases[${index}] (${name}).multiRegion must be true or false; got ${JSON.stringify(entry.multiRegion)}`);
    }
    return { alias: name, regions: entry.regions, multiRegion };
  });
}

/**
 * Returns the names of the aliases that the stack of `region` manages: every alias whose `regions`
 * list contains `region`, except multi-Region aliases, which only the stack of their first
 * (primary) Region manages.
 */
function aliasesInRegion(config, region) {
  return aliasEntries(config)
    .filter((entry) => (entry.multiRegion ? entry.regions[0] === region : entry.regions.includes(region)))
    .map((entry) => entry.alias);
}

/**
 * Returns `{ alias, region }` for each replica Region of each multi-Region alias whose primary
 * Region is `region`, in config order.
 */
function replicaAliasesOf(config, region) {
  return aliasEntries(config)
    .filter((entry) => entry.multiRegion && entry.regions[0] === region)
    .flatMap((entry) => entry.regions.slice(1).map((replicaRegion) => ({ alias: entry.alias, region: replicaRegion })));
}

async function stackRegion(resolveVariable) {
  // `aws:region` is resolved by osls from --region or provider.region without an AWS call.
  return resolveVariable('aws:region');
}

async function configuredAliasNames(resolveVariable) {
  const names = aliasesInRegion(readConfig(), await stackRegion(resolveVariable));
  return names.length > 0 ? names : [NO_ALIAS_PLACEHOLDER];
}

/** Returns the `Fn::Sub` ARN of alias `name` in `region`, a Region code or `${AWS::Region}`. */
function aliasArn(region, name) {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:kms:${region}:\${AWS::AccountId}:${name}` };
}

/**
 * Returns `settings.<name>` of the config, or `fallback` when it is absent.
 * @throws Error naming the setting when it is not a string. src/config/schema.ts checks the
 * expression itself when the function starts and in `npm run check-config`.
 */
function scheduleSetting(config, name, fallback) {
  const schedule = config.settings?.[name] ?? fallback;
  if (typeof schedule !== 'string') {
    throw new Error(`${CONFIG_PATH}: settings.${name} must be a string such as "${fallback}"; got ${JSON.stringify(schedule)}`);
  }
  return schedule;
}

module.exports = {
  NO_ALIAS_PLACEHOLDER,
  NO_REPLICA_REGION_PLACEHOLDER,
  DEFAULT_SWEEP_SCHEDULE,
  DEFAULT_RETIRE_SCHEDULE,
  aliasesInRegion,
  replicaAliasesOf,

  /** Alias names (`alias/NAME`) configured for the stack's Region, for `kms:ResourceAliases`. */
  aliasNames: async ({ resolveVariable }) => configuredAliasNames(resolveVariable),

  /** `Fn::Sub` ARNs of the aliases configured for the stack's Region. */
  aliasArns: async ({ resolveVariable }) => {
    const names = await configuredAliasNames(resolveVariable);
    return names.map((name) => aliasArn('${AWS::Region}', name));
  },

  /**
   * `Fn::Sub` ARNs of the multi-Region aliases whose primary is the stack's Region, one per
   * replica Region, or the placeholder alias ARN in the stack's Region when there are none.
   */
  replicaAliasArns: async ({ resolveVariable }) => {
    const replicas = replicaAliasesOf(readConfig(), await stackRegion(resolveVariable));
    if (replicas.length === 0) return [aliasArn('${AWS::Region}', NO_ALIAS_PLACEHOLDER)];
    return replicas.map((replica) => aliasArn(replica.region, replica.alias));
  },

  /**
   * Replica Regions of the multi-Region aliases whose primary is the stack's Region, each once,
   * for `kms:ReplicaRegion`, or NO_REPLICA_REGION_PLACEHOLDER when there are none.
   */
  replicaRegions: async ({ resolveVariable }) => {
    const regions = [...new Set(replicaAliasesOf(readConfig(), await stackRegion(resolveVariable)).map((replica) => replica.region))];
    return regions.length > 0 ? regions : [NO_REPLICA_REGION_PLACEHOLDER];
  },

  /** `settings.sweepSchedule`, the EventBridge schedule expression of the rotate function. */
  sweepSchedule: async () => scheduleSetting(readConfig(), 'sweepSchedule', DEFAULT_SWEEP_SCHEDULE),

  /** `settings.retireSchedule`, the EventBridge schedule expression of the retire function. */
  retireSchedule: async () => scheduleSetting(readConfig(), 'retireSchedule', DEFAULT_RETIRE_SCHEDULE),
};
