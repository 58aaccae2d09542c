import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Sample } from './demo-customer.js';

/** What the runner keeps beside the emulator's state file, to carry on where the last run stopped. */
export interface RunnerState {
  /** Virtual time at the end of the last run, ISO 8601. */
  clock: string;
  sample: Sample;
}

function runnerStatePath(stateFile: string): string {
  return `${stateFile}.runner.json`;
}

export function readRunnerState(stateFile: string): RunnerState | undefined {
  const path = runnerStatePath(stateFile);
  if (!existsSync(path)) return undefined;
  const state = JSON.parse(readFileSync(path, 'utf8')) as RunnerState;
  if (Number.isNaN(Date.parse(state.clock)) || typeof state.sample?.ciphertext !== 'string') {
    throw new Error(`${path} is not a runner state file; delete it (and ${stateFile}) to start afresh`);
  }
  return state;
}

export function writeRunnerState(stateFile: string, state: RunnerState): void {
  const path = runnerStatePath(stateFile);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
