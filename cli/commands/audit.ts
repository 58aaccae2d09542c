/** audit replay: runs raw CloudTrail log files through the audit rules and sums up the alerts. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { aliasesInRegion } from '../../src/config/load.js';
import { AuditSettingsError, resolveAuditSettings, type Finding } from '../../src/audit/rules.js';
import { loadConfig } from '../core.js';
import { CliError, EXIT } from '../errors.js';
import { formatTable, printJson, printLine } from '../output.js';
import { ProgressBar } from '../progress.js';

interface AuditOptions {
  config: string;
  stage: string;
  json?: boolean;
  region?: string;
  profile?: string;
  endpoint?: string;
}

export function auditCommand(): Command {
  const audit = new Command('audit').description('investigate KMS activity with the audit rules');
  audit.addCommand(
    new Command('replay')
      .description('replay raw CloudTrail log files (.json, .json.gz) through the audit rules, offline')
      .argument('<path>', 'a CloudTrail log file, or a folder searched recursively for them')
      .option('--config <file>', 'rotation config whose settings.audit and aliases the rules use', 'rotation.config.yml')
      .option('--stage <stage>', 'stage whose roles count as the tool\'s own', 'dev')
      .option('--region <region>', 'accepted for symmetry with the other commands; replay reads only files')
      .option('--profile <name>', 'accepted for symmetry; replay makes no AWS call')
      .option('--endpoint <url>', 'accepted for symmetry; replay makes no AWS call')
      .option('--json', 'print JSON for scripts instead of tables')
      .action(async (path: string, options: AuditOptions) => {
        const files = cloudTrailFiles(path);
        if (files.length === 0) throw new CliError(`No CloudTrail log files (.json or .json.gz) in ${path}`, EXIT.usage);
        const config = loadConfig(options.config);
        let settings;
        try {
          settings = resolveAuditSettings(config);
        } catch (error) {
          if (error instanceof AuditSettingsError) throw new CliError(`${error.message}\nFix settings.audit in ${options.config}.`, EXIT.usage, { cause: error });
          throw error;
        }
        // Loaded here so that the other commands start without the audit rules.
        const { replayFile } = await import('../../src/audit/replay.js');
        const replayOptions = {
          settings,
          stage: options.stage,
          isManagedAlias: (alias: string, region: string) => aliasesInRegion(config, region).some((entry) => entry.alias === alias),
          onFinding: (_record: unknown, findings: Finding[]) => {
            for (const finding of findings) {
              const entry = byRule.get(finding.ruleId) ?? { ruleId: finding.ruleId, severity: finding.severity, alerts: 0 };
              entry.alerts += 1;
              byRule.set(finding.ruleId, entry);
            }
          },
        };
        const progress = new ProgressBar(files.length, process.stderr);
        const byRule = new Map<string, { ruleId: string; severity: string; alerts: number }>();
        const totals = { records: 0, audited: 0, invalid: 0, ignored: 0 };
        for (const file of files) {
          let summary;
          try {
            summary = await replayFile(file, replayOptions);
          } catch (error) {
            throw new CliError(`Cannot replay ${file}: ${(error as Error).message}`, EXIT.failed, { cause: error });
          }
          totals.records += summary.records;
          totals.audited += summary.audited;
          totals.invalid += summary.invalid;
          totals.ignored += summary.ignored;
          progress.tick(file);
        }
        progress.done();

        const rules = [...byRule.values()].sort((a, b) => b.alerts - a.alerts || a.ruleId.localeCompare(b.ruleId));
        const alerts = rules.reduce((total, rule) => total + rule.alerts, 0);
        if (options.json) {
          printJson({ files: files.length, ...totals, alerts, byRule: rules });
          return;
        }
        printLine(
          `Replayed ${totals.records} records from ${files.length} file${files.length === 1 ? '' : 's'}: ${totals.audited} audited, ${totals.ignored} ignored, ${totals.invalid} invalid; ${alerts} alert${alerts === 1 ? '' : 's'}.`,
        );
        if (rules.length > 0) {
          printLine();
          printLine(formatTable(['rule', 'severity', 'alerts'], rules.map((rule) => [rule.ruleId, rule.severity, rule.alerts])));
        }
      }),
  );
  return audit;
}

/** Lists the .json and .json.gz files at `path`, recursively for a folder, in name order. */
export function cloudTrailFiles(path: string): string[] {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new CliError(`Cannot read ${path}: no such file or folder`, EXIT.usage);
  }
  if (stats.isFile()) {
    if (!isCloudTrailFile(path)) throw new CliError(`${path} is not a CloudTrail log file: expected a name ending in .json or .json.gz`, EXIT.usage);
    return [path];
  }
  const found: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) found.push(...cloudTrailFiles(child));
    else if (entry.isFile() && isCloudTrailFile(entry.name)) found.push(child);
  }
  return found;
}

function isCloudTrailFile(name: string): boolean {
  return name.endsWith('.json') || name.endsWith('.json.gz');
}
