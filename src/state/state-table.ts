import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { fromAttributeMap, toAttribute, toAttributeMap } from './attributes.js';
import type { AliasItem, BlockedRecord, GenerationItem, MaterialRotationItem, PauseRecord, RotationRecord } from './records.js';

/** The lease was taken over by another run, or expired, before this run finished a write. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

const ALIAS_SORT_KEY = 'ALIAS';
/** Maximum keys one BatchGetItem call may read (DynamoDB API reference). */
export const BATCH_GET_MAX_KEYS = 100;
/** Calls one getAliasBatch makes for keys DynamoDB leaves unprocessed: about 4 s of waits in all. */
const BATCH_GET_ATTEMPTS = 8;
const GENERATION_PREFIX = 'GEN#';
const MATERIAL_ROTATION_PREFIX = 'ROT#';

/**
 * The state table: one item per alias (lease, in-flight rotation, current key) and one per key
 * generation. Every change to the alias item is one conditional UpdateItem, because DynamoDB
 * Local implementations such as dynalite have no transactions, and the design needs none.
 */
export class StateTable {
  readonly #dynamodb: DynamoDBClient;
  readonly #tableName: string;

  constructor(dynamodb: DynamoDBClient, tableName: string) {
    this.#dynamodb = dynamodb;
    this.#tableName = tableName;
  }

  async getAlias(region: string, alias: string): Promise<AliasItem | undefined> {
    const output = await this.#dynamodb.send(
      new GetItemCommand({ TableName: this.#tableName, Key: aliasKey(region, alias), ConsistentRead: true }),
    );
    if (!output.Item) return undefined;
    const { pk: _pk, sk: _sk, ...item } = fromAttributeMap(output.Item);
    return item as unknown as AliasItem;
  }

  /**
   * Takes the alias's lease for `owner` until `nowMs + durationMs`. Returns false when another
   * run holds an unexpired lease. Creates the alias item on first use.
   */
  async acquireLease(region: string, alias: string, owner: string, nowMs: number, durationMs: number): Promise<boolean> {
    return this.#sendIfCondition(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: aliasKey(region, alias),
        UpdateExpression:
          'SET leaseOwner = :owner, leaseExpiresAtMs = :expires, alias = :alias, #region = :region, generation = if_not_exists(generation, :zero)',
        ConditionExpression: 'attribute_not_exists(leaseOwner) OR leaseExpiresAtMs < :now',
        ExpressionAttributeNames: { '#region': 'region' },
        ExpressionAttributeValues: toAttributeMap({
          ':owner': owner,
          ':expires': nowMs + durationMs,
          ':now': nowMs,
          ':alias': alias,
          ':region': region,
          ':zero': 0,
        }),
      }),
    );
  }

  /** Releases the lease if `owner` still holds it; a lease already lost is left alone. */
  async releaseLease(region: string, alias: string, owner: string): Promise<void> {
    try {
      await this.#updateHeld(region, alias, owner, 'REMOVE leaseOwner, leaseExpiresAtMs', {});
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
    }
  }

  /** Records the alias's current key as its first managed generation, or a later one found in KMS. */
  async recordAdoption(region: string, alias: string, owner: string, generation: GenerationItem, keyCreatedAt: string): Promise<void> {
    await this.putGeneration(generation);
    await this.#updateHeld(
      region,
      alias,
      owner,
      'SET currentKeyId = :keyId, currentKeyArn = :keyArn, currentKeyCreatedAt = :createdAt, generation = :generation REMOVE promotedAt',
      { ':keyId': generation.keyId, ':keyArn': generation.keyArn, ':createdAt': keyCreatedAt, ':generation': generation.generation },
    );
  }

  /**
   * Reads the items of up to 100 aliases of one Region with one BatchGetItem call, and calls again
   * for the keys DynamoDB leaves unprocessed. With `withGlobalPause`, the Region's pause item takes
   * one of the 100 keys. Aliases without an item are absent from the map.
   */
  async getAliasBatch(region: string, aliases: string[], withGlobalPause = false): Promise<{ items: Map<string, AliasItem>; globalPause?: PauseRecord }> {
    let pending: Record<string, AttributeValue>[] | undefined = aliases.map((alias) => aliasKey(region, alias));
    if (withGlobalPause) pending.unshift(globalPauseKey(region));
    if (pending.length > BATCH_GET_MAX_KEYS) {
      throw new RangeError(`getAliasBatch reads at most ${BATCH_GET_MAX_KEYS} keys, pause item included; it was given ${pending.length}`);
    }
    const pausePk = globalPauseKey(region).pk.S;
    const items = new Map<string, AliasItem>();
    let globalPause: PauseRecord | undefined;
    for (let attempt = 0; pending && pending.length > 0; attempt += 1) {
      // DynamoDB returns keys unprocessed while the table is throttled. After the last attempt the
      // caller falls back to reading each item on its own, rather than wait for the Lambda timeout.
      if (attempt >= BATCH_GET_ATTEMPTS) {
        throw new Error(`BatchGetItem left ${pending.length} keys of ${this.#tableName} unprocessed after ${BATCH_GET_ATTEMPTS} attempts`);
      }
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      const output: BatchGetItemCommandOutput = await this.#dynamodb.send(
        new BatchGetItemCommand({ RequestItems: { [this.#tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const raw of output.Responses?.[this.#tableName] ?? []) {
        const { pk, sk: _sk, ...item } = fromAttributeMap(raw);
        if (pk === pausePk) globalPause = item.paused as PauseRecord;
        else items.set((item as unknown as AliasItem).alias, item as unknown as AliasItem);
      }
      pending = output.UnprocessedKeys?.[this.#tableName]?.Keys;
    }
    return { items, globalPause };
  }

  /** Records the intent to create a successor; fails if another rotation is already in flight. */
  async recordIntent(region: string, alias: string, owner: string, rotation: RotationRecord): Promise<void> {
    await this.#updateHeld(region, alias, owner, 'SET rotation = :rotation', { ':rotation': rotation }, 'attribute_not_exists(rotation)');
  }

  /** Replaces the in-flight rotation record, which must still have the same id. */
  async updateRotation(region: string, alias: string, owner: string, rotation: RotationRecord): Promise<void> {
    await this.#updateHeld(region, alias, owner, 'SET rotation = :rotation', { ':rotation': rotation, ':rotationId': rotation.id }, 'rotation.id = :rotationId');
  }

  /** Drops the in-flight rotation record once its outcome is known and nothing is left to resume. */
  async clearRotation(region: string, alias: string, owner: string, rotationId: string): Promise<void> {
    await this.#updateHeld(region, alias, owner, 'REMOVE rotation', { ':rotationId': rotationId }, 'rotation.id = :rotationId');
  }

  /**
   * Records that the alias now targets the successor: writes both generation items, then moves the
   * alias item's current key and ends the rotation in one conditional update. The generation
   * writes are idempotent, so a run that crashes between them is finished by the next one.
   */
  async recordPromotion(
    region: string,
    alias: string,
    owner: string,
    rotation: RotationRecord,
    successor: GenerationItem,
    previous: GenerationItem,
  ): Promise<void> {
    await this.putGeneration(previous);
    await this.putGeneration(successor);
    await this.#updateHeld(
      region,
      alias,
      owner,
      rotation.trigger === 'manual'
        ? 'SET currentKeyId = :keyId, currentKeyArn = :keyArn, promotedAt = :promotedAt, generation = :generation, lastManualRotationAt = :promotedAt REMOVE rotation, blocked'
        : 'SET currentKeyId = :keyId, currentKeyArn = :keyArn, promotedAt = :promotedAt, generation = :generation REMOVE rotation, blocked',
      {
        ':keyId': successor.keyId,
        ':keyArn': successor.keyArn,
        ':promotedAt': successor.promotedAt,
        ':generation': successor.generation,
        ':rotationId': rotation.id,
      },
      'rotation.id = :rotationId',
    );
  }

  /**
   * Records that a rollback pointed the alias back at `restored`, and pauses the alias, in one
   * conditional update. Both generation items are written first; they are idempotent.
   */
  async recordRollback(
    region: string,
    alias: string,
    owner: string,
    restored: GenerationItem,
    rolledBack: GenerationItem,
    pause: PauseRecord,
  ): Promise<void> {
    await this.putGeneration(rolledBack);
    await this.putGeneration(restored);
    await this.#updateHeld(
      region,
      alias,
      owner,
      // An adopted key has no promotion time; its age counts from its creation date again.
      restored.promotedAt
        ? 'SET currentKeyId = :keyId, currentKeyArn = :keyArn, promotedAt = :promotedAt, paused = :paused'
        : 'SET currentKeyId = :keyId, currentKeyArn = :keyArn, paused = :paused REMOVE promotedAt',
      restored.promotedAt
        ? { ':keyId': restored.keyId, ':keyArn': restored.keyArn, ':promotedAt': restored.promotedAt, ':paused': pause }
        : { ':keyId': restored.keyId, ':keyArn': restored.keyArn, ':paused': pause },
      'attribute_not_exists(rotation)',
    );
  }

  /** Pauses one alias (no lease needed: a running rotation finishes, the next sweep skips it). */
  async setPaused(region: string, alias: string, pause: PauseRecord | undefined): Promise<void> {
    await this.#dynamodb.send(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: aliasKey(region, alias),
        UpdateExpression: pause
          ? 'SET paused = :paused, alias = :alias, #region = :region, generation = if_not_exists(generation, :zero)'
          : 'REMOVE paused',
        ConditionExpression: pause ? undefined : 'attribute_exists(pk)',
        ExpressionAttributeNames: pause ? { '#region': 'region' } : undefined,
        ExpressionAttributeValues: pause ? toAttributeMap({ ':paused': pause, ':alias': alias, ':region': region, ':zero': 0 }) : undefined,
      }),
    ).catch((error: unknown) => {
      // Resuming an alias the table has never seen changes nothing.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
  }

  /** The switch that pauses every alias of the Region. */
  async getGlobalPause(region: string): Promise<PauseRecord | undefined> {
    const output = await this.#dynamodb.send(new GetItemCommand({ TableName: this.#tableName, Key: globalPauseKey(region), ConsistentRead: true }));
    return output.Item ? (fromAttributeMap(output.Item).paused as PauseRecord) : undefined;
  }

  async setGlobalPause(region: string, pause: PauseRecord | undefined): Promise<void> {
    if (pause) {
      await this.#dynamodb.send(new PutItemCommand({ TableName: this.#tableName, Item: { ...globalPauseKey(region), ...toAttributeMap({ paused: pause }) } }));
    } else {
      await this.#dynamodb.send(new DeleteItemCommand({ TableName: this.#tableName, Key: globalPauseKey(region) }));
    }
  }

  /**
   * Records why the alias cannot rotate. Returns true when this is news (another key or reason
   * than recorded), so that `Rotation Blocked` goes out once per change, not on every sweep.
   */
  async recordBlocked(region: string, alias: string, blocked: BlockedRecord): Promise<boolean> {
    return this.#sendIfCondition(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: aliasKey(region, alias),
        UpdateExpression: 'SET blocked = :blocked, alias = :alias, #region = :region, generation = if_not_exists(generation, :zero)',
        ConditionExpression: 'attribute_not_exists(blocked) OR blocked.keyId <> :keyId OR blocked.reason <> :reason',
        ExpressionAttributeNames: { '#region': 'region' },
        ExpressionAttributeValues: toAttributeMap({
          ':blocked': blocked,
          ':keyId': blocked.keyId,
          ':reason': blocked.reason,
          ':alias': alias,
          ':region': region,
          ':zero': 0,
        }),
      }),
    );
  }

  /** Marks `Rotation Due Soon` as sent for `keyId`; returns false when it was sent already. */
  async recordDueSoonNotice(region: string, alias: string, keyId: string): Promise<boolean> {
    return this.#sendIfCondition(
      new UpdateItemCommand({
        TableName: this.#tableName,
        Key: aliasKey(region, alias),
        UpdateExpression: 'SET dueSoonNotifiedKeyId = :keyId',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(dueSoonNotifiedKeyId) OR dueSoonNotifiedKeyId <> :keyId)',
        ExpressionAttributeValues: toAttributeMap({ ':keyId': keyId }),
      }),
    );
  }

  /**
   * Records that an identity proof's request id was used; returns false when it was used before,
   * so a captured proof cannot be replayed. The item expires through the table's TTL attribute.
   */
  async recordRequestId(requestId: string, nowMs: number, keepMs: number): Promise<boolean> {
    return this.#sendIfCondition(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: { pk: { S: `REQUEST#${requestId}` }, sk: { S: 'REQUEST' }, ...toAttributeMap({ usedAt: new Date(nowMs).toISOString(), expiresAt: Math.ceil((nowMs + keepMs) / 1000) }) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async putGeneration(generation: GenerationItem): Promise<void> {
    await this.#dynamodb.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: { ...generationKey(generation.region, generation.alias, generation.generation), ...toAttributeMap({ ...generation }) },
      }),
    );
  }

  /** Returns the alias's generations, oldest first. */
  async listGenerations(region: string, alias: string): Promise<GenerationItem[]> {
    return (await this.#queryPrefix(region, alias, GENERATION_PREFIX)) as unknown as GenerationItem[];
  }

  /** Records an on-demand rotation; a manual one also sets lastManualRotationAt for the force cooldown. */
  async recordMaterialRotation(owner: string, rotation: MaterialRotationItem): Promise<void> {
    await this.#dynamodb.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: {
          pk: { S: partitionKey(rotation.region, rotation.alias) },
          sk: { S: `${MATERIAL_ROTATION_PREFIX}${rotation.rotatedAt}#${rotation.runId}` },
          ...toAttributeMap({ ...rotation }),
        },
      }),
    );
    if (rotation.trigger === 'manual') {
      await this.#updateHeld(rotation.region, rotation.alias, owner, 'SET lastManualRotationAt = :at', { ':at': rotation.rotatedAt });
    }
  }

  /** Returns the alias's on-demand rotations, oldest first. */
  async listMaterialRotations(region: string, alias: string): Promise<MaterialRotationItem[]> {
    return (await this.#queryPrefix(region, alias, MATERIAL_ROTATION_PREFIX)) as unknown as MaterialRotationItem[];
  }

  async #queryPrefix(region: string, alias: string, prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const output = await this.#dynamodb.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: toAttributeMap({ ':pk': partitionKey(region, alias), ':prefix': prefix }),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of output.Items ?? []) {
        const { pk: _pk, sk: _sk, ...record } = fromAttributeMap(item);
        items.push(record);
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** Sends a conditional write; returns false, instead of throwing, when its condition does not hold. */
  async #sendIfCondition(command: UpdateItemCommand | PutItemCommand): Promise<boolean> {
    try {
      await this.#dynamodb.send(command as UpdateItemCommand);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Applies an update to the alias item only while `owner` holds its lease. */
  async #updateHeld(
    region: string,
    alias: string,
    owner: string,
    updateExpression: string,
    values: Record<string, unknown>,
    extraCondition?: string,
  ): Promise<void> {
    const condition = extraCondition ? `leaseOwner = :leaseOwner AND (${extraCondition})` : 'leaseOwner = :leaseOwner';
    try {
      await this.#dynamodb.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: aliasKey(region, alias),
          UpdateExpression: updateExpression,
          ConditionExpression: condition,
          ExpressionAttributeValues: Object.fromEntries(
            Object.entries({ ...values, ':leaseOwner': owner }).map(([name, value]) => [name, toAttribute(value)]),
          ),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new LeaseLostError(
          `The state of ${alias} in ${region} changed under this run (lease lost or rotation record replaced); no further change was made`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

function partitionKey(region: string, alias: string): string {
  return `ALIAS#${region}#${alias}`;
}

function aliasKey(region: string, alias: string) {
  return { pk: { S: partitionKey(region, alias) }, sk: { S: ALIAS_SORT_KEY } };
}

function globalPauseKey(region: string) {
  return { pk: { S: `SETTINGS#${region}` }, sk: { S: 'PAUSE' } };
}

function generationKey(region: string, alias: string, generation: number) {
  return { pk: { S: partitionKey(region, alias) }, sk: { S: `${GENERATION_PREFIX}${String(generation).padStart(8, '0')}` } };
}
