import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fromAttributeMap, toAttributeMap } from '../state/attributes.js';

/** How long an event id is remembered, so a duplicate delivered later is still recognised. */
const EVENT_MEMORY_MS = 7 * 24 * 3_600_000;
/** Attempts of a window update that races with another invocation before giving up. */
const WINDOW_ATTEMPTS = 4;

/**
 * The audit function's items in the state table, all under the `AUDIT#` prefix: event ids already
 * handled, per-principal counters, repeat windows of alerts and the last trail check. Every change
 * is one conditional UpdateItem or PutItem on one item. Items carry `expiresAt` (epoch seconds)
 * for the table's TTL.
 */
export class AuditStore {
  readonly #dynamodb: DynamoDBClient;
  readonly #tableName: string;

  constructor(dynamodb: DynamoDBClient, tableName: string) {
    this.#dynamodb = dynamodb;
    this.#tableName = tableName;
  }

  /** Claims an event id; returns false when another delivery of the same event claimed it first. */
  async claimEvent(eventId: string, nowMs: number): Promise<boolean> {
    try {
      await this.#dynamodb.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: { ...key(`AUDIT#EVENT#${eventId}`, 'EVENT'), ...toAttributeMap({ claimedAt: new Date(nowMs).toISOString(), expiresAt: epochSeconds(nowMs + EVENT_MEMORY_MS) }) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Releases a claim after a failure, so that Lambda's retry of the same event is handled again. */
  async releaseEvent(eventId: string): Promise<void> {
    await this.#dynamodb.send(new DeleteItemCommand({ TableName: this.#tableName, Key: key(`AUDIT#EVENT#${eventId}`, 'EVENT') }));
  }

  /**
   * Counts one occurrence in a fixed window of `windowMs` that starts at the first occurrence,
   * and returns the count in the current window, this occurrence included.
   */
  async countInWindow(name: string, nowMs: number, windowMs: number): Promise<number> {
    const itemKey = key(`AUDIT#COUNT#${name}`, 'COUNT');
    const values = { ':floor': nowMs - windowMs, ':one': 1, ':now': nowMs, ':expires': epochSeconds(nowMs + windowMs) };
    for (let attempt = 0; attempt < WINDOW_ATTEMPTS; attempt += 1) {
      const counted = await this.#conditionalUpdate(itemKey, 'ADD #count :one', 'windowStartMs > :floor', values);
      if (counted) return Number(counted.count);
      const opened = await this.#conditionalUpdate(
        itemKey,
        'SET windowStartMs = :now, #count = :one, expiresAt = :expires',
        'attribute_not_exists(pk) OR windowStartMs <= :floor',
        values,
      );
      if (opened) return 1;
    }
    throw new Error(`The audit counter ${name} kept changing under this invocation; gave up after ${WINDOW_ATTEMPTS} attempts`);
  }

  /**
   * Folds repeats of one alert into one. Returns the number of occurrences to report (this one
   * plus those suppressed since the last report) when a new window opens, or undefined when this
   * occurrence falls in the open window and was counted there instead.
   */
  async foldRepeat(name: string, nowMs: number, windowMs: number): Promise<number | undefined> {
    const itemKey = key(`AUDIT#REPEAT#${name}`, 'REPEAT');
    const values = { ':floor': nowMs - windowMs, ':one': 1, ':zero': 0, ':now': nowMs, ':expires': epochSeconds(nowMs + 30 * windowMs) };
    for (let attempt = 0; attempt < WINDOW_ATTEMPTS; attempt += 1) {
      const opened = await this.#conditionalUpdate(
        itemKey,
        'SET windowStartMs = :now, suppressed = :zero, expiresAt = :expires',
        'attribute_not_exists(pk) OR windowStartMs <= :floor',
        values,
        'ALL_OLD',
      );
      if (opened) return Number(opened.suppressed ?? 0) + 1;
      const folded = await this.#conditionalUpdate(itemKey, 'ADD suppressed :one', 'windowStartMs > :floor', values);
      if (folded) return undefined;
    }
    throw new Error(`The repeat window ${name} kept changing under this invocation; gave up after ${WINDOW_ATTEMPTS} attempts`);
  }

  /**
   * Records whether a trail logs in the Region. Returns true when this changes the recorded state
   * (or none was recorded), so an alert goes out once per change, not at every cold start.
   */
  async recordTrailStatus(region: string, logging: boolean, nowMs: number): Promise<boolean> {
    const updated = await this.#conditionalUpdate(
      key(`AUDIT#TRAIL#${region}`, 'TRAIL'),
      'SET logging = :logging, checkedAt = :now',
      'attribute_not_exists(logging) OR logging <> :logging',
      { ':logging': logging, ':now': new Date(nowMs).toISOString() },
    );
    return updated !== undefined;
  }

  /** Applies an update when `condition` holds; returns the requested attributes, or undefined when it does not hold. */
  async #conditionalUpdate(
    itemKey: ReturnType<typeof key>,
    update: string,
    condition: string,
    values: Record<string, unknown>,
    returnValues: 'UPDATED_NEW' | 'ALL_OLD' = 'UPDATED_NEW',
  ): Promise<Record<string, unknown> | undefined> {
    const used = Object.fromEntries(Object.entries(values).filter(([name]) => update.includes(name) || condition.includes(name)));
    try {
      const output = await this.#dynamodb.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: itemKey,
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: update.includes('#count') ? { '#count': 'count' } : undefined,
          ExpressionAttributeValues: toAttributeMap(used),
          ReturnValues: returnValues,
        }),
      );
      return output.Attributes ? fromAttributeMap(output.Attributes) : {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

export function key(pk: string, sk: string) {
  return { pk: { S: pk }, sk: { S: sk } };
}

function epochSeconds(ms: number): number {
  return Math.ceil(ms / 1000);
}
