import type { AliasItem, PauseRecord } from '../state/records.js';
import { BATCH_GET_MAX_KEYS } from '../state/state-table.js';
import { listAliasPages } from './alias-target.js';
import type { RotationDeps } from './deps.js';
import { describeAwsError } from './errors.js';
import type { PrefetchedAlias } from './rotate-alias.js';

/** BatchGetItem calls in flight at once. */
const MAX_BATCHES_IN_FLIGHT = 4;

/**
 * A sweep's bulk reads: the key each managed alias targets, from ListAliases pages, and each
 * alias item, from BatchGetItem calls of 100 keys in config order. Batch k is sent once the
 * listing has returned k pages, or has ended, so each batch runs while the next page is fetched
 * instead of competing with the listing from the start. The sweep plans each alias as soon as
 * both of its reads are in. The listing stops once it has found every managed alias.
 */
export class BulkReads {
  /** The Region's pause switch, from the first batch. Rejects when that batch fails. */
  readonly globalPause: Promise<PauseRecord | undefined>;

  readonly #deps: Pick<RotationDeps, 'kms' | 'table' | 'region' | 'logger'>;
  readonly #runId: string;
  /** Aliases of each BatchGetItem call. The first call also reads the pause item, so it takes 99. */
  readonly #batches: string[][] = [];
  readonly #batchOf = new Map<string, number>();
  readonly #batchRead: boolean[];
  /** Targets of the managed aliases that the listing has found. */
  readonly #targets = new Map<string, string>();
  readonly #items = new Map<string, AliasItem>();
  readonly #inFlight = new Set<Promise<void>>();
  #resolvePause!: (pause: PauseRecord | undefined) => void;
  #rejectPause!: (error: unknown) => void;
  #pagesRead = 0;
  #listingEnded = false;
  #nextBatch = 0;
  #batchesInFlight = 0;
  #failed = false;
  #stopped = false;
  #waiters: Array<() => void> = [];

  /** Starts the reads of `aliases`, the managed aliases of `deps.region` in config order. */
  constructor(deps: Pick<RotationDeps, 'kms' | 'table' | 'region' | 'logger'>, aliases: readonly string[], runId: string) {
    this.#deps = deps;
    this.#runId = runId;
    this.#batches.push(aliases.slice(0, BATCH_GET_MAX_KEYS - 1));
    for (let start = BATCH_GET_MAX_KEYS - 1; start < aliases.length; start += BATCH_GET_MAX_KEYS) {
      this.#batches.push(aliases.slice(start, start + BATCH_GET_MAX_KEYS));
    }
    this.#batches.forEach((batch, index) => {
      for (const alias of batch) this.#batchOf.set(alias, index);
    });
    this.#batchRead = this.#batches.map(() => false);
    this.globalPause = new Promise((resolve, reject) => {
      this.#resolvePause = resolve;
      this.#rejectPause = reject;
    });
    // The caller awaits globalPause; this only keeps an early rejection from counting as unhandled.
    this.globalPause.catch(() => undefined);

    this.#scheduleBatches();
    this.#track(this.#list());
  }

  /**
   * Waits until the target and the item of `alias` are read, and returns them: an alias that the
   * listing did not find has no target. After a failed read, waits for the reads in flight and
   * returns undefined, and the alias is then planned on its own.
   */
  async prefetched(alias: string): Promise<PrefetchedAlias | undefined> {
    const batch = this.#batchOf.get(alias);
    if (batch === undefined) return undefined;
    while (!this.#failed && !this.#stopped) {
      if (this.#batchRead[batch] && (this.#listingEnded || this.#targets.has(alias))) {
        return { targetKeyId: this.#targets.get(alias), item: this.#items.get(alias) };
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    await this.#settled();
    return undefined;
  }

  /** Sends no further read, and waits for the reads in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#notify();
    await this.#settled();
  }

  async #list(): Promise<void> {
    try {
      // With no managed alias, no page is needed.
      if (this.#batchOf.size === 0) return;
      for await (const page of listAliasPages(this.#deps.kms)) {
        for (const { aliasName, targetKeyId } of page) {
          if (this.#batchOf.has(aliasName)) this.#targets.set(aliasName, targetKeyId);
        }
        this.#pagesRead += 1;
        this.#scheduleBatches();
        this.#notify();
        // The later pages would list only aliases that the config does not manage here.
        if (this.#targets.size === this.#batchOf.size || this.#failed || this.#stopped) break;
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#listingEnded = true;
      this.#scheduleBatches();
      this.#notify();
    }
  }

  #scheduleBatches(): void {
    while (
      !this.#failed &&
      !this.#stopped &&
      this.#nextBatch < this.#batches.length &&
      this.#batchesInFlight < MAX_BATCHES_IN_FLIGHT &&
      (this.#nextBatch <= this.#pagesRead || this.#listingEnded)
    ) {
      const index = this.#nextBatch;
      this.#nextBatch += 1;
      this.#batchesInFlight += 1;
      this.#track(this.#readBatch(index));
    }
  }

  async #readBatch(index: number): Promise<void> {
    try {
      const { items, globalPause } = await this.#deps.table.getAliasBatch(this.#deps.region, this.#batches[index] as string[], index === 0);
      for (const [alias, item] of items) this.#items.set(alias, item);
      this.#batchRead[index] = true;
      if (index === 0) this.#resolvePause(globalPause);
    } catch (error) {
      if (index === 0) this.#rejectPause(error);
      this.#fail(error);
    } finally {
      this.#batchesInFlight -= 1;
      this.#scheduleBatches();
      this.#notify();
    }
  }

  #fail(error: unknown): void {
    if (this.#failed || this.#stopped) return;
    this.#failed = true;
    // Each alias not yet planned then costs DescribeKey and GetItem of its own.
    this.#deps.logger.warn('Could not read the alias targets and items in bulk', {
      runId: this.#runId,
      region: this.#deps.region,
      error: describeAwsError(error),
    });
  }

  /** Wakes every prefetched call, to check its alias again. */
  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Counts a read as in flight until it ends; the reads catch their own errors. */
  #track(read: Promise<void>): void {
    this.#inFlight.add(read);
    void read.then(() => this.#inFlight.delete(read));
  }

  async #settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }
}
