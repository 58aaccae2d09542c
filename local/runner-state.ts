import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Sample } from './demo-customer.js';

/** The runner's state beside the emulator's state file, to carry on where the last run stopped. */
export interface RunnerState {
  /** Virtual time at the end of the last run, ISO 8601. */
  clock: string;
  sample: Sample;
}

function runnerStatePath(stateFile: string): string {
  return `${stateFile}.runner.json`;
}

/**
 * Reads the runner's state beside `stateFile`. Returns undefined on a first run; throws when the
 * state file exists without it, since carrying on from a reset clock would misdate every key.
 */
export function readRunnerState(stateFile: string): RunnerState | undefined {
  const path = runnerStatePath(stateFile);
  if (!existsSync(path)) {
    if (existsSync(stateFile)) {
      throw new Error(`${stateFile} exists but ${path}, which holds the runner's clock, does not; delete ${stateFile}* to start afresh`);
    }
    return undefined;
  }
  let state: RunnerState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as RunnerState;
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${(error as Error).message}; delete ${stateFile}* to start afresh`, { cause: error });
  }
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

/**
 * Takes `<stateFile>.lock` for this process, so that two runs never share one state file (dynalite
 * keeps its LevelDB folder open). Returns the function that releases it.
 */
export function lockStateFile(stateFile: string): () => void {
  const path = `${stateFile}.lock`;
  try {
    writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`Another run is using ${stateFile} (${path} exists); wait for it to finish, or delete the lock if no run is left`);
    }
    throw error;
  }
  return () => rmSync(path, { force: true });
}
