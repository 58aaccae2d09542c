import type { Clock } from '../../../src/clock.js';
import { LOCAL_REGION } from '../../identities.js';
import { partitionOf } from '../state.js';

/** One trail of one account. */
export interface TrailRecord {
  name: string;
  arn: string;
  homeRegion: string;
  s3BucketName: string;
  isMultiRegionTrail: boolean;
  includeGlobalServiceEvents: boolean;
  logging: boolean;
  startLoggingTime?: number;
  stopLoggingTime?: number;
}

/** Name of the trail every account has when the emulator starts with `trailLogging` on. */
export const DEFAULT_TRAIL_NAME = 'local-trail';

/**
 * Trails by account, in memory. With `defaultTrailLogging`, each account gets on first use a
 * multi-Region trail named `local-trail`, homed in the local Region and logging since the
 * emulator started.
 */
export class TrailStore {
  private readonly byAccount = new Map<string, TrailRecord[]>();
  private readonly startedAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly defaultTrailLogging: boolean,
  ) {
    this.startedAt = clock.now().getTime();
  }

  trailsOf(accountId: string): TrailRecord[] {
    let trails = this.byAccount.get(accountId);
    if (!trails) {
      trails = this.defaultTrailLogging ? [this.defaultTrail(accountId)] : [];
      this.byAccount.set(accountId, trails);
    }
    return trails;
  }

  /** Tells whether a trail of the account logs management events of `region`. */
  isLogging(accountId: string, region: string): boolean {
    return this.trailsOf(accountId).some((trail) => trail.logging && (trail.isMultiRegionTrail || trail.homeRegion === region));
  }

  private defaultTrail(accountId: string): TrailRecord {
    return {
      name: DEFAULT_TRAIL_NAME,
      arn: trailArn(LOCAL_REGION, accountId, DEFAULT_TRAIL_NAME),
      homeRegion: LOCAL_REGION,
      s3BucketName: `local-cloudtrail-${accountId}`,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      logging: true,
      startLoggingTime: this.startedAt,
    };
  }

  now(): number {
    return this.clock.now().getTime();
  }
}

export function trailArn(region: string, accountId: string, name: string): string {
  return `arn:${partitionOf(region)}:cloudtrail:${region}:${accountId}:trail/${name}`;
}
