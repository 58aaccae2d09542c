import { execFile } from 'node:child_process';
import type { LocalIdentity } from '../../local/identities.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the kms-rotator bin as a child process, signed as `identity`, and never throws. */
export function runCli(args: string[], identity: LocalIdentity, env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['cli/bin.mjs', ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: '/nonexistent',
          AWS_CONFIG_FILE: '/nonexistent/config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
          AWS_ACCESS_KEY_ID: identity.accessKeyId,
          AWS_SECRET_ACCESS_KEY: identity.secretAccessKey,
          AWS_REGION: 'us-east-1',
          // The SDK's NodeVersionSupportWarning on Node.js 20 would otherwise fill stderr.
          NODE_NO_WARNINGS: '1',
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
