import { AwsError } from '../../errors.js';
import { checkEnum, checkLength, checkRange, optionalInteger, optionalString, requireString } from '../../validation.js';
import type { KeyMaterial, KeyRecord, KeyUsage } from '../model.js';

/**
 * Request validation shared by the cryptographic operations, built on the emulator's
 * validation helpers. Messages follow the AWS JSON protocol form "1 validation error detected:
 * Value ... at '<member>' failed to satisfy constraint: ...", where <member> is the request
 * field in lower camel case.
 * NOTE: AWS reports every failed constraint of a request in one message ("2 validation errors
 * detected: ..."); these helpers report the first one only.
 */

function validationError(detail: string): AwsError {
  return new AwsError('ValidationException', `1 validation error detected: ${detail}`);
}

function memberName(field: string): string {
  return field.charAt(0).toLowerCase() + field.slice(1);
}

/** Reads a required key identifier (key id, key ARN, alias name or alias ARN) of 1 to 2048 characters. */
export function readKeyId(input: Record<string, unknown>, field: string): string {
  const value = requireString(input, field, memberName(field));
  checkLength(value, memberName(field), 1, 2048);
  return value;
}

export function readOptionalKeyId(input: Record<string, unknown>, field: string): string | undefined {
  const value = optionalString(input, field);
  if (value !== undefined) checkLength(value, memberName(field), 1, 2048);
  return value;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Reads a binary field, which the JSON body carries as base64, and checks its length in bytes.
 * The message never contains the value, because binary fields hold plaintext or key-derived data.
 */
export function readBlob(input: Record<string, unknown>, field: string, maxBytes: number): Buffer {
  const value = requireString(input, field, memberName(field));
  if (!BASE64.test(value)) {
    throw new AwsError('SerializationException', `${field} must be a base64-encoded string.`);
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < 1) {
    throw validationError(
      `Value at '${memberName(field)}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  if (bytes.length > maxBytes) {
    throw validationError(
      `Value at '${memberName(field)}' failed to satisfy constraint: Member must have length less than or equal to ${maxBytes}`,
    );
  }
  return bytes;
}

/** Reads an enum field; `fallback` is the value AWS assumes when the field is absent. */
export function readEnum<T extends string>(
  input: Record<string, unknown>,
  field: string,
  allowed: readonly T[],
  fallback?: T,
): T {
  const value = fallback === undefined ? requireString(input, field, memberName(field)) : optionalString(input, field);
  if (value === undefined) return fallback as T;
  return checkEnum(value, memberName(field), allowed);
}

/** Reads an encryption context: a JSON object of string values. Absent means empty. */
export function readEncryptionContext(input: Record<string, unknown>, field: string): Record<string, string> {
  const value = input[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AwsError('SerializationException', `${field} must be a map of strings to strings.`);
  }
  const context: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new AwsError('SerializationException', `${field} must be a map of strings to strings.`);
    }
    context[key] = entry;
  }
  return context;
}

/** Reads an optional integer field and checks that it lies in [min, max]. */
export function readOptionalIntegerInRange(
  input: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = optionalInteger(input, field);
  if (value !== undefined) checkRange(value, memberName(field), min, max);
  return value;
}

/** Rejects a key whose KeyUsage does not fit the operation, with the message AWS KMS returns. */
export function requireKeyUsage(key: KeyRecord, usage: KeyUsage, operation: string): void {
  if (key.keyUsage !== usage) {
    throw new AwsError(
      'InvalidKeyUsageException',
      `${key.arn} key usage is ${key.keyUsage} which is not valid for ${operation}.`,
    );
  }
}

/** Rejects an algorithm that the key spec does not support, with the message AWS KMS returns. */
export function requireAlgorithm(key: KeyRecord, algorithm: string, supported: readonly string[]): void {
  if (!supported.includes(algorithm)) {
    throw new AwsError('InvalidKeyUsageException', `Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`);
  }
}

/** Returns the current (newest) material version of a key. */
export function currentMaterial(key: KeyRecord): KeyMaterial {
  const material = key.material[key.material.length - 1];
  // assertKeyState rejects keys without material (PendingImport) before any caller gets here.
  if (!material) throw new AwsError('KMSInvalidStateException', `${key.arn} is pending import.`);
  return material;
}

export function toBase64(bytes: Buffer): string {
  return bytes.toString('base64');
}
