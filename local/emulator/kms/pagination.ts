import { AwsError } from '../errors.js';
import { checkLength, checkRange } from '../validation.js';
import type { AliasRecord, KmsRegionState } from './model.js';

/** Orders sort keys by UTF-16 code units, the order page markers compare in. */
export function compareKeys(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

export interface Page<T> {
  items: T[];
  truncated: boolean;
  nextMarker?: string;
}

/**
 * Cuts one page from `sorted`, which must be in ascending order of `sortKey`. The marker encodes
 * the sort key of the last item returned, so a page stays correct when items are added or removed
 * between calls.
 */
export function pageOf<T>(
  sorted: T[],
  sortKey: (item: T) => string,
  rawMarker: unknown,
  limit: number | undefined,
  bounds: { min: number; max: number; defaultLimit: number },
): Page<T> {
  if (limit !== undefined) checkRange(limit, 'limit', bounds.min, bounds.max);
  const pageSize = limit ?? bounds.defaultLimit;

  let start = 0;
  if (rawMarker !== undefined && rawMarker !== null) {
    if (typeof rawMarker !== 'string') {
      throw new AwsError('SerializationException', 'Expected a string for Marker.');
    }
    checkLength(rawMarker, 'marker', 1, 1024);
    const after = decodeMarker(rawMarker);
    start = firstAfter(sorted, sortKey, after);
  }

  const items = sorted.slice(start, start + pageSize);
  const truncated = start + pageSize < sorted.length;
  const last = items[items.length - 1];
  return truncated && last !== undefined
    ? { items, truncated, nextMarker: encodeMarker(sortKey(last)) }
    : { items, truncated };
}

const MARKER_PREFIX = 'kms-emulator:';

function encodeMarker(lastKey: string): string {
  return Buffer.from(MARKER_PREFIX + lastKey, 'utf8').toString('base64url');
}

function decodeMarker(marker: string): string {
  const decoded = Buffer.from(marker, 'base64url').toString('utf8');
  if (!decoded.startsWith(MARKER_PREFIX)) {
    // The API reference describes InvalidMarkerException as "the marker that specifies where
    // pagination should next begin is not valid".
    throw new AwsError('InvalidMarkerException', 'The marker that specifies where pagination should next begin is not valid.');
  }
  return decoded.slice(MARKER_PREFIX.length);
}

/** Returns the index of the first item of `sorted` whose sort key is greater than `after`, or its length when there is none. */
function firstAfter<T>(sorted: T[], sortKey: (item: T) => string, after: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sortKey(sorted[middle] as T) > after) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The aliases of each Region in ascending order of name, kept until an alias is added or removed. */
const sortedAliasesByRegion = new WeakMap<KmsRegionState, AliasRecord[]>();

/** Returns the aliases of `region` in ascending order of name. The caller must not modify the array. */
export function sortedAliases(region: KmsRegionState): readonly AliasRecord[] {
  let sorted = sortedAliasesByRegion.get(region);
  if (!sorted) {
    sorted = Object.values(region.aliases).sort((a, b) => compareKeys(a.aliasName, b.aliasName));
    sortedAliasesByRegion.set(region, sorted);
  }
  return sorted;
}

/** Drops the sorted aliases of `region`; every change to the set of its alias names must call it. */
export function aliasesChanged(region: KmsRegionState): void {
  sortedAliasesByRegion.delete(region);
}
