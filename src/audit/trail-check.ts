import { describeAwsError } from '../rotation/errors.js';
import type { AuditDeps } from './deps.js';
import { publishAlert, type AuditRuntime } from './process.js';

/** The two CloudTrail calls the trail check makes. */
export interface TrailApi {
  /** DescribeTrails with shadow trails: every trail that applies to the Region, multi-Region and organization trails included. */
  describeTrails(): Promise<Array<{ name: string; arn?: string; homeRegion?: string }>>;
  /** GetTrailStatus: whether the trail is logging now. */
  isLogging(trail: string): Promise<boolean>;
}

export interface TrailCheckResult {
  /** `unknown` when no trail logs but the status of at least one could not be read. */
  logging: boolean | 'unknown';
  trails: Array<{ name: string; logging: boolean | 'unknown' }>;
}

/**
 * Checks whether any CloudTrail trail logs in the Region. EventBridge gets CloudTrail events only
 * where a trail is logging, so without one the audit function sees no KMS call at all.
 */
export async function checkTrails(deps: Pick<AuditDeps, 'logger' | 'region'>, api: TrailApi): Promise<TrailCheckResult> {
  const trails: TrailCheckResult['trails'] = [];
  for (const trail of await api.describeTrails()) {
    let logging: boolean | 'unknown';
    try {
      logging = await api.isLogging(trail.arn ?? trail.name);
    } catch (error) {
      // An organization trail seen from a member account may refuse GetTrailStatus.
      deps.logger.warn('Could not read the status of a CloudTrail trail', { trail: trail.arn ?? trail.name, region: deps.region, error: describeAwsError(error) });
      logging = 'unknown';
    }
    trails.push({ name: trail.arn ?? trail.name, logging });
    if (logging === true) break;
  }
  const logging = trails.some((trail) => trail.logging === true) ? true : trails.some((trail) => trail.logging === 'unknown') ? 'unknown' : false;
  return { logging, trails };
}

/** The part of `@aws-sdk/client-cloudtrail` the adapter uses. */
interface CloudTrailModule {
  CloudTrailClient: new (config: { region: string }) => { send(command: unknown): Promise<unknown> };
  DescribeTrailsCommand: new (input: { includeShadowTrails: boolean }) => unknown;
  GetTrailStatusCommand: new (input: { Name: string }) => unknown;
}

/**
 * Returns a TrailApi on the AWS SDK's CloudTrail client, or undefined when
 * `@aws-sdk/client-cloudtrail` cannot be loaded.
 * TODO: import the client statically once the project depends on `@aws-sdk/client-cloudtrail`;
 * until then the module name is a variable, so type checking and bundling do not need it.
 */
export async function sdkTrailApi(region: string): Promise<TrailApi | undefined> {
  const moduleName = '@aws-sdk/client-cloudtrail';
  let sdk: CloudTrailModule;
  try {
    sdk = (await import(moduleName)) as CloudTrailModule;
  } catch {
    return undefined;
  }
  const client = new sdk.CloudTrailClient({ region });
  return {
    describeTrails: async () => {
      const output = (await client.send(new sdk.DescribeTrailsCommand({ includeShadowTrails: true }))) as {
        trailList?: Array<{ Name?: string; TrailARN?: string; HomeRegion?: string }>;
      };
      return (output.trailList ?? []).map((trail) => ({ name: trail.Name ?? trail.TrailARN ?? 'unnamed', arn: trail.TrailARN, homeRegion: trail.HomeRegion }));
    },
    isLogging: async (trail) => ((await client.send(new sdk.GetTrailStatusCommand({ Name: trail }))) as { IsLogging?: boolean }).IsLogging === true,
  };
}

/**
 * Runs the trail check once per cold start and alerts (`no-trail-logging`) when no trail logs in
 * the Region. The table keeps the last result, so the alert goes out once per change, not once
 * per container. Never throws: a failed check is logged and the function goes on.
 */
export async function checkTrailsAtColdStart(runtime: AuditRuntime): Promise<TrailCheckResult | undefined> {
  const { deps, settings } = runtime;
  if (!deps.trails) {
    deps.logger.warn('Trail check skipped: no CloudTrail client', { region: deps.region });
    return undefined;
  }
  try {
    const result = await checkTrails(deps, deps.trails);
    if (result.logging === 'unknown') {
      deps.logger.warn('Trail check inconclusive: no trail is known to log in the Region', { region: deps.region, trails: result.trails });
      return result;
    }
    const changed = await deps.store.recordTrailStatus(deps.region, result.logging, deps.clock.now().getTime());
    const rule = settings.rules['no-trail-logging'];
    if (!result.logging && changed && rule.enabled) {
      await publishAlert(deps, {
        version: 1,
        ruleId: 'no-trail-logging',
        severity: rule.severity,
        summary: `No CloudTrail trail is logging in ${deps.region} (${result.trails.length} trails apply to it), so EventBridge delivers no KMS API calls and this audit sees none`,
        count: 1,
        region: deps.region,
      });
    }
    deps.logger.info('Trail check done', { region: deps.region, logging: result.logging, trails: result.trails });
    return result;
  } catch (error) {
    deps.logger.error('Trail check failed', { region: deps.region, error: describeAwsError(error) });
    return undefined;
  }
}
