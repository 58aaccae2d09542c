import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run check-config', () => {
  it('accepts the repository config', async () => {
    const { stdout } = await run('npx', ['tsx', 'scripts/check-config.ts']);

    expect(stdout).toBe('rotation.config.yml is valid: 4 aliases in us-east-1; sweep schedule rate(1 hour).\n');
  });

  it('exits 1 naming the invalid field', async () => {
    const failure = await run('npx', ['tsx', 'scripts/check-config.ts', 'events/manual-rotation.json']).catch((error: unknown) => error);

    expect(failure).toMatchObject({
      code: 1,
      stderr: 'events/manual-rotation.json is invalid:\n  - field aliases: missing; it is required\n  - unknown field alias, reason; remove it or check its spelling\n',
    });
  });
});
