/**
 * `npm run invoke -- EVENT_FILE`: runs the rotate handler once in this process with an event from
 * a JSON file, against whatever the AWS SDK's environment points at (AWS, LocalStack, or the local
 * emulator and dynalite), and prints the result as JSON.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handler } from '../handlers/rotate.js';
import { parseConfigDocument, readConfigText } from '../src/config/load.js';
import { configDocumentFromYaml } from '../src/config/yaml.js';

/**
 * Points KMS_ROTATOR_CONFIG at a JSON copy of a YAML config, as `serverless package` ships it,
 * because the handler reads JSON only. Validates the YAML first, so a mistake names the YAML file.
 */
function useJsonConfig(): string | undefined {
  const configPath = process.env.KMS_ROTATOR_CONFIG || 'rotation.config.yml';
  if (configPath.endsWith('.json')) return undefined;
  const document = configDocumentFromYaml(readConfigText(configPath), configPath);
  parseConfigDocument(document, configPath);
  const directory = mkdtempSync(join(tmpdir(), 'kms-rotator-invoke-'));
  const jsonPath = join(directory, 'rotation.config.json');
  writeFileSync(jsonPath, JSON.stringify(document));
  process.env.KMS_ROTATOR_CONFIG = jsonPath;
  return directory;
}

const path = process.argv[2];
if (!path || path === '--help' || path === '-h') {
  console.log('Usage: npm run invoke -- EVENT_FILE\n\nRuns handlers/rotate.ts with the event in EVENT_FILE, such as events/manual-rotation.json.');
  process.exit(path ? 0 : 1);
}

let copyDirectory: string | undefined;
try {
  copyDirectory = useJsonConfig();
  const event: unknown = JSON.parse(readFileSync(path, 'utf8'));
  console.log(JSON.stringify(await handler(event), null, 2));
} catch (error) {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exitCode = 1;
} finally {
  if (copyDirectory) rmSync(copyDirectory, { recursive: true, force: true });
}
