/**
 * Reads the service configuration as the Serverless Framework (osls) resolves it, so that local
 * runs take schedules and settings from serverless.yml instead of re-implementing its variables.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface ResolveServerlessConfigOptions {
  /** `--stage` passed to the framework. serverless.yml's provider.stage applies when omitted. */
  stage?: string;
  /** `--region` passed to the framework. serverless.yml's provider.region applies when omitted. */
  region?: string;
  /** Time limit for the `serverless print` process, in milliseconds. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
const cache = new Map<string, Promise<unknown>>();

/**
 * Runs `serverless print --format json` in `cwd` and returns the parsed configuration, with every
 * variable resolved. AWS_* variables are removed from the child's environment, so resolution is
 * offline and cannot pick up credentials. Results are cached per cwd, stage and Region for the
 * life of the process, because one run takes about 1.5 s.
 * @throws Error with the framework's stderr when the command fails or prints something other than JSON.
 */
export function resolveServerlessConfig(cwd: string, options: ResolveServerlessConfigOptions = {}): Promise<unknown> {
  const directory = path.resolve(cwd);
  const key = JSON.stringify([directory, options.stage ?? null, options.region ?? null]);
  let result = cache.get(key);
  if (!result) {
    result = runPrint(directory, options);
    cache.set(key, result);
    // A failed run is not cached, so a fixed serverless.yml is read again on the next call.
    result.catch(() => cache.delete(key));
  }
  return result;
}

function runPrint(cwd: string, options: ResolveServerlessConfigOptions): Promise<unknown> {
  const cli = createRequire(import.meta.url).resolve('osls/bin/serverless.js');
  const args = [cli, 'print', '--format', 'json'];
  if (options.stage !== undefined) args.push('--stage', options.stage);
  if (options.region !== undefined) args.push('--region', options.region);

  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const command = `serverless ${args.slice(1).join(' ')}`;

  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd, env, timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES },
      (error, stdout, stderr) => {
        if (error) {
          const reason = error.killed ? `timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` : `failed (${error.message.split('\n')[0]})`;
          reject(new Error(`\`${command}\` in ${cwd} ${reason}. Its output:\n${stderr.trim() || stdout.trim()}`));
          return;
        }
        try {
          resolve(JSON.parse(stdout));
        } catch (parseError) {
          reject(
            new Error(
              `\`${command}\` in ${cwd} printed something other than JSON (${(parseError as Error).message}): ${stdout.slice(0, 300)}`,
            ),
          );
        }
      },
    );
  });
}

/**
 * Returns the schedule expressions of a function's enabled `schedule` events, in the order
 * serverless.yml lists them.
 * @throws Error when the configuration has no such function.
 */
export function scheduleExpressions(resolved: unknown, functionName: string): string[] {
  const functions = isRecord(resolved) && isRecord(resolved.functions) ? resolved.functions : undefined;
  const definition = functions?.[functionName];
  if (!isRecord(definition)) {
    const known = functions ? Object.keys(functions).join(', ') : 'none';
    throw new Error(`serverless.yml defines no function "${functionName}" (functions: ${known})`);
  }

  const expressions: string[] = [];
  const events = Array.isArray(definition.events) ? definition.events : [];
  for (const event of events) {
    if (!isRecord(event) || event.schedule === undefined) continue;
    const schedule = event.schedule;

    // `schedule: rate(1 hour)` is shorthand for `schedule: { rate: [rate(1 hour)] }`.
    if (typeof schedule === 'string') {
      expressions.push(schedule);
      continue;
    }
    if (!isRecord(schedule) || schedule.enabled === false) continue;
    const rates = Array.isArray(schedule.rate) ? schedule.rate : [schedule.rate];
    for (const rate of rates) {
      if (typeof rate !== 'string') {
        throw new Error(`Function "${functionName}" has a schedule event whose rate is not a string: ${JSON.stringify(rate)}`);
      }
      expressions.push(rate);
    }
  }
  return expressions;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
