import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { InvokeResult } from './handle-invoke.js';
import { OUTCOMES, type AliasOutcome } from './outcome.js';

/** Adds one count per outcome of an invoke: aliases checked, rotated, failed and so on. */
export function addOutcomeMetrics(metrics: Pick<Metrics, 'addMetric'>, result: InvokeResult): void {
  const outcomes: AliasOutcome[] = 'runId' in result ? result.aliases : 'outcome' in result && 'alias' in result && result.alias !== '*' ? [result as AliasOutcome] : [];
  if (outcomes.length === 0) return;

  metrics.addMetric('AliasesChecked', MetricUnit.Count, outcomes.length);
  const counted: Array<[string, AliasOutcome['outcome']]> = [
    ['AliasesRotated', OUTCOMES.rotated],
    ['AliasesFailed', OUTCOMES.failed],
    ['AliasesBlocked', OUTCOMES.blocked],
    ['SuccessorsPublished', OUTCOMES.published],
    ['NativeRotationRepaired', OUTCOMES.repaired],
    ['AliasesDeferred', OUTCOMES.deferred],
    ['AliasesFannedOut', OUTCOMES.fannedOut],
  ];
  for (const [name, outcome] of counted) {
    metrics.addMetric(name, MetricUnit.Count, outcomes.filter((entry) => entry.outcome === outcome).length);
  }
}
