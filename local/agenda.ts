/** Things due at virtual times, taken in time order; equal times keep the order they were added in. */
export class Agenda<T> {
  readonly #entries: Array<{ at: number; order: number; item: T }> = [];
  #added = 0;

  add(at: number, item: T): void {
    this.#entries.push({ at, order: this.#added, item });
    this.#added += 1;
    this.#entries.sort((left, right) => left.at - right.at || left.order - right.order);
  }

  /** Removes and returns the earliest entry due at or before `until`, or undefined. */
  next(until: number): { at: number; item: T } | undefined {
    const first = this.#entries[0];
    if (!first || first.at > until) return undefined;
    this.#entries.shift();
    return first;
  }
}
