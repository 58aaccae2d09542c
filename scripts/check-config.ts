/** `npm run check-config [FILE]`: validates a rotation config as the rotate function does at cold start. */
import { ConfigError } from '../src/config/load.js';
import { loadConfigFile } from '../src/config/yaml.js';

const argument = process.argv[2];
if (argument === '--help' || argument === '-h' || process.argv.length > 3) {
  console.log('Usage: npm run check-config [-- FILE]\n\nValidates FILE (default rotation.config.yml) as the rotate function does at cold start.');
  process.exit(argument === '--help' || argument === '-h' ? 0 : 1);
}
const path = argument ?? 'rotation.config.yml';
try {
  const config = loadConfigFile(path);
  const regions = [...new Set(config.aliases.map((entry) => entry.region))].sort();
  const count = config.aliases.length;
  console.log(`${path} is valid: ${count} ${count === 1 ? 'alias' : 'aliases'} in ${regions.join(', ')}; sweep schedule ${config.sweepSchedule}.`);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : String(error));
  process.exitCode = 1;
}
