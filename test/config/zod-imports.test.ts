import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Returns every TypeScript file under `directory`, recursively. */
function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('zod imports of the bundled code', () => {
  it('use only the namespace import of zod/mini', () => {
    const offending = [...sourceFiles('src'), ...sourceFiles('handlers')].flatMap((path) =>
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => /^import .* from 'zod(\/v4)?';|^import (type )?\{[^}]*\} from 'zod\/mini';/.test(line))
        .map((line) => `${path}: ${line.trim()}`),
    );

    expect(offending).toEqual([]);
  });
});
