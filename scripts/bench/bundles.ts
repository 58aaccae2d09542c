/**
 * Bundle sizes and cold starts of each Lambda function beside a baseline function that only loads
 * `@aws-sdk/client-kms`, all bundled with the esbuild options of serverless.yml.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { resolveServerlessConfig } from '../../local/serverless-config.js';

const run = promisify(execFile);

/** Imports the bundle named by argv[1] and prints how long the import took, in milliseconds. */
const IMPORT_TIMER = 'const started = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - started));';

export interface BundleResult {
  name: string;
  entryPoint: string;
  minifiedBytes: number;
  gzippedBytes: number;
  /** Median time to import the handler in a fresh Node.js process, in milliseconds. */
  coldStartMs: number;
  coldStartSamplesMs: number[];
  /** Output bytes by npm package (or `project` for this repository's code), largest first. */
  largestInputs: Array<{ source: string; bytes: number }>;
}

/**
 * Bundles a handler with the esbuild options of serverless.yml (custom.esbuild), as
 * test/support/bundle.ts and serverless-esbuild do, and also returns esbuild's metafile.
 */
async function bundleWithMetafile(entryPoint: string): Promise<{ path: string; directory: string; metafile: Metafile }> {
  const resolved = (await resolveServerlessConfig(process.cwd())) as { custom: { esbuild: Record<string, unknown> } };
  const { exclude: _exclude, outputFileExtension, ...options } = resolved.custom.esbuild;
  const extension = String(outputFileExtension ?? '.js');
  const directory = mkdtempSync(join(tmpdir(), 'kms-rotator-bench-bundle-'));
  const result = await build({
    ...(options as BuildOptions),
    entryPoints: [entryPoint],
    outdir: directory,
    outExtension: { '.js': extension },
    logLevel: 'silent',
    metafile: true,
  });
  const name = entryPoint.replace(/^.*\//, '').replace(/\.ts$/, '');
  return { path: join(directory, `${name}${extension}`), directory, metafile: result.metafile };
}

/** Sums the output bytes of each input by npm package, e.g. `@aws-sdk/client-kms` or `zod`. */
function bytesBySource(metafile: Metafile): Array<{ source: string; bytes: number }> {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const source = match?.[1] ?? 'project';
      totals.set(source, (totals.get(source) ?? 0) + bytesInOutput);
    }
  }
  return [...totals].map(([source, bytes]) => ({ source, bytes })).sort((a, b) => b.bytes - a.bytes);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Bundles one handler and times `samples` imports of it, each in a new process. */
export async function measureBundle(name: string, entryPoint: string, samples: number): Promise<BundleResult> {
  const { path: bundle, directory, metafile } = await bundleWithMetafile(entryPoint);
  try {
    const code = readFileSync(bundle);
    const coldStartSamplesMs: number[] = [];
    for (let sample = 0; sample < samples; sample += 1) {
      const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', IMPORT_TIMER, bundle], { env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' } });
      coldStartSamplesMs.push(Number(stdout));
    }
    return {
      name,
      entryPoint,
      minifiedBytes: code.length,
      gzippedBytes: gzipSync(code).length,
      coldStartMs: median(coldStartSamplesMs),
      coldStartSamplesMs,
      largestInputs: bytesBySource(metafile).slice(0, 8),
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
