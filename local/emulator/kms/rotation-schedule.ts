import { generateMaterial } from './material.js';
import type { KeyMaterial, KeyRecord } from './model.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Performs the automatic rotations whose date has passed, one material version per elapsed
 * period, each dated on its scheduled day, and returns the versions it added. Rotation is evaluated lazily, when the key's Region is
 * next read, so a virtual clock that jumps years ahead produces every rotation in between.
 *
 * NOTE: only Enabled keys rotate here. AWS also skips rotation while a key is disabled or pending
 * deletion, but after re-enabling it rotates once and reschedules from that day. This loop instead
 * catches up on every missed date.
 */
export function applyDueRotations(key: KeyRecord, now: number): KeyMaterial[] {
  const { rotation } = key;
  if (!rotation.enabled || key.keyState !== 'Enabled' || rotation.nextRotationDate === undefined) {
    return [];
  }
  const periodMs = (rotation.periodInDays ?? 365) * DAY_MS;
  const added: KeyMaterial[] = [];
  while (rotation.nextRotationDate <= now) {
    const material = generateMaterial(key.keySpec, rotation.nextRotationDate);
    key.material.push(material);
    added.push(material);
    rotation.nextRotationDate += periodMs;
  }
  return added;
}
