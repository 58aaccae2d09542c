/** plan: what a sweep would do now for each managed alias, and the keys and cost it leads to. */
import { Command, InvalidArgumentError } from 'commander';
import { aliasesInRegion } from '../../src/config/load.js';
import { planSweep } from '../../src/rotation/dry-run.js';
import { addCommonOptions, resolveContext, type CommonOptions } from '../context.js';
import { loadConfig, openCore } from '../core.js';
import { CliError } from '../errors.js';
import { countKeys, KMS_KEY_PRICE_USD_PER_MONTH, PROJECTION_DAYS, type KeyCount } from '../cost.js';
import { day, formatTable, printJson, printLine } from '../output.js';

interface PlanOptions extends CommonOptions {
  config: string;
  keyPrice: number;
}

export function planCommand(): Command {
  return addCommonOptions(new Command('plan'))
    .description('show each managed alias of the Region: current key, age, next due date, what a sweep would do now, and key count and cost')
    .option('--config <file>', 'rotation config', 'rotation.config.yml')
    .option('--key-price <usd>', 'price of one KMS key per month in US dollars', parsePrice, KMS_KEY_PRICE_USD_PER_MONTH)
    .action(async (options: PlanOptions) => {
      const context = await resolveContext(options);
      const config = loadConfig(options.config);
      const core = openCore(context);
      try {
        const plan = await planSweep(core.deps, config);
        const now = new Date(plan.at);
        const managed = aliasesInRegion(config, context.region);
        const rows: Array<(typeof plan.aliases)[number] & KeyCount> = [];
        for (const [index, aliasPlan] of plan.aliases.entries()) {
          const entry = managed[index];
          const counts = entry && aliasPlan.action !== 'error'
            ? await countKeys(core.deps.kms, core.deps.table, entry, aliasPlan, now, options.keyPrice)
            : { keysNow: 0, keysProjected: 0, costNow: 0, costProjected: 0 };
          rows.push({ ...aliasPlan, ...counts });
        }
        const totals = {
          keysNow: sum(rows.map((row) => row.keysNow)),
          keysProjected: sum(rows.map((row) => row.keysProjected)),
          costNow: sum(rows.map((row) => row.costNow)),
          costProjected: sum(rows.map((row) => row.costProjected)),
        };
        const pricing = {
          usdPerKeyMonth: options.keyPrice,
          source: 'https://aws.amazon.com/kms/pricing/',
          projectionDays: PROJECTION_DAYS,
          note: 'Enabled and disabled keys are billed; keys pending deletion are not. Request charges are not included. The projection is an estimate.',
        };

        if (context.json) {
          printJson({ region: context.region, at: plan.at, aliases: rows, totals, pricing, orphanKeys: plan.orphanKeys });
        } else {
          printTable(context.region, plan.at, rows, totals, options.keyPrice);
          for (const orphan of plan.orphanKeys) {
            console.log(
              `Orphaned key ${orphan.keyId} (${orphan.keyState ?? 'unknown state'}, created ${orphan.createdAt ?? 'unknown'}): tagged for ${orphan.taggedAlias} but not one of its recorded keys; kms-rotator never uses it. Schedule its deletion if nobody does.`,
            );
          }
        }
        const failed = rows.filter((row) => row.action === 'error');
        if (failed.length > 0) {
          throw new CliError(`${failed.length} of ${rows.length} aliases could not be planned: ${failed.map((row) => `${row.alias}: ${row.message ?? 'unknown error'}`).join('; ')}`);
        }
      } finally {
        core.close();
      }
    });
}

function printTable(region: string, at: string, rows: Array<Parameters<typeof toRow>[0]>, totals: KeyCount, price: number): void {
  printLine(`Plan for ${region} at ${at}`);
  printLine();
  printLine(
    formatTable(
      ['alias', 'strategy', 'current key', 'age (d)', 'period', 'due', 'sweep would', 'keys now', `keys in ${PROJECTION_DAYS}d`, 'USD/month now', `USD/month in ${PROJECTION_DAYS}d`, 'note'],
      rows.map(toRow),
    ),
  );
  printLine();
  printLine(`Total: ${totals.keysNow} keys, ${usd(totals.costNow)} per month now; about ${totals.keysProjected} keys, ${usd(totals.costProjected)} per month in ${PROJECTION_DAYS} days.`);
  printLine(`Price: ${usd(price)} per key per month (AWS KMS pricing, https://aws.amazon.com/kms/pricing/). Enabled and disabled keys are billed; keys pending deletion are not.`);
  printLine('The projection is an estimate: every due alias rotates when due, and where retire.allowDeletion is set, deletions are approved as soon as filed. Request charges are not included.');
}

function toRow(row: { alias: string; strategy: string; currentKeyId?: string; keyAgeDays?: number; period: string; dueAt?: string; action: string; message?: string } & KeyCount) {
  return [row.alias, row.strategy, row.currentKeyId, row.keyAgeDays, row.period, day(row.dueAt), row.action, row.keysNow, row.keysProjected, usd(row.costNow), usd(row.costProjected), row.message];
}

function usd(value: number): string {
  return `$${value.toFixed(2)}`;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function parsePrice(value: string): number {
  const price = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(price)) throw new InvalidArgumentError('must be a price in US dollars, such as 1 or 1.00');
  return price;
}
