/**
 * What every command shares: the common options, the caller's credentials and Region, and the
 * AWS clients pointed at AWS or at the endpoint given with --endpoint.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Option, type Command } from 'commander';
import { createClients, type AwsClients } from '../src/aws/clients.js';
import { CliError, EXIT } from './errors.js';

/** Names of the state table and bus that `npm run local-cloud` creates; they match local/cloud.ts. */
export const LOCAL_TABLE_NAME = 'kms-rotator-local-state';
export const LOCAL_BUS_NAME = 'kms-rotator-local';

export interface CommonOptions {
  region?: string;
  profile?: string;
  endpoint?: string;
  dynamodbEndpoint?: string;
  json?: boolean;
  at?: string;
  stage: string;
  table?: string;
  bus?: string;
}

/** The resolved settings of one command run. */
export interface CliContext {
  region: string;
  profile?: string;
  credentials: ReturnType<typeof fromNodeProviderChain>;
  /** Endpoint of KMS, EventBridge and STS; undefined means AWS. */
  endpoint?: string;
  /** Endpoint of DynamoDB; `endpoint` unless --dynamodb-endpoint is set. */
  dynamodbEndpoint?: string;
  json: boolean;
  stage: string;
  tableName: string;
  busName: string;
  /** The time the core acts at, for a local cloud on a virtual clock; now when absent. */
  at?: Date;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Adds the options that every command takes. */
export function addCommonOptions(command: Command): Command {
  return command
    .option('--region <region>', 'AWS Region (default: AWS_REGION, then the profile\'s region)')
    .option('--profile <name>', 'named profile for credentials and Region (default: AWS_PROFILE, then the standard credential chain)')
    .option('--endpoint <url>', 'one URL for KMS, EventBridge, STS and DynamoDB, such as the local cloud\'s; absent means AWS')
    .option('--dynamodb-endpoint <url>', 'URL of DynamoDB when it differs from --endpoint, such as dynalite\'s port')
    .option('--stage <stage>', 'stage of the deployed stack', 'dev')
    .option('--table <name>', 'state table (default: kms-rotator-<stage>-state, or kms-rotator-local-state with --endpoint)')
    .option('--bus <name>', 'event bus (default: kms-rotator-<stage>, or kms-rotator-local with --endpoint)')
    .option('--at <time>', 'with --endpoint, act at this ISO 8601 time instead of now, as a local cloud on a virtual clock does (default: KMS_ROTATOR_AT)')
    .addOption(new Option('--json', 'print JSON for scripts instead of tables'));
}

/** Validates the common options and resolves the Region and the credential provider. */
export async function resolveContext(options: CommonOptions): Promise<CliContext> {
  const endpoint = options.endpoint === undefined ? undefined : validEndpoint('--endpoint', options.endpoint);
  const dynamodbEndpoint = options.dynamodbEndpoint === undefined ? endpoint : validEndpoint('--dynamodb-endpoint', options.dynamodbEndpoint);
  if (!/^[A-Za-z0-9-]{1,32}$/.test(options.stage)) {
    throw new CliError(`Invalid --stage ${JSON.stringify(options.stage)}: use letters, digits and hyphens, as in serverless deploy --stage`, EXIT.usage);
  }
  const region = await resolveRegion(options);
  const local = endpoint !== undefined;
  const atText = options.at ?? process.env.KMS_ROTATOR_AT;
  const at = atText === undefined || atText === '' ? undefined : Date.parse(atText);
  const source = options.at === undefined ? 'KMS_ROTATOR_AT' : '--at';
  if (at !== undefined && Number.isNaN(at)) {
    throw new CliError(`Invalid ${source} ${JSON.stringify(atText)}: give an ISO 8601 time such as 2028-01-01T00:00:00Z`, EXIT.usage);
  }
  if (at !== undefined && !local) {
    // A virtual time applies only to the local cloud; AWS runs on the real clock.
    throw new CliError(`${source} is set to ${atText}, but a virtual time applies only with --endpoint: add --endpoint, or ${source === '--at' ? 'leave out --at' : 'unset KMS_ROTATOR_AT'}`, EXIT.usage);
  }
  return {
    region,
    profile: options.profile,
    credentials: fromNodeProviderChain(options.profile ? { profile: options.profile } : {}),
    endpoint,
    dynamodbEndpoint,
    json: options.json === true,
    stage: options.stage,
    tableName: options.table ?? (local ? LOCAL_TABLE_NAME : `kms-rotator-${options.stage}-state`),
    busName: options.bus ?? (local ? LOCAL_BUS_NAME : `kms-rotator-${options.stage}`),
    ...(at === undefined ? {} : { at: new Date(at) }),
  };
}

/** Returns the AWS clients of the core, signed with the caller's credentials. */
export function clientsFor(context: CliContext, region = context.region): AwsClients {
  return createClients({
    region,
    credentials: context.credentials,
    endpoints: context.endpoint ? { kms: context.endpoint, events: context.endpoint, dynamodb: context.dynamodbEndpoint } : undefined,
  });
}

/** Checks an endpoint option: an absolute http or https URL without query or fragment. */
export function validEndpoint(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`Invalid ${option} ${JSON.stringify(value)}: expected a URL such as http://127.0.0.1:4566`, EXIT.usage);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new CliError(`Invalid ${option} ${JSON.stringify(value)}: expected an http or https URL without query or fragment, such as http://127.0.0.1:4566`, EXIT.usage);
  }
  return url.href.replace(/\/$/, '');
}

async function resolveRegion(options: CommonOptions): Promise<string> {
  let region = options.region;
  if (region === undefined) {
    // The SDK reads AWS_REGION, then the profile's `region` in ~/.aws/config.
    const probe = new KMSClient(options.profile ? { profile: options.profile } : {});
    try {
      region = await probe.config.region();
    } catch {
      region = undefined;
    } finally {
      probe.destroy();
    }
  }
  if (!region) throw new CliError('No Region given: pass --region, set AWS_REGION, or set region in the profile', EXIT.usage);
  if (!REGION.test(region)) throw new CliError(`Invalid --region ${JSON.stringify(region)}: expected a Region name such as us-east-1`, EXIT.usage);
  return region;
}
