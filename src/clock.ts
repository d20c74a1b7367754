/**
 * The service's one clock (#16). createServices takes it (ServicesOptions.clock; the system
 * clock when none is given) and hands the same one to everything that reads or writes a time:
 * JwtService and the TokenBackend (a token's `iat`/`exp` when signed, and jsonwebtoken's
 * `clockTimestamp` when verified), the mailed reset/activation tokens' timestamps, last_login,
 * date_joined, a DRF key's created/last-used, the refresh tokens' outstanding/blacklisted
 * times and flushexpiredtokens' cut-off. Tests pass a clock they move (test/helpers/clock.ts)
 * instead of sleeping; there is no setting or environment variable for it.
 *
 * Not on this clock: the throttles. rate-limiter-flexible reads Date.now() (and, in memory,
 * sets timers) itself, and Redis expires its keys by its own clock; its public API takes no
 * clock. So throttling.ts also measures its windows with Date.now(), the library's clock, and
 * its unit tests move time with node:test's mock timers (`mock.timers.enable({ apis: ['Date'] })`)
 * on the in-memory store, and wait for real seconds against Redis. Also not on it: the mail
 * files' names and Date header (a transport's record of when it wrote), and log timestamps.
 */

/** A source of the current time. */
export interface Clock {
  /** Milliseconds since the Unix epoch (Date.now()'s unit). */
  now(): number;
}

/** The system clock: Date.now(), read at each call (so node:test's mock timers reach it too). */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** Whole seconds since the epoch at `clock`'s now: a JWT's NumericDate. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
