import type { ManagedAlias } from '../config/load.js';
import { publishEvent } from '../events/publish.js';
import type { RotationDeps } from './deps.js';
import { announceMadeChange } from './report.js';

export interface PauseRequest {
  /** Absent: every alias of the Region. */
  managed?: ManagedAlias;
  paused: boolean;
  reason?: string;
  requestedBy?: string;
}

export interface PauseResult {
  alias: string;
  region: string;
  outcome: 'paused' | 'resumed';
  /** Set when the switch changed but its event could not be published. */
  message?: string;
}

/**
 * Sets or clears a pause switch: one alias's, or the Region's, which holds every alias. A rotation
 * already running finishes; sweeps skip paused aliases; a person's rotation needs `force: true`.
 */
export async function setPause(deps: RotationDeps, request: PauseRequest): Promise<PauseResult> {
  const at = deps.clock.now().toISOString();
  const record = request.paused ? { reason: request.reason ?? 'no reason given', cause: 'person' as const, by: request.requestedBy, at } : undefined;
  const alias = request.managed?.alias ?? '*';

  if (request.managed) {
    await deps.table.setPaused(deps.region, request.managed.alias, record);
  } else {
    await deps.table.setGlobalPause(deps.region, record);
  }

  const detailType = request.paused ? 'Alias Paused' : 'Alias Resumed';
  const announceFailure = await announceMadeChange(deps, { alias, region: deps.region }, detailType, () =>
    publishEvent(deps.eventbridge, deps.busName, detailType, {
      version: 1,
      alias,
      region: deps.region,
      reason: request.reason,
      requestedBy: request.requestedBy,
      at,
    }),
  );
  deps.logger.info(request.paused ? 'Alias paused' : 'Alias resumed', { alias, region: deps.region, requestedBy: request.requestedBy });
  const result: PauseResult = { alias, region: deps.region, outcome: request.paused ? 'paused' : 'resumed' };
  if (announceFailure) result.message = announceFailure;
  return result;
}
