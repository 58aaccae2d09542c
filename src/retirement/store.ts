import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { fromAttributeMap, toAttributeMap } from '../state/attributes.js';
import { isFinal, type Approval, type RetirementRequest, type RetirementStatus } from './request.js';

const REQUEST_PREFIX = 'REQUEST#';
const OPEN_KEY_PREFIX = 'OPEN#';

/** Result of filing: the new request, or the request already open for the key. */
export type CreateResult = { created: true; request: RetirementRequest } | { created: false; openRequest: RetirementRequest };

/**
 * Retirement requests in the state table, beside the alias items, under their own partition per
 * Region:
 *
 * - `pk = RETIREMENT#<region>`, `sk = REQUEST#<id>`: the request, approvals and decision included.
 * - `pk = RETIREMENT#<region>`, `sk = OPEN#<key ARN>`: `{ requestId }` of the one request that is
 *   not final for that key. It is written before the request, conditionally, so two filers cannot
 *   both open a request for one key, and deleted when the request reaches a final status.
 *
 * Every change of a request is one conditional UpdateItem on the request item.
 */
export class RetirementStore {
  readonly #dynamodb: DynamoDBClient;
  readonly #tableName: string;

  constructor(dynamodb: DynamoDBClient, tableName: string) {
    this.#dynamodb = dynamodb;
    this.#tableName = tableName;
  }

  /**
   * Stores a new request unless the key has one that is not final. An open-key item left behind
   * by a crash between the final update and its deletion is removed and the write retried once.
   */
  async create(request: RetirementRequest): Promise<CreateResult> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const locked = await this.#lockKey(request);
      if (locked) {
        await this.#dynamodb.send(
          new PutItemCommand({
            TableName: this.#tableName,
            Item: { ...requestKey(request.region, request.id), ...toAttributeMap({ ...request }) },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return { created: true, request };
      }
      const openId = await this.openRequestId(request.region, request.keyArn);
      const open = openId === undefined ? undefined : await this.get(request.region, openId);
      if (open && !isFinal(open.status)) return { created: false, openRequest: open };
      if (openId !== undefined) await this.#unlockKey(request.region, request.keyArn, openId);
    }
    throw new Error(`Could not file a retirement request for ${request.keyArn}: its open-request marker changed twice while filing`);
  }

  async get(region: string, id: string): Promise<RetirementRequest | undefined> {
    const output = await this.#dynamodb.send(new GetItemCommand({ TableName: this.#tableName, Key: requestKey(region, id), ConsistentRead: true }));
    return output.Item ? toRequest(output.Item) : undefined;
  }

  /** Returns the id of the request that is not final for the key, if any. */
  async openRequestId(region: string, keyArn: string): Promise<string | undefined> {
    const output = await this.#dynamodb.send(new GetItemCommand({ TableName: this.#tableName, Key: openKey(region, keyArn), ConsistentRead: true }));
    return output.Item ? (fromAttributeMap(output.Item).requestId as string) : undefined;
  }

  /** Returns the Region's requests, oldest first, optionally only those with one status. */
  async list(region: string, status?: RetirementStatus): Promise<RetirementRequest[]> {
    const requests: RetirementRequest[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const output = await this.#dynamodb.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: status ? '#status = :status' : undefined,
          ExpressionAttributeNames: status ? { '#status': 'status' } : undefined,
          ExpressionAttributeValues: toAttributeMap({ ':pk': partitionKey(region), ':prefix': REQUEST_PREFIX, ':status': status }),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      requests.push(...(output.Items ?? []).map(toRequest));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return requests.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /**
   * Appends an approval while the request is open, unexpired and still has the approvals it had
   * when read. When `completes` is set, the same update moves it to `executing`, so of two
   * concurrent approvals only one can complete the count. Returns undefined when the condition
   * failed: re-read the request to learn why.
   */
  async addApproval(request: RetirementRequest, approval: Approval, completes: boolean, now: string): Promise<RetirementRequest | undefined> {
    try {
      const output = await this.#dynamodb.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: requestKey(request.region, request.id),
          UpdateExpression: completes
            ? 'SET approvals = list_append(approvals, :approval), #status = :executing, executionStartedAt = :now'
            : 'SET approvals = list_append(approvals, :approval)',
          ConditionExpression: '#status = :open AND size(approvals) = :count AND expiresAt > :now',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: toAttributeMap({
            ':approval': [approval],
            ':open': 'open',
            ':count': request.approvals.length,
            ':now': now,
            ':executing': completes ? 'executing' : undefined,
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return output.Attributes ? toRequest(output.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * Moves a request from one of `from` to `to`, setting `fields`, in one conditional update.
   * Returns the updated request, or undefined when its status was no longer one of `from`.
   * A final status also removes the key's open-request marker.
   */
  async transition(
    request: RetirementRequest,
    from: readonly RetirementStatus[],
    to: RetirementStatus,
    fields: Partial<RetirementRequest> = {},
  ): Promise<RetirementRequest | undefined> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':to': to };
    const sets = ['#status = :to'];
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined || name === 'status') continue;
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      sets.push(`#${name} = :${name}`);
    }
    from.forEach((status, index) => (values[`:from${index}`] = status));
    let updated: RetirementRequest | undefined;
    try {
      const output = await this.#dynamodb.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: requestKey(request.region, request.id),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `#status IN (${from.map((_, index) => `:from${index}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: toAttributeMap(values),
          ReturnValues: 'ALL_NEW',
        }),
      );
      updated = output.Attributes ? toRequest(output.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
    if (isFinal(to)) await this.#unlockKey(request.region, request.keyArn, request.id);
    return updated;
  }

  /** Records that `Retirement Reminder` went out; returns false when it had already, or the request is not open. */
  async markReminded(request: RetirementRequest, at: string): Promise<boolean> {
    try {
      await this.#dynamodb.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: requestKey(request.region, request.id),
          UpdateExpression: 'SET remindedAt = :at',
          ConditionExpression: '#status = :open AND attribute_not_exists(remindedAt)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: toAttributeMap({ ':at': at, ':open': 'open' }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #lockKey(request: RetirementRequest): Promise<boolean> {
    try {
      await this.#dynamodb.send(
        new PutItemCommand({
          TableName: this.#tableName,
          Item: { ...openKey(request.region, request.keyArn), ...toAttributeMap({ requestId: request.id, createdAt: request.createdAt }) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #unlockKey(region: string, keyArn: string, requestId: string): Promise<void> {
    try {
      await this.#dynamodb.send(
        new DeleteItemCommand({
          TableName: this.#tableName,
          Key: openKey(region, keyArn),
          ConditionExpression: 'requestId = :id',
          ExpressionAttributeValues: toAttributeMap({ ':id': requestId }),
        }),
      );
    } catch (error) {
      // The marker already belongs to a newer request, or is gone.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

function partitionKey(region: string): string {
  return `RETIREMENT#${region}`;
}

function requestKey(region: string, id: string) {
  return { pk: { S: partitionKey(region) }, sk: { S: `${REQUEST_PREFIX}${id}` } };
}

function openKey(region: string, keyArn: string) {
  return { pk: { S: partitionKey(region) }, sk: { S: `${OPEN_KEY_PREFIX}${keyArn}` } };
}

function toRequest(item: Record<string, AttributeValue>): RetirementRequest {
  const { pk: _pk, sk: _sk, ...request } = fromAttributeMap(item);
  return request as unknown as RetirementRequest;
}
