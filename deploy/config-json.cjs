'use strict';
/**
 * osls plugin that validates rotation.config.yml and writes its JSON copy to
 * .kms-rotator/rotation.config.json when `serverless package` or `serverless deploy` starts.
 * serverless.yml ships that file in each zip and points KMS_ROTATOR_CONFIG at it, so the functions
 * parse JSON and carry no YAML parser. It runs `scripts/check-config.ts --json-out`, so an invalid
 * config stops packaging with check-config's message, and the functions receive exactly the
 * document that check-config validated.
 *
 * CommonJS, because osls loads plugins with `require` and package.json sets `"type": "module"`.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const SERVICE_DIR = path.resolve(__dirname, '..');
const OUTPUT_PATH = path.join(SERVICE_DIR, '.kms-rotator', 'rotation.config.json');

class ConfigJsonPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    const write = () => this.write();
    this.hooks = {
      'package:initialize': write,
      'deploy:function:initialize': write,
    };
  }

  write() {
    fs.mkdirSync(path.dirname(OUTPUT_PATH), { recursive: true });
    // A stale copy must never ship: remove it before the check that writes the new one.
    fs.rmSync(OUTPUT_PATH, { force: true });
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/check-config.ts', '--json-out', OUTPUT_PATH, 'rotation.config.yml'], {
        cwd: SERVICE_DIR,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const detail = (error.stderr || error.message || String(error)).trim();
      // osls prints its own error class as a message, without a stack trace.
      const ServerlessError = this.serverless.classes?.Error ?? Error;
      throw new ServerlessError(`rotation.config.yml cannot be packaged:\n${detail}`);
    }
    this.serverless.cli?.log?.(`kms-rotator: validated rotation.config.yml and wrote ${path.relative(SERVICE_DIR, OUTPUT_PATH)}`);
  }
}

module.exports = ConfigJsonPlugin;
module.exports.OUTPUT_PATH = OUTPUT_PATH;
