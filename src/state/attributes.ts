import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** Converts plain JSON values to DynamoDB attribute values; undefined fields are left out. */
export function toAttribute(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`Cannot store the number ${value} in DynamoDB`);
    return { N: String(value) };
  }
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toAttribute) };
  if (typeof value === 'object') return { M: toAttributeMap(value as Record<string, unknown>) };
  throw new TypeError(`Cannot store a value of type ${typeof value} in DynamoDB`);
}

export function toAttributeMap(record: Record<string, unknown>): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(record)) {
    if (value !== undefined) map[name] = toAttribute(value);
  }
  return map;
}

export function fromAttribute(attribute: AttributeValue): unknown {
  if (attribute.S !== undefined) return attribute.S;
  if (attribute.N !== undefined) return Number(attribute.N);
  if (attribute.BOOL !== undefined) return attribute.BOOL;
  if (attribute.NULL !== undefined) return null;
  if (attribute.L !== undefined) return attribute.L.map(fromAttribute);
  if (attribute.M !== undefined) return fromAttributeMap(attribute.M);
  throw new TypeError(`Unsupported DynamoDB attribute type ${Object.keys(attribute).join(', ')}`);
}

export function fromAttributeMap(map: Record<string, AttributeValue>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(map)) record[name] = fromAttribute(attribute);
  return record;
}
