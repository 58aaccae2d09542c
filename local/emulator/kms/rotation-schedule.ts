import { generateMaterial } from './material.js';
import type { KeyRecord } from './model.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Performs the automatic rotations whose date has passed, one material version per elapsed
 * period, each dated on its scheduled day. Rotation is evaluated lazily, when the key's Region is
 * next read, so a virtual clock that jumps years ahead produces every rotation in between.
 *
 * NOTE: only Enabled keys rotate here. AWS also skips rotation while a key is disabled or pending
 * deletion, but after re-enabling it rotates once and reschedules from that day. This loop instead
 * catches up on every missed date.
 */
export function applyDueRotations(key: KeyRecord, now: number): boolean {
  const { rotation } = key;
  if (!rotation.enabled || key.keyState !== 'Enabled' || rotation.nextRotationDate === undefined) {
    return false;
  }
  const periodMs = (rotation.periodInDays ?? 365) * DAY_MS;
  let rotated = false;
  while (rotation.nextRotationDate <= now) {
    key.material.push(generateMaterial(key.keySpec, rotation.nextRotationDate));
    rotation.nextRotationDate += periodMs;
    rotated = true;
  }
  return rotated;
}
