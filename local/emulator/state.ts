import type { KmsRegionState } from './kms/model.js';
import type { RequestContext } from './types.js';

/** One EventBridge event bus. The `default` bus of each account and Region is created on first use. */
export interface EventBusRecord {
  name: string;
  arn: string;
  createdAt: number;
  description?: string;
}

/** Everything EventBridge holds for one account in one Region. */
export interface EventsRegionState {
  buses: Record<string, EventBusRecord>;
}

/** All persisted emulator state, keyed by account id and then Region. */
export interface EmulatorState {
  kms: Record<string, Record<string, KmsRegionState>>;
  events: Record<string, Record<string, EventsRegionState>>;
}

export function createEmptyState(): EmulatorState {
  return { kms: {}, events: {} };
}

/**
 * Links each request context to the state of the emulator serving it. A WeakMap keeps the
 * RequestContext contract unchanged while several emulators run in one process.
 */
const stateByContext = new WeakMap<RequestContext, EmulatorState>();

export function bindState(context: RequestContext, state: EmulatorState): void {
  stateByContext.set(context, state);
}

export function stateOf(context: RequestContext): EmulatorState {
  const state = stateByContext.get(context);
  if (!state) {
    throw new Error(`No emulator state is bound to request ${context.requestId}`);
  }
  return state;
}

/** Returns the partition of a Region, as ARNs spell it. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
