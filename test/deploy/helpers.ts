import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Returns a copy of the process environment without AWS_* variables, so no child finds credentials or a Region. */
export function envWithoutAws(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs the osls CLI (`serverless ARGS`) with Node, offline and without AWS credentials. */
export function runServerless(args: string[], cwd: string, timeoutMs: number): Promise<CommandResult> {
  const cli = createRequire(import.meta.url).resolve('osls/bin/serverless.js');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, ...args], { cwd, env: envWithoutAws(), timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`serverless ${args.join(' ')} failed in ${cwd}: ${error.message}\n${stdout}\n${stderr}`));
        return;
      }
      resolve({ stdout, stderr, durationMs: performance.now() - started });
    });
  });
}

/**
 * Reads every file of a zip archive into memory. Supports the stored and deflate methods without
 * ZIP64, which covers the archives serverless-esbuild writes for a Lambda function.
 */
export function readZip(path: string): Map<string, Buffer> {
  const archive = readFileSync(path);
  const endOfDirectory = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endOfDirectory < 0) throw new Error(`${path} is not a zip archive: end of central directory not found`);

  const entryCount = archive.readUInt16LE(endOfDirectory + 10);
  let offset = archive.readUInt32LE(endOfDirectory + 16);
  const files = new Map<string, Buffer>();

  for (let index = 0; index < entryCount; index += 1) {
    if (archive.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${path}: bad central directory entry at byte ${offset}`);
    const method = archive.readUInt16LE(offset + 10);
    const compressedSize = archive.readUInt32LE(offset + 20);
    const nameLength = archive.readUInt16LE(offset + 28);
    const extraLength = archive.readUInt16LE(offset + 30);
    const commentLength = archive.readUInt16LE(offset + 32);
    const localHeader = archive.readUInt32LE(offset + 42);
    const name = archive.toString('utf8', offset + 46, offset + 46 + nameLength);

    const dataStart = localHeader + 30 + archive.readUInt16LE(localHeader + 26) + archive.readUInt16LE(localHeader + 28);
    const data = archive.subarray(dataStart, dataStart + compressedSize);
    if (method === 0) files.set(name, Buffer.from(data));
    else if (method === 8) files.set(name, inflateRawSync(data));
    else throw new Error(`${path}: ${name} uses unsupported compression method ${method}`);

    offset += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}
