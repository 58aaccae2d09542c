import { parseArgs } from 'node:util';
import { managedAliasTest } from '../src/audit/managed-aliases.js';
import { replayFile } from '../src/audit/replay.js';
import { resolveAuditSettings } from '../src/audit/rules.js';
import { loadConfigFile } from '../src/config/yaml.js';

const USAGE = `Usage: tsx scripts/replay.ts [options] FILE...

Replays raw CloudTrail log files ({"Records": [...]}, plain or .json.gz) through the audit
function's validation and rules. It only classifies: it publishes nothing and changes nothing.

Options:
  --config FILE   rotation config whose settings.audit and managed aliases apply (default rotation.config.yml)
  --stage NAME    stage whose roles kms-rotator-<stage>-<region>-<function> count as the tool (default prod)
  --table NAME    state table name, for the state-table-policy-changed rule (default kms-rotator-<stage>-state)
  --findings      print every matched record as one JSON line: {"record": ..., "findings": [...]}
  --help          print this text`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      config: { type: 'string', default: 'rotation.config.yml' },
      stage: { type: 'string', default: 'prod' },
      table: { type: 'string' },
      findings: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }

  const config = loadConfigFile(values.config);
  const options = {
    settings: resolveAuditSettings(config),
    stage: values.stage,
    isManagedAlias: managedAliasTest(config),
    stateTableName: values.table ?? `kms-rotator-${values.stage}-state`,
    onFinding: values.findings ? (record: unknown, findings: unknown) => console.log(JSON.stringify({ record, findings })) : undefined,
    onInvalid: (reason: string) => console.error(`invalid record skipped (first of its kind): ${reason}`),
  };

  for (const file of positionals) {
    const summary = await replayFile(file, options);
    console.error(
      `${file}: ${summary.records} records (${summary.audited} audited, ${summary.invalid} invalid, ${summary.ignored} not KMS) in ${summary.seconds.toFixed(1)} s, ` +
        `${summary.recordsPerSecond} records/s, peak heap ${summary.peakHeapMiB.toFixed(0)} MiB, peak RSS ${summary.peakRssMiB.toFixed(0)} MiB`,
    );
    console.error(`findings: ${JSON.stringify(summary.findings)}`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`replay failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
