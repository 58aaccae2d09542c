import { DescribeTrailsCommand, GetTrailStatusCommand, type CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { describeAwsError } from '../rotation/errors.js';
import type { AuditDeps } from './deps.js';
import { publishAlert, type AuditRuntime } from './process.js';

export interface TrailCheckResult {
  /** `unknown` when no trail logs but the status of at least one could not be read. */
  logging: boolean | 'unknown';
  trails: Array<{ name: string; logging: boolean | 'unknown' }>;
}

/**
 * Checks whether any CloudTrail trail logs in the Region. EventBridge gets CloudTrail events only
 * where a trail is logging, so without one the audit function sees no KMS call at all.
 */
export async function checkTrails(deps: Pick<AuditDeps, 'logger' | 'region'>, cloudtrail: CloudTrailClient): Promise<TrailCheckResult> {
  const trails: TrailCheckResult['trails'] = [];
  // Shadow trails are the multi-Region and organization trails homed in another Region that apply to this one.
  const described = await cloudtrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  for (const trail of described.trailList ?? []) {
    const name = trail.TrailARN ?? trail.Name ?? 'unnamed';
    let logging: boolean | 'unknown';
    try {
      logging = (await cloudtrail.send(new GetTrailStatusCommand({ Name: name }))).IsLogging === true;
    } catch (error) {
      // An organization trail seen from a member account may refuse GetTrailStatus.
      deps.logger.warn('Could not read the status of a CloudTrail trail', { trail: name, region: deps.region, error: describeAwsError(error) });
      logging = 'unknown';
    }
    trails.push({ name, logging });
    if (logging === true) break;
  }
  const logging = trails.some((trail) => trail.logging === true) ? true : trails.some((trail) => trail.logging === 'unknown') ? 'unknown' : false;
  return { logging, trails };
}

/**
 * Runs the trail check once per cold start and alerts (`no-trail-logging`) when no trail logs in
 * the Region. The table keeps the last result, so the alert goes out once per change, not once
 * per container. Never throws: a failed check is logged and the function goes on.
 */
export async function checkTrailsAtColdStart(runtime: AuditRuntime): Promise<TrailCheckResult | undefined> {
  const { deps, settings } = runtime;
  if (!deps.cloudtrail) {
    deps.logger.warn('Trail check skipped: no CloudTrail client', { region: deps.region });
    return undefined;
  }
  try {
    const result = await checkTrails(deps, deps.cloudtrail);
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
