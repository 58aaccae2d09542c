import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

import { createEmptyState, type EmulatorState } from './state.js';

const FORMAT_VERSION = 1;

interface StateFileContents extends EmulatorState {
  version: number;
}

/** Loads emulator state from `path`, or returns empty state when the file does not exist. */
export function loadState(path: string): EmulatorState {
  if (!existsSync(path)) return createEmptyState();
  let parsed: Partial<StateFileContents>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<StateFileContents>;
  } catch (error) {
    throw new Error(`Cannot read the emulator state file ${path}: ${(error as Error).message}. Give another file, or delete this one to start afresh.`, { cause: error });
  }
  if (parsed.version !== FORMAT_VERSION) {
    throw new Error(`State file ${path} has format version ${String(parsed.version)}; this emulator reads version ${FORMAT_VERSION}.`);
  }
  return { kms: parsed.kms ?? {}, events: parsed.events ?? {} };
}

export function serializeState(state: EmulatorState): string {
  const contents: StateFileContents = { version: FORMAT_VERSION, ...state };
  return `${JSON.stringify(contents, null, 2)}\n`;
}

/** Writes `serialized` to a temporary file next to `path` and renames it over `path`, so readers never see a partial file. */
export function writeStateFile(path: string, serialized: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, serialized, 'utf8');
  renameSync(temporary, path);
}
