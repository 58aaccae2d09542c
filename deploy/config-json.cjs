'use strict';
/**
 * osls plugin that writes rotation.config.yml as JSON to .kms-rotator/rotation.config.json before
 * the functions are packaged. serverless.yml ships that file in each zip and points
 * KMS_ROTATOR_CONFIG at it, so the functions parse JSON and carry no YAML parser. The functions
 * validate it at cold start as before.
 *
 * It reads the same file as deploy/config-vars.cjs, the rotation.config.yml beside serverless.yml.
 * CommonJS, because osls loads plugins with `require` and package.json sets `"type": "module"`.
 */
const fs = require('node:fs');
const path = require('node:path');
const { readConfig } = require('./config-vars.cjs');

const OUTPUT_PATH = path.resolve(__dirname, '..', '.kms-rotator', 'rotation.config.json');

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
    fs.writeFileSync(OUTPUT_PATH, `${JSON.stringify(readConfig(), null, 2)}\n`);
    this.serverless.cli?.log?.(`kms-rotator: wrote ${path.relative(process.cwd(), OUTPUT_PATH)} from rotation.config.yml`);
  }
}

module.exports = ConfigJsonPlugin;
module.exports.OUTPUT_PATH = OUTPUT_PATH;
