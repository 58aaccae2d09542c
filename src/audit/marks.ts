import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { fromAttributeMap, toAttributeMap } from '../state/attributes.js';
import { key } from './store.js';

/**
 * Marks the audit function leaves on keys, for retirement to read. All marks of one key share the
 * partition `KEYMARK#<key ARN>`:
 * - sort key `DELETION-CANCELLED`: the safety net cancelled the key's deletion because something
 *   used it. The key must not be proposed for deletion again until a person clears the mark.
 * - sort key `BLOCKED#<event time ISO 8601>#<event id>`: one call that failed because the key was
 *   disabled or pending deletion. Any such use since a key was disabled blocks its deletion.
 */

/** A call that failed because the key was not usable. */
export interface BlockedUse {
  keyArn: string;
  /** Time of the call, ISO 8601. */
  at: string;
  eventId: string;
  operation: string;
  principal: string;
  reason: 'disabled' | 'pending-deletion';
  errorCode: string;
}

/** The safety net's mark on a key whose deletion it cancelled. */
export interface DeletionMark {
  keyArn: string;
  cancelledAt: string;
  /** The event whose use of the key set off the cancellation. */
  eventId: string;
  operation: string;
  principal: string;
  cleared?: { by: string; at: string; reason: string };
}

const DELETION_MARK = 'DELETION-CANCELLED';
const BLOCKED_PREFIX = 'BLOCKED#';

function partition(keyArn: string): string {
  return `KEYMARK#${keyArn}`;
}

/** Writes and reads the audit function's marks on keys. */
export class KeyMarks {
  readonly #dynamodb: DynamoDBClient;
  readonly #tableName: string;

  constructor(dynamodb: DynamoDBClient, tableName: string) {
    this.#dynamodb = dynamodb;
    this.#tableName = tableName;
  }

  /** Records a blocked use; writing the same event twice leaves one item. */
  async recordBlockedUse(use: BlockedUse): Promise<void> {
    await this.#dynamodb.send(
      new PutItemCommand({
        TableName: this.#tableName,
        Item: { ...key(partition(use.keyArn), `${BLOCKED_PREFIX}${use.at}#${use.eventId}`), ...toAttributeMap({ ...use }) },
      }),
    );
  }

  /** Returns the key's blocked uses at or after `since` (ISO 8601), oldest first. */
  async listBlockedUses(keyArn: string, since: string): Promise<BlockedUse[]> {
    const uses: BlockedUse[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const output = await this.#dynamodb.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: toAttributeMap({ ':pk': partition(keyArn), ':from': `${BLOCKED_PREFIX}${since}`, ':to': `${BLOCKED_PREFIX}\uffff` }),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of output.Items ?? []) {
        const { pk: _pk, sk: _sk, ...use } = fromAttributeMap(item);
        uses.push(use as unknown as BlockedUse);
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return uses;
  }

  /**
   * Sets the deletion mark. A mark a person cleared is set again, because the key was used after
   * all. Returns false when an uncleared mark was already there.
   */
  async markDeletionCancelled(mark: Omit<DeletionMark, 'cleared'>): Promise<boolean> {
    try {
      await this.#dynamodb.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: { ...key(partition(mark.keyArn), DELETION_MARK), ...toAttributeMap({ ...mark }) },
          ConditionExpression: 'attribute_not_exists(pk) OR attribute_exists(cleared)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async getDeletionMark(keyArn: string): Promise<DeletionMark | undefined> {
    const output = await this.#dynamodb.send(new GetItemCommand({ TableName: this.#tableName, Key: key(partition(keyArn), DELETION_MARK), ConsistentRead: true }));
    if (!output.Item) return undefined;
    const { pk: _pk, sk: _sk, ...mark } = fromAttributeMap(output.Item);
    return mark as unknown as DeletionMark;
  }

  /** True while the safety net's mark on the key is set and no person has cleared it. */
  async hasUnclearedDeletionMark(keyArn: string): Promise<boolean> {
    const mark = await this.getDeletionMark(keyArn);
    return mark !== undefined && mark.cleared === undefined;
  }

  /**
   * Clears the mark for a person. The caller must have checked that person's identity proof;
   * `by` is the ARN it proved. Returns false when there is no uncleared mark.
   */
  async clearDeletionMark(keyArn: string, cleared: { by: string; at: string; reason: string }): Promise<boolean> {
    try {
      await this.#dynamodb.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: key(partition(keyArn), DELETION_MARK),
          UpdateExpression: 'SET cleared = :cleared',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(cleared)',
          ExpressionAttributeValues: toAttributeMap({ ':cleared': cleared }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
