/**
 * `npm run check-config [-- FILE]`: validates a rotation config as the functions do at cold start.
 * With `--json-out PATH`, it also writes the JSON copy that the functions read. The osls plugin
 * deploy/config-json.cjs runs it that way, so packaging stops when the config is invalid.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfigDocument, readConfigText } from '../src/config/load.js';
import { configDocumentFromYaml } from '../src/config/yaml.js';

const USAGE = `Usage: npm run check-config [-- [--json-out PATH] FILE]

Validates FILE (default rotation.config.yml) as the functions do at cold start.
--json-out PATH also writes the JSON copy of FILE that serverless package ships to the functions.`;

let values: { help?: boolean; 'json-out'?: string };
let positionals: string[];
try {
  ({ values, positionals } = parseArgs({ options: { help: { type: 'boolean', short: 'h' }, 'json-out': { type: 'string' } }, allowPositionals: true }));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(1);
}
if (values.help || positionals.length > 1) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 1);
}
const path = positionals[0] ?? 'rotation.config.yml';
try {
  const document = configDocumentFromYaml(readConfigText(path), path);
  const config = parseConfigDocument(document, path);
  const regions = [...new Set(config.aliases.map((entry) => entry.region))].sort();
  const count = config.aliases.length;
  console.log(`${path} is valid: ${count} ${count === 1 ? 'alias' : 'aliases'} in ${regions.join(', ')}; sweep schedule ${config.sweepSchedule}.`);
  const jsonOut = values['json-out'];
  if (jsonOut) {
    writeFileSync(jsonOut, `${JSON.stringify(document, null, 2)}\n`);
    console.log(`Wrote its JSON copy to ${jsonOut}.`);
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : String(error));
  process.exitCode = 1;
}
