import { $constructor, $ZodObjectJIT, config, type $loose, type $ZodLooseShape, type $ZodObject, type $ZodObjectDef } from 'zod/v4/core';
import { en } from 'zod/locales';
import * as z from 'zod/mini';

// The project imports `* as z from 'zod/mini'` only: esbuild bundles all of zod for `from 'zod'`,
// and all of zod/mini, every locale included, for `import { z }` (test/config/zod-imports.test.ts).
// Values of zod's core come by name from 'zod/v4/core', because `z.core.x` bundles every locale too.

// English issue messages for every schema of the process. Full zod sets them when it loads, but
// zod/mini sets none, so an issue without a message of its own would read "Invalid input". Options
// passed to each safeParse would do the same, but they turn off the compiled fast path of objects.
config(en());

/** Constructor of zod/mini objects that parse through zod's compiled fast path, as full zod's objects do. */
const FastObject = $constructor('KmsRotatorFastObject', (instance: $ZodObject, definition: $ZodObjectDef) => {
  const miniType: { init(instance: unknown, definition: unknown): void } = z.ZodMiniType;
  $ZodObjectJIT.init(instance, definition);
  miniType.init(instance, definition);
}) as unknown as new (definition: $ZodObjectDef) => unknown;

/**
 * Returns an object schema that keeps unknown keys, like `z.looseObject`, but validates about twice
 * as fast: zod/mini objects skip the compiled fast path that full zod's use. For hot paths such as
 * the audit of CloudTrail records.
 */
export function fastLooseObject<T extends $ZodLooseShape>(shape: T): z.ZodMiniObject<T, $loose> {
  return new FastObject({ type: 'object', shape, catchall: z.unknown() }) as z.ZodMiniObject<T, $loose>;
}
