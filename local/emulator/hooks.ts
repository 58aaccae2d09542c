import type { KeyRecord } from './kms/model.js';
import type { EmulatorState } from './state.js';
import type { RequestContext } from './types.js';

/**
 * Something KMS does by itself, outside any request: an automatic or on-demand rotation
 * completing, or a key deleted when its waiting period ends. `time` is when it happened, in
 * epoch milliseconds, which for lazily applied rotations and deletions lies before the request
 * that applied them.
 */
export type KmsServiceEvent =
  | {
      kind: 'RotateKey';
      key: KeyRecord;
      time: number;
      rotationType: 'AUTOMATIC' | 'ON_DEMAND';
      previousMaterialId: string | undefined;
      currentMaterialId: string;
    }
  | { kind: 'DeleteKey'; key: KeyRecord; time: number };

/** Callbacks and settings of one emulator that the KMS operations need beyond its state. */
export interface EmulatorHooks {
  onKmsServiceEvent(event: KmsServiceEvent): void;
  /** Earliest time from which GetKeyLastUsage tracks use, in epoch milliseconds. Undefined means from key creation. */
  usageTrackingStart: number | undefined;
}

const hooksByState = new WeakMap<EmulatorState, EmulatorHooks>();

export function bindHooks(state: EmulatorState, hooks: EmulatorHooks): void {
  hooksByState.set(state, hooks);
}

/** Returns the hooks of the emulator that owns `state`, or hooks that do nothing when none are bound. */
export function hooksOf(state: EmulatorState): EmulatorHooks {
  return hooksByState.get(state) ?? { onKmsServiceEvent: () => undefined, usageTrackingStart: undefined };
}

/**
 * Keys each request resolved, in order, so that the CloudTrail record can list them as resources
 * and a successful cryptographic operation can record its use on them.
 */
const keysByContext = new WeakMap<RequestContext, KeyRecord[]>();

export function noteKey(context: RequestContext, key: KeyRecord): void {
  const keys = keysByContext.get(context) ?? [];
  if (!keys.includes(key)) keys.push(key);
  keysByContext.set(context, keys);
}

export function notedKeys(context: RequestContext): KeyRecord[] {
  return keysByContext.get(context) ?? [];
}
