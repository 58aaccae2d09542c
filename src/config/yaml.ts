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
  return parseConfigDocument(configDocumentFromYaml(text, source), source);
}

/**
 * Parses config YAML into a document of plain JSON values, the form the functions receive. Values
 * that JSON cannot carry, such as an `!!omap` (a Map), a `!!set` or a timestamp, would reach the
 * functions changed or empty, so they are rejected with the path where they sit.
 */
export function configDocumentFromYaml(text: string, source = 'rotation.config.yml'): unknown {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${source} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  const where = notPlainJson(document, []);
  if (where !== undefined) {
    const field = where.length > 0 ? `field ${where.join('.')}` : 'the document';
    throw new ConfigError(
      `${source} is invalid:\n  - ${field}: a YAML tag or type that JSON cannot carry (such as !!omap, !!set, !!binary or a timestamp); write plain mappings, lists, strings, numbers and booleans`,
    );
  }
  return document;
}

/** Returns the path of the first value that is not plain JSON, or undefined when every value is. */
function notPlainJson(value: unknown, path: Array<string | number>): Array<string | number> | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = notPlainJson(item, [...path, index]);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      const found = notPlainJson(item, [...path, key]);
      if (found) return found;
    }
    return undefined;
  }
  return path;
}
