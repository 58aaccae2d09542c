import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { resolveServerlessConfig } from '../../local/serverless-config.js';

/**
 * Bundles a handler with the esbuild options of serverless.yml (custom.esbuild), as
 * serverless-esbuild does when packaging, and returns the path of the bundle.
 */
export async function bundleHandler(entryPoint: string): Promise<string> {
  const resolved = (await resolveServerlessConfig(process.cwd())) as { custom: { esbuild: Record<string, unknown> } };
  const { exclude: _exclude, outputFileExtension, ...options } = resolved.custom.esbuild;
  const outdir = mkdtempSync(join(tmpdir(), 'kms-rotator-bundle-'));
  await build({
    ...(options as BuildOptions),
    entryPoints: [entryPoint],
    outdir,
    outExtension: { '.js': String(outputFileExtension ?? '.js') },
    logLevel: 'silent',
  });
  const name = entryPoint.replace(/^.*\//, '').replace(/\.ts$/, '');
  return join(outdir, `${name}${String(outputFileExtension ?? '.js')}`);
}
