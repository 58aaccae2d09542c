import type { Clock } from '../src/clock.js';

/** A clock that moves only when told, shared by the emulator, the runner and the core. */
export class VirtualClock implements Clock {
  #epochMs: number;

  constructor(start: Date | number = Date.UTC(2027, 0, 1)) {
    this.#epochMs = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#epochMs);
  }

  set(time: Date | number): void {
    const epochMs = typeof time === 'number' ? time : time.getTime();
    if (epochMs < this.#epochMs) {
      throw new Error(`VirtualClock cannot move backwards, from ${this.now().toISOString()} to ${new Date(epochMs).toISOString()}`);
    }
    this.#epochMs = epochMs;
  }

  advance(milliseconds: number): void {
    this.set(this.#epochMs + milliseconds);
  }
}
