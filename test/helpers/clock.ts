/**
 * A clock a test moves by hand, for the service's one clock (src/clock.ts): pass it to
 * startServer (`{ clock }`) or to a service built directly, then `advance` it past an expiry
 * instead of sleeping. Test code only: the service itself has no way to be given one from
 * its settings or environment.
 */
import type { Clock } from '../../src/clock';

export class ManualClock implements Clock {
  private ms: number;

  /** Starts at `startMs` (epoch milliseconds), the real time by default. */
  constructor(startMs: number = Date.now()) {
    this.ms = startMs;
  }

  now(): number {
    return this.ms;
  }

  /** Moves the clock forward by `ms` milliseconds; returns the new time. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`a clock moves forward only (asked ${ms} ms)`);
    this.ms += ms;
    return this.ms;
  }

  /** Moves the clock to `epochMs`, forward only; returns it. */
  set(epochMs: number): number {
    return this.advance(epochMs - this.ms);
  }
}
