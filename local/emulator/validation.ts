import { AwsError } from './errors.js';

/**
 * Input checks that raise the errors the AWS request validator returns, in its
 * "1 validation error detected: ..." wording. `member` is the camelCase path AWS prints,
 * such as 'keyId' or 'tags.1.member.tagKey'.
 */

function validationError(detail: string): AwsError {
  return new AwsError('ValidationException', `1 validation error detected: ${detail}`);
}

function quote(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : `'${String(value)}'`;
}

export function requireString(input: Record<string, unknown>, field: string, member: string): string {
  const value = input[field];
  if (value === undefined || value === null) {
    throw validationError(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  if (typeof value !== 'string') {
    throw new AwsError('SerializationException', `Expected a string for ${field}, got ${typeof value}.`);
  }
  return value;
}

export function optionalString(input: Record<string, unknown>, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new AwsError('SerializationException', `Expected a string for ${field}, got ${typeof value}.`);
  }
  return value;
}

export function optionalInteger(input: Record<string, unknown>, field: string): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new AwsError('SerializationException', `Expected an integer for ${field}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

export function optionalBoolean(input: Record<string, unknown>, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'boolean') {
    throw new AwsError('SerializationException', `Expected a boolean for ${field}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

export function optionalArray(input: Record<string, unknown>, field: string): unknown[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!Array.isArray(value)) {
    throw new AwsError('SerializationException', `Expected a list for ${field}, got ${typeof value}.`);
  }
  return value;
}

export function requireArray(input: Record<string, unknown>, field: string, member: string): unknown[] {
  const value = optionalArray(input, field);
  if (value === undefined) {
    throw validationError(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

export function checkLength(value: string | unknown[], member: string, min: number, max: number): void {
  const shown = typeof value === 'string' ? quote(value) : `'[${value.length} items]'`;
  if (value.length < min) {
    throw validationError(
      `Value ${shown} at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`,
    );
  }
  if (value.length > max) {
    throw validationError(
      `Value ${shown} at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
}

export function checkRange(value: number, member: string, min: number, max: number): void {
  if (value < min) {
    throw validationError(
      `Value '${value}' at '${member}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
    );
  }
  if (value > max) {
    throw validationError(
      `Value '${value}' at '${member}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
    );
  }
}

export function checkEnum<T extends string>(value: string, member: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw validationError(
      `Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value as T;
}

export function checkPattern(value: string, member: string, pattern: RegExp, shownPattern: string): void {
  if (!pattern.test(value)) {
    throw validationError(
      `Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${shownPattern}`,
    );
  }
}
