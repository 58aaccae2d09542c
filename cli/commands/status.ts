/** status: one alias's key generations as a timeline, from the state table and KMS. */
import { DescribeKeyCommand, NotFoundException, type KeyMetadata, type KMSClient } from '@aws-sdk/client-kms';
import { Command } from 'commander';
import type { GenerationItem } from '../../src/state/records.js';
import { addCommonOptions, resolveContext, type CommonOptions } from '../context.js';
import { openCore } from '../core.js';
import { CliError, EXIT } from '../errors.js';
import { formatTable, printJson, printLine } from '../output.js';

/**
 * Times that the retirement steps may record on a generation. The state table of this version
 * records only current and superseded, so these are read when present.
 */
interface RetirementTimes {
  disabledAt?: string;
  deletionScheduledAt?: string;
}

export interface GenerationStatus {
  generation: number;
  keyId: string;
  keyArn: string;
  source: GenerationItem['source'];
  recordState: GenerationItem['state'];
  currentFrom?: string;
  supersededAt?: string;
  rolledBackAt?: string;
  disabledAt?: string;
  deletionScheduledAt?: string;
  /** Key state in KMS now; `Deleted` when KMS no longer has the key. */
  keyState: string;
  deletionDate?: string;
  reason?: string;
  requestedBy?: string;
}

export function statusCommand(): Command {
  return addCommonOptions(new Command('status'))
    .description('show the alias\'s keys as a timeline: when each became current, was superseded, disabled or scheduled for deletion')
    .argument('<alias>', 'managed alias, such as alias/payments')
    .action(async (alias: string, options: CommonOptions) => {
      if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(alias)) throw new CliError(`Invalid alias ${JSON.stringify(alias)}: expected a name such as alias/payments`, EXIT.usage);
      const context = await resolveContext(options);
      const core = openCore(context);
      try {
        const { table, kms } = core.deps;
        const item = await table.getAlias(context.region, alias);
        const generations = await table.listGenerations(context.region, alias);
        const materialRotations = await table.listMaterialRotations(context.region, alias);
        if (!item && generations.length === 0 && materialRotations.length === 0) {
          throw new CliError(
            `No record of ${alias} in the state table ${context.tableName} in ${context.region}: check the alias, --region and --stage, or wait for the first sweep to adopt it`,
            EXIT.failed,
          );
        }
        const timeline: GenerationStatus[] = [];
        for (const generation of generations) timeline.push(await describeGeneration(kms, generation));

        const summary = {
          alias,
          region: context.region,
          currentKeyId: item?.currentKeyId,
          paused: item?.paused,
          rotationInFlight: item?.rotation ? { step: item.rotation.step, startedAt: item.rotation.startedAt, successorKeyId: item.rotation.successorKeyId } : undefined,
          blocked: item?.blocked,
        };
        if (context.json) {
          printJson({ ...summary, generations: timeline, materialRotations });
          return;
        }
        printLine(`${alias} in ${context.region}: current key ${summary.currentKeyId ?? 'unknown'}`);
        if (summary.paused) printLine(`Paused since ${summary.paused.at} by ${summary.paused.by ?? 'unknown'}: ${summary.paused.reason}`);
        if (summary.rotationInFlight) printLine(`Rotation in flight since ${summary.rotationInFlight.startedAt}, at step ${summary.rotationInFlight.step}`);
        if (summary.blocked) printLine(`Blocked since ${summary.blocked.since}: ${summary.blocked.reason}`);
        printLine();
        printLine(
          formatTable(
            ['gen', 'key', 'source', 'current from', 'superseded', 'rolled back', 'disabled', 'deletion scheduled', 'state now', 'deletion date', 'reason'],
            timeline.map((entry) => [
              entry.generation, entry.keyId, entry.source, entry.currentFrom, entry.supersededAt, entry.rolledBackAt,
              entry.disabledAt, entry.deletionScheduledAt, entry.keyState, entry.deletionDate, entry.reason,
            ]),
          ),
        );
        if (materialRotations.length > 0) {
          printLine();
          printLine('Material rotations (native strategy):');
          printLine(formatTable(['rotated at', 'key', 'trigger', 'requested by', 'reason'], materialRotations.map((rotation) => [rotation.rotatedAt, rotation.keyId, rotation.trigger, rotation.requestedBy, rotation.reason])));
        }
      } finally {
        core.close();
      }
    });
}

async function describeGeneration(kms: KMSClient, generation: GenerationItem & RetirementTimes): Promise<GenerationStatus> {
  const key = await describeKey(kms, generation.keyArn);
  return {
    generation: generation.generation,
    keyId: generation.keyId,
    keyArn: generation.keyArn,
    source: generation.source,
    recordState: generation.state,
    // An adopted key was current from the moment the tool recorded it.
    currentFrom: generation.promotedAt ?? (generation.source === 'adopted' ? generation.recordedAt : undefined),
    supersededAt: generation.supersededAt,
    rolledBackAt: generation.rolledBackAt,
    disabledAt: generation.disabledAt,
    deletionScheduledAt: generation.deletionScheduledAt,
    keyState: key?.KeyState ?? 'Deleted',
    deletionDate: key?.DeletionDate?.toISOString(),
    reason: generation.reason,
    requestedBy: generation.requestedBy,
  };
}

async function describeKey(kms: KMSClient, keyArn: string): Promise<KeyMetadata | undefined> {
  try {
    return (await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata;
  } catch (error) {
    if (error instanceof NotFoundException) return undefined;
    throw error;
  }
}
