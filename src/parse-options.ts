import { en } from 'zod/locales';

/**
 * Parse options that give zod/mini issues English messages. Full zod loads its English locale
 * itself, but zod/mini (zod 4.6) loads none, so an issue without a message of its own would read
 * "Invalid input".
 *
 * The project imports `* as z from 'zod/mini'` only: esbuild bundles the whole of zod for
 * `from 'zod'`, and the whole of zod/mini, every locale included, for `import { z }`.
 * test/config/zod-imports.test.ts checks this.
 */
export const PARSE_OPTIONS = { error: en().localeError };
