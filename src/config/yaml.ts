import { parse as parseYaml } from 'yaml';
import { ConfigError, parseConfigDocument, readConfigText, type RotationConfig } from './load.js';

/**
 * Reads and validates rotation.config.yml, for the CLI, the local cloud and the scripts. The
 * deployed functions read its JSON copy with loadDeployedConfig. Throws ConfigError naming each
 * invalid field and value.
 */
export function loadConfigFile(path: string): RotationConfig {
  return parseConfig(readConfigText(path), path);
}

/** Validates config text in YAML; `source` names the file in messages. */
export function parseConfig(text: string, source = 'rotation.config.yml'): RotationConfig {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${source} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  return parseConfigDocument(document, source);
}
