import type { RotationConfig } from '../config/load.js';

/** Returns a test of whether the config manages an alias in a Region, replica Regions of multi-Region aliases included. */
export function managedAliasTest(config: Pick<RotationConfig, 'aliases'>): (alias: string, region: string) => boolean {
  const managed = new Set<string>();
  for (const entry of config.aliases) {
    for (const region of [entry.region, ...entry.replicaRegions]) managed.add(`${region} ${entry.alias}`);
  }
  return (alias, region) => managed.has(`${region} ${alias}`);
}
