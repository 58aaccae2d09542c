import { AwsError } from '../errors.js';
import type { Operation, RequestContext } from '../types.js';
import { checkLength, checkPattern, optionalInteger, requireString } from '../validation.js';
import { aliasArn } from './arns.js';
import { assertKeyState } from './key-state.js';
import { keyFamily } from './metadata.js';
import type { AliasRecord, KeyRecord } from './model.js';
import { aliasesChanged, pageOf, sortedAliases } from './pagination.js';
import { aliasNotFound, isAliasReference, regionState, resolveKeyIdOrArn } from './store.js';

/** AliasName pattern of CreateAlias and UpdateAlias in the AWS KMS API reference. */
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;
const ALIAS_NAME_SHOWN = '^alias/[a-zA-Z0-9/_-]+$';
/** AliasName pattern of DeleteAlias, which also admits a colon and a name without the prefix. */
const DELETE_ALIAS_NAME = /^[a-zA-Z0-9:/_-]+$/;
const DELETE_ALIAS_NAME_SHOWN = '^[a-zA-Z0-9:/_-]+$';

/** Reads and checks the AliasName of CreateAlias and UpdateAlias. */
function readAliasName(input: Record<string, unknown>): string {
  const aliasName = requireString(input, 'AliasName', 'aliasName');
  checkLength(aliasName, 'aliasName', 1, 256);
  checkPattern(aliasName, 'aliasName', ALIAS_NAME, ALIAS_NAME_SHOWN);
  if (aliasName.startsWith('alias/aws/')) {
    // AWS reserves alias/aws/ for AWS managed keys and returns this error with an empty message.
    throw new AwsError('NotAuthorizedException', '');
  }
  return aliasName;
}

/** Resolves the TargetKeyId of CreateAlias and UpdateAlias, which must name a key, not an alias. */
function readTargetKey(input: Record<string, unknown>, context: RequestContext): KeyRecord {
  const target = requireString(input, 'TargetKeyId', 'targetKeyId');
  checkLength(target, 'targetKeyId', 1, 2048);
  if (isAliasReference(target)) {
    throw new AwsError('ValidationException', 'Aliases must refer to keys. Not aliases');
  }
  return resolveKeyIdOrArn(context, target, 'targetKeyId');
}

function aliasEntry(alias: AliasRecord): Record<string, unknown> {
  return {
    AliasName: alias.aliasName,
    AliasArn: alias.aliasArn,
    TargetKeyId: alias.targetKeyId,
    CreationDate: new Date(alias.createdAt),
    LastUpdatedDate: new Date(alias.lastUpdatedAt),
  };
}

export const createAlias: Operation = (input, context) => {
  const aliasName = readAliasName(input);
  const region = regionState(context);
  const key = readTargetKey(input, context);
  if (region.aliases[aliasName]) {
    throw new AwsError('AlreadyExistsException', `An alias with the name ${aliasArn(context, aliasName)} already exists`);
  }
  assertKeyState(key, 'CreateAlias');

  const now = context.clock.now().getTime();
  region.aliases[aliasName] = {
    aliasName,
    aliasArn: aliasArn(context, aliasName),
    targetKeyId: key.keyId,
    createdAt: now,
    lastUpdatedAt: now,
  };
  aliasesChanged(region);
  return {};
};

/**
 * Moves an alias to another key. The key it leaves may be in any state, but the key it moves to
 * must not be pending deletion. Both must be of the same family (symmetric, asymmetric or HMAC)
 * and have the same key usage, as the UpdateAlias API reference requires.
 * NOTE: AWS documents the type rule but not the error it returns; the ValidationException and its
 * message are the emulator's.
 */
export const updateAlias: Operation = (input, context) => {
  const aliasName = readAliasName(input);
  const region = regionState(context);
  const alias = region.aliases[aliasName];
  if (!alias) throw aliasNotFound(context, aliasName);
  const next = readTargetKey(input, context);
  assertKeyState(next, 'UpdateAlias');

  const current = region.keys[alias.targetKeyId];
  if (current) {
    const currentFamily = keyFamily(current.keySpec);
    const nextFamily = keyFamily(next.keySpec);
    if (currentFamily !== nextFamily || current.keyUsage !== next.keyUsage) {
      throw new AwsError(
        'ValidationException',
        `${aliasName} points to a ${currentFamily} key with key usage ${current.keyUsage}, but ${next.arn} is a ` +
          `${nextFamily} key with key usage ${next.keyUsage}. The current and new KMS key must be the same type ` +
          'and have the same key usage.',
      );
    }
  }

  alias.targetKeyId = next.keyId;
  alias.lastUpdatedAt = context.clock.now().getTime();
  return {};
};

export const deleteAlias: Operation = (input, context) => {
  const aliasName = requireString(input, 'AliasName', 'aliasName');
  checkLength(aliasName, 'aliasName', 1, 256);
  checkPattern(aliasName, 'aliasName', DELETE_ALIAS_NAME, DELETE_ALIAS_NAME_SHOWN);
  const region = regionState(context);
  const alias = region.aliases[aliasName];
  if (!alias) throw aliasNotFound(context, aliasName);
  const key = region.keys[alias.targetKeyId];
  if (key) assertKeyState(key, 'DeleteAlias');
  delete region.aliases[aliasName];
  aliasesChanged(region);
  return {};
};

/**
 * Lists the customer aliases of the account and Region, optionally only those of one key.
 * NOTE: AWS also lists the AWS managed aliases (alias/aws/...), with or without a key behind them.
 * The emulator has no AWS managed keys, so it lists none.
 */
export const listAliases: Operation = (input, context) => {
  const region = regionState(context);
  const filterKey = input.KeyId === undefined || input.KeyId === null ? undefined : resolveKeyIdOrArn(context, input.KeyId);
  const limit = optionalInteger(input, 'Limit');
  // Filtering keeps the order, so the sorted list serves both forms.
  const sorted = sortedAliases(region);
  const aliases = filterKey === undefined ? (sorted as AliasRecord[]) : sorted.filter((alias) => alias.targetKeyId === filterKey.keyId);
  const page = pageOf(aliases, (alias) => alias.aliasName, input.Marker, limit, { min: 1, max: 100, defaultLimit: 50 });
  return {
    Aliases: page.items.map(aliasEntry),
    Truncated: page.truncated,
    ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
  };
};
