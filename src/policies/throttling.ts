/**
 * Throttles (after rest_framework/throttling.py) counted by rate-limiter-flexible; this file is
 * its only importer.
 *
 * A scope has one or more windows (`login: ['5/minute', '100/day']`). Each window is a fixed
 * window that opens at the key's first counted request and lasts its duration
 * (rate-limiter-flexible's model). DRF keeps a sliding log instead, so here up to 2N requests
 * can pass in a span just over one window, at the end of one window and the start of the next.
 * The counter is atomic: in memory it is one synchronous increment, and in Redis it is one Lua
 * script. So a limit holds exactly under concurrency, and across processes that share a Redis.
 *
 * Every counted decision carries the IETF RateLimit draft's headers, one list item per window:
 *   RateLimit-Policy: "login";q=5;w=60, "login/day";q=100;w=86400
 *   RateLimit: "login";r=4;t=60, "login/day";r=99;t=86400
 * The first window listed for a scope carries the scope's name. Each further window is named
 * `<scope>/<second|minute|hour|day>`. A scope name cannot contain `/`, so no name collides.
 * `r` is what is left, and `t` is the seconds until that window resets, rounded up. A window that
 * has counted nothing yet shows the full quota with t=0.
 */
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ImproperlyConfigured, ServiceUnavailable, Throttled } from '../errors';
import { throttleIdent } from '../clientAddress';
import { parseWindows } from '../rates';
import { usernameKey as comparisonKey } from '../username';
import { LOGIN_SCOPE, THROTTLE_KINDS, type RequestInfo, type Throttle, type ThrottleDecision, type ThrottleKind } from './types';

const UNIT_NAME: ReadonlyMap<number, string> = new Map([[1, 'second'], [60, 'minute'], [3600, 'hour'], [86400, 'day']]);
/** The login guard's per-username scope: counted by LoginGuard only, never listed by an operation. */
const LOGIN_USERNAME = 'login_username';

/** Each scope's windows, as rate strings: `{ ten: ['10/minute'], login: ['5/minute', '100/day'] }`. */
export type Rates = Readonly<Record<string, readonly string[]>>;

interface Window {
  readonly name: string;
  readonly points: number;
  readonly seconds: number;
  readonly limiter: RateLimiterAbstract;
}

/** One window's state for one key: what is left, when it resets, and whether it is full. */
interface Count {
  readonly remaining: number;
  readonly resetMs: number;
  readonly full: boolean;
}

/**
 * One point taken from one window for one key, and when that window ends at the earliest. After
 * that the point has expired with its window: giving it back then would start the next window
 * at -1, one point over its rate.
 */
interface Point {
  readonly limiter: RateLimiterAbstract;
  readonly key: string;
  readonly endsAt: number;
}

/** What taking a point from one window gave: the point and the window's count, or a store error. */
type Taking = { readonly point: Point; readonly count: Count } | { readonly error: unknown };

/**
 * Gives the points back, each while its window lasts. Best effort: never throws. A reward that
 * fails leaves its point taken, which refuses more, never less.
 */
async function giveBack(points: readonly Point[]): Promise<void> {
  // Date.now(), not the service's clock: endsAt is on rate-limiter-flexible's clock (src/clock.ts).
  const now = Date.now();
  await Promise.allSettled(points.filter((p) => now < p.endsAt).map((p) => p.limiter.reward(p.key)));
}

/** The points a take holds, whatever each window decided. */
function pointsOf(takings: readonly Taking[]): Point[] {
  return takings.flatMap((t) => ('point' in t ? [t.point] : []));
}

/** The first store error of a take, if any. */
function failureOf(takings: readonly Taking[]): { readonly error: unknown } | undefined {
  return takings.find((t): t is { readonly error: unknown } => 'error' in t);
}

/** The counts of a take that had no store error. */
function countsOf(takings: readonly Taking[]): Count[] {
  return takings.map((t) => (t as { readonly count: Count }).count);
}

/** A store error (not a rate refusal): it only gets here in fail-closed mode, because fail-open falls back to memory. */
function storeFailure(cause: unknown): ServiceUnavailable {
  return new ServiceUnavailable(undefined, undefined, { cause });
}

/**
 * The windows of one scope: the counters that the throttles of the scope share. The methods take the
 * counter key, and they reject with ServiceUnavailable when the store fails in fail-closed mode.
 */
export class RateWindows {
  /** The RateLimit-Policy header: it depends on the windows only. */
  private readonly policy: string;

  constructor(
    readonly scope: string,
    private readonly windows: readonly Window[],
  ) {
    this.policy = windows.map((w) => `"${w.name}";q=${w.points};w=${w.seconds}`).join(', ');
  }

  /**
   * Counts one request against every window, and allows it only if every window has room. When a
   * window refuses, the point taken from each of the others is given back, so a refused request
   * uses up nothing.
   */
  async consume(key: string): Promise<ThrottleDecision> {
    if (this.windows.length === 1) return this.consumeOne(key);
    const settled = await Promise.allSettled(this.windows.map((w) => w.limiter.consume(key)));
    const refused = settled.some((s) => s.status === 'rejected');
    if (refused) {
      await Promise.allSettled(
        settled.map((s, i) => (s.status === 'fulfilled' ? this.windows[i].limiter.reward(key) : null)),
      );
    }
    const counts = settled.map((s, i): Count => {
      if (s.status === 'fulfilled') {
        const left = refused ? Math.min(this.windows[i].points, s.value.remainingPoints + 1) : s.value.remainingPoints;
        return { remaining: left, resetMs: s.value.msBeforeNext, full: false };
      }
      if (s.reason instanceof RateLimiterRes) return { remaining: 0, resetMs: s.reason.msBeforeNext, full: true };
      throw storeFailure(s.reason);
    });
    return this.decide(counts);
  }

  /** `consume` for a scope of one window (most of them): nothing to give back, one promise. */
  private async consumeOne(key: string): Promise<ThrottleDecision> {
    let count: Count;
    try {
      const res = await this.windows[0].limiter.consume(key);
      count = { remaining: res.remainingPoints, resetMs: res.msBeforeNext, full: false };
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw storeFailure(err);
      count = { remaining: 0, resetMs: err.msBeforeNext, full: true };
    }
    return this.decide([count]);
  }

  /** The counts `take` saw, as they stand once its points are given back (a refused check shows what is left). */
  givenBack(counts: readonly Count[]): Count[] {
    return counts.map((c, i) => (c.full ? c : { ...c, remaining: Math.min(this.windows[i].points, c.remaining + 1) }));
  }

  /** Reads the key's count in every window, without counting anything. */
  async peek(key: string): Promise<Count[]> {
    const found = await Promise.all(this.windows.map((w) => w.limiter.get(key))).catch((err: unknown) => {
      throw storeFailure(err);
    });
    return found.map((res, i) => {
      const { points } = this.windows[i];
      // A memory record can outlive its expiry until its timer runs; every key here has a TTL.
      if (res === null || res.msBeforeNext <= 0) return { remaining: points, resetMs: 0, full: false };
      const used = res.consumedPoints;
      return { remaining: Math.max(0, points - used), resetMs: res.msBeforeNext, full: used >= points };
    });
  }

  /**
   * Takes one point from every window for the key, and decides nothing: one outcome per window,
   * a store error included. A window that had no room still counted the point (the store's
   * increment is what makes it atomic), so it is a Point to give back too.
   */
  async take(key: string): Promise<Taking[]> {
    const started = Date.now();
    const settled = await Promise.allSettled(this.windows.map((w) => w.limiter.consume(key)));
    return settled.map((s, i): Taking => {
      const window = this.windows[i];
      const res = s.status === 'fulfilled' ? s.value : s.reason;
      if (!(res instanceof RateLimiterRes)) return { error: res };
      // msBeforeNext is measured after `started`: the window ends no sooner than this.
      const point = { limiter: window.limiter, key, endsAt: started + res.msBeforeNext };
      if (s.status === 'fulfilled') return { point, count: { remaining: res.remainingPoints, resetMs: res.msBeforeNext, full: false } };
      return { point, count: { remaining: 0, resetMs: res.msBeforeNext, full: true } };
    });
  }

  /** Clears the key in every window. This is best effort and never throws. */
  async forget(key: string): Promise<void> {
    await Promise.allSettled(this.windows.map((w) => w.limiter.delete(key)));
  }

  /** Turns one count per window into a decision: refused when any window is full, waiting for the last of them. */
  decide(counts: readonly Count[]): ThrottleDecision {
    let rateLimit = '';
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i];
      rateLimit += `${i ? ', ' : ''}"${this.windows[i].name}";r=${c.remaining};t=${Math.ceil(Math.max(0, c.resetMs) / 1000)}`;
    }
    const headers = { 'RateLimit-Policy': this.policy, RateLimit: rateLimit };
    const waits = counts.filter((c) => c.full).map((c) => Math.max(0, c.resetMs));
    if (waits.length === 0) return { allowed: true, headers };
    return { allowed: false, waitSeconds: Math.max(...waits) / 1000, headers };
  }
}

/** The counter key of a client address: IPv4 as it is, IPv6 by its /64 network (#14). */
function ipKey(ip: string): string {
  return `ip:${throttleIdent(ip)}`;
}

/** The counter key of DRF's get_ident: the user's id, or the client's IP when anonymous. */
function ident(req: RequestInfo): string {
  return req.principal ? `user:${req.principal.id}` : ipKey(req.ip);
}

abstract class RateThrottle implements Throttle {
  readonly scope: string;
  constructor(protected readonly windows: RateWindows) {
    this.scope = windows.scope;
  }
  abstract check(req: RequestInfo): Promise<ThrottleDecision>;
}

/**
 * DRF's AnonRateThrottle: counts anonymous requests per client IP. An authenticated request
 * passes uncounted and gets no headers.
 */
export class AnonRateThrottle extends RateThrottle {
  async check(req: RequestInfo): Promise<ThrottleDecision> {
    return req.principal ? { allowed: true } : this.windows.consume(ipKey(req.ip));
  }
}

/** DRF's UserRateThrottle: counts per user id, or per client IP when the request is anonymous. */
export class UserRateThrottle extends RateThrottle {
  async check(req: RequestInfo): Promise<ThrottleDecision> {
    return this.windows.consume(ident(req));
  }
}

/** DRF's ScopedRateThrottle: counts per user id or IP, per scope. Every operation that names the scope shares its counters. */
export class ScopedRateThrottle extends RateThrottle {
  async check(req: RequestInfo): Promise<ThrottleDecision> {
    return this.windows.consume(ident(req));
  }
}

/**
 * The request gate of the `login` scope: it refuses a client address whose password checks
 * (taken by LoginGuard, and kept when the password was wrong) have filled a window, before the
 * body is read. It counts nothing itself.
 */
export class LoginThrottle extends RateThrottle {
  async check(req: RequestInfo): Promise<ThrottleDecision> {
    return this.windows.decide(await this.windows.peek(ipKey(req.ip)));
  }
}

/**
 * Counts requests per e-mail address, the `email` field of the body, trimmed and lower-cased,
 * whoever sends them: it caps the reset and activation mails one address receives (#14). The
 * address is counted whether or not an account has it, so a refusal reveals nothing. A body
 * without a string `email` passes uncounted. The key holds the address's SHA-256 only: the store
 * keeps no address, and a long one makes no long key. The gate runs this kind once the body is
 * read (DRF reads the body after its throttles).
 */
export class EmailRateThrottle extends RateThrottle {
  async check(req: RequestInfo): Promise<ThrottleDecision> {
    const email = (req.body as { email?: unknown } | null | undefined)?.email;
    if (typeof email !== 'string') return { allowed: true };
    return this.windows.consume(`email:${crypto.hash('sha256', email.trim().toLowerCase())}`);
  }
}

const KIND_CLASSES: Readonly<Record<ThrottleKind, new (windows: RateWindows) => RateThrottle>> = {
  anon: AnonRateThrottle,
  user: UserRateThrottle,
  login: LoginThrottle,
  scoped: ScopedRateThrottle,
  email: EmailRateThrottle,
};

/**
 * A password check's points, taken by LoginGuard.reserve from every window of the client address
 * and of the username. They are the check's own: the guard keeps nothing per request.
 */
export class Reservation {
  constructor(private readonly points: readonly Point[]) {}

  /**
   * The password was right: every point goes back, except those whose window has ended meanwhile
   * (they expired with it). A wrong password keeps them. Best effort: never throws.
   */
  async giveBack(): Promise<void> {
    await giveBack(this.points);
  }
}

/** LoginGuard's decision: refused (nothing taken), or allowed with the points to give back when the password is right. */
export type LoginDecision =
  | { readonly allowed: true; readonly reservation: Reservation; readonly headers: Readonly<Record<string, string>> }
  | { readonly allowed: false; readonly waitSeconds: number | null; readonly headers: Readonly<Record<string, string>>; readonly scopes: readonly string[] };

/**
 * Guards against password guessing on every operation that checks a password (#14). Each check
 * first takes one point from every window of the client address (scope `login`, every username),
 * then, if the address had room, from every window of the username (scope `login_username`, every
 * address); only then does the hash run. A check that finds a window without room is refused at
 * once, and the points it took are given back: a refused check costs nothing, not even a hash.
 * A right password gives its points back (Reservation.giveBack); a wrong one keeps them.
 *
 * Each window counts with one atomic increment (a synchronous one in memory, one Lua script in
 * Redis), so however many checks run at once, in one process or in several sharing Redis, no
 * window admits more than its points: a check holds its point while it hashes.
 *
 * The address is asked first, and the username only when the address had room, so the checks a
 * burst from one address has no room for never touch the username's count, not even for the
 * moment before they are given back: they cannot make the owner's own login, from elsewhere at
 * the same moment, look like one too many, nor make one of the burst's own first checks find the
 * username full and give its address point back (which would leave that address less than full).
 * Taking from two keys is still not one transaction: a check refused by a full username gives its
 * address point back, and under a race it may be refused by a point another refused check is about
 * to give back. So it may refuse too much, never too little.
 *
 * The address's windows are the tighter ones (20/minute against 30/minute as shipped), so a burst
 * from one address stops there and never locks the owner out elsewhere; a burst spread over many
 * addresses fills the username's window, which ends a minute later. Usernames are compared after
 * NFKC and lower-casing, so changing the case does not start a fresh count.
 */
export class LoginGuard {
  constructor(
    private readonly byAddress: RateWindows,
    private readonly byUsername: RateWindows,
  ) {}

  /**
   * Takes the check's point from every window of the address, then of the username, or refuses
   * with the longest wait and keeps nothing. Rejects with ServiceUnavailable when the store fails
   * in fail-closed mode (giving back whatever it took).
   */
  async reserve(ip: string, username: string): Promise<LoginDecision> {
    const address = await this.byAddress.take(ipKey(ip));
    const held = pointsOf(address);
    const failed = failureOf(address);
    if (failed) {
      await giveBack(held);
      throw storeFailure(failed.error);
    }
    const byAddress = countsOf(address);
    if (byAddress.some((c) => c.full)) {
      // Refused by the address: the username's windows are read, for the headers, but not counted.
      const [, byName] = await Promise.all([giveBack(held), this.byUsername.peek(usernameKey(username))]);
      const scopes = byName.some((c) => c.full) ? [LOGIN_SCOPE, LOGIN_USERNAME] : [LOGIN_SCOPE];
      return this.refusal(scopes, this.byAddress.decide(this.byAddress.givenBack(byAddress)), this.byUsername.decide(byName));
    }
    const name = await this.byUsername.take(usernameKey(username));
    const points = [...held, ...pointsOf(name)];
    const failedName = failureOf(name);
    if (failedName) {
      await giveBack(points);
      throw storeFailure(failedName.error);
    }
    const byName = countsOf(name);
    if (byName.some((c) => c.full)) {
      await giveBack(points);
      return this.refusal([LOGIN_USERNAME], this.byAddress.decide(this.byAddress.givenBack(byAddress)), this.byUsername.decide(this.byUsername.givenBack(byName)));
    }
    return { allowed: true, reservation: new Reservation(points), headers: mergeHeaders([this.byAddress.decide(byAddress), this.byUsername.decide(byName)]) };
  }

  /** A refused check's decision, waiting for the longest of the full windows. */
  private refusal(scopes: readonly string[], ...decisions: ThrottleDecision[]): LoginDecision {
    const waits = decisions.flatMap((d) => (d.allowed || d.waitSeconds === null ? [] : [d.waitSeconds]));
    return { allowed: false, waitSeconds: waits.length > 0 ? Math.max(...waits) : null, headers: mergeHeaders(decisions), scopes };
  }

  /**
   * Clears the username's count after a successful login. Best effort: never throws. The
   * address's count stays, or one account that an attacker owns would wipe the count of their spray.
   */
  async reset(username: string): Promise<void> {
    await this.byUsername.forget(usernameKey(username));
  }
}

/** The counter key of a username: the same comparison key as uniqueness uses (src/username.ts). */
function usernameKey(username: string): string {
  return `username:${comparisonKey(username)}`;
}

export interface ThrottleRegistryOptions {
  /**
   * The shared store. When this is null or absent, counts stay in this process's memory. The
   * caller owns the client and closes it. A command waits for Redis only while the client is
   * `ready`: otherwise it fails at once (`rejectIfRedisNotReady`). So a lazyConnect client must be
   * connected by its owner. Give the client a `commandTimeout` and a small `maxRetriesPerRequest`,
   * so that a Redis that dies in the middle of a command fails fast too.
   */
  readonly redis?: Redis | null;
  /**
   * What happens when the store fails. `open` counts in this process's memory until Redis answers
   * again. `closed` refuses the request with 503 ServiceUnavailable.
   */
  readonly failMode: 'open' | 'closed';
  /** Namespaces the counters (default `throttle`). Counter keys are `<prefix>:<scope>:<window seconds>:<ident>`. */
  readonly keyPrefix?: string;
  /** The spec's `x-throttle-kinds`: the kind of each scope listed; a scope not listed is `scoped`. */
  readonly kinds?: Readonly<Record<string, ThrottleKind>>;
}

/**
 * Builds every scope's limiters once, at start-up, and hands out the throttles. The constructor
 * throws ImproperlyConfigured for a bad rate or scope name. The Redis client belongs to the caller,
 * so there is nothing to close here.
 */
export class ThrottleRegistry {
  private readonly scopes = new Map<string, RateWindows>();
  private readonly throttles = new Map<string, Throttle>();
  private readonly kinds: Readonly<Record<string, ThrottleKind>>;
  private guard: LoginGuard | undefined;

  constructor(rates: Rates, options: ThrottleRegistryOptions) {
    const prefix = options.keyPrefix ?? 'throttle';
    this.kinds = { ...options.kinds };
    for (const [scope, kind] of Object.entries(this.kinds)) {
      if (!THROTTLE_KINDS.includes(kind)) throw new ImproperlyConfigured(`Throttle scope ${JSON.stringify(scope)}: unknown kind ${JSON.stringify(kind)} (known: ${THROTTLE_KINDS.join(', ')})`);
      if (!Object.hasOwn(rates, scope)) throw new ImproperlyConfigured(`Throttle scope ${JSON.stringify(scope)} has a kind but no rate`);
    }
    for (const [scope, list] of Object.entries(rates)) {
      const windows = parseWindows(scope, list).map(({ points, durationSeconds: seconds }, i): Window => {
        const base = { points, duration: seconds, keyPrefix: `${prefix}:${scope}:${seconds}` };
        const limiter = options.redis
          ? new RateLimiterRedis({
              ...base,
              storeClient: options.redis,
              rejectIfRedisNotReady: true,
              insuranceLimiter: options.failMode === 'open' ? new RateLimiterMemory(base) : undefined,
            })
          : new RateLimiterMemory(base);
        return { name: i === 0 ? scope : `${scope}/${UNIT_NAME.get(seconds)}`, points, seconds, limiter };
      });
      this.scopes.set(scope, new RateWindows(scope, windows));
    }
  }

  /**
   * The throttle of a scope, built on first use and reused after that. Its kind (kindOf) picks
   * the class: AnonRateThrottle, UserRateThrottle, LoginThrottle, ScopedRateThrottle or
   * EmailRateThrottle. Throws ImproperlyConfigured when the scope has no rate, and for
   * `login_username` (the login guard's own).
   */
  throttle(scope: string): Throttle {
    let throttle = this.throttles.get(scope);
    if (!throttle) {
      if (scope === LOGIN_USERNAME) {
        throw new ImproperlyConfigured(`Throttle scope "${LOGIN_USERNAME}" belongs to the login guard: an operation that checks a password lists "login"`);
      }
      throttle = new KIND_CLASSES[this.kindOf(scope)](this.windowsOf(scope));
      this.throttles.set(scope, throttle);
    }
    return throttle;
  }

  /** The scope's declared kind; `scoped` (DRF's ScopedRateThrottle) when none is declared. */
  kindOf(scope: string): ThrottleKind {
    return Object.hasOwn(this.kinds, scope) ? this.kinds[scope] : 'scoped';
  }

  /**
   * The password-check guard: per client address in the `login` scope's windows, per username in
   * the `login_username` scope's. Throws ImproperlyConfigured when either scope has no rate.
   */
  loginGuard(): LoginGuard {
    return (this.guard ??= new LoginGuard(this.windowsOf(LOGIN_SCOPE), this.windowsOf(LOGIN_USERNAME)));
  }

  private windowsOf(scope: string): RateWindows {
    const windows = this.scopes.get(scope);
    if (!windows) {
      throw new ImproperlyConfigured(
        `No throttle rate for scope ${JSON.stringify(scope)} (known: ${[...this.scopes.keys()].join(', ') || 'none'})`,
      );
    }
    return windows;
  }
}

/** The headers of several decisions, those with the same name joined with `, `. */
function mergeHeaders(decisions: readonly ThrottleDecision[], earlier?: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = { ...earlier };
  for (const decision of decisions) {
    for (const [name, value] of Object.entries(decision.headers ?? {})) {
      headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
    }
  }
  return headers;
}

/**
 * Runs every throttle, as DRF does: a refusal does not skip the others. Joins the headers with the
 * same name with `, `, after those of `earlier` (the throttles already passed, when the email kind
 * runs after the body is read). Returns the merged headers for the response. When any throttle refuses,
 * throws Throttled with the longest known wait, or null when no wait is known. The error keeps its
 * Retry-After and carries the merged headers too. A store failure in fail-closed mode rejects with
 * ServiceUnavailable.
 */
export async function checkThrottles(throttles: readonly Throttle[], req: RequestInfo, earlier?: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const decisions = throttles.length === 1 ? [await throttles[0].check(req)] : await Promise.all(throttles.map((t) => t.check(req)));
  const headers = mergeHeaders(decisions, earlier);
  const refusals = decisions.filter((d) => !d.allowed);
  if (refusals.length === 0) return headers;
  const waits = refusals.flatMap((d) => (d.allowed || d.waitSeconds === null ? [] : [d.waitSeconds]));
  const error = new Throttled(waits.length > 0 ? Math.max(...waits) : null);
  Object.assign(error.headers, headers);
  error.scopes = throttles.filter((_, i) => !decisions[i].allowed).map((t) => t.scope);
  throw error;
}
