import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { ImproperlyConfigured, ServiceUnavailable, Throttled } from '../../../src/errors';
import {
  AnonRateThrottle,
  EmailRateThrottle,
  LoginThrottle,
  ScopedRateThrottle,
  ThrottleRegistry,
  UserRateThrottle,
  checkThrottles,
  type LoginDecision,
} from '../../../src/policies/throttling';
import type { OperationInfo, Principal, RequestInfo, ThrottleDecision } from '../../../src/policies/types';

function principal(id: number): Principal {
  return {
    id,
    username: `user${id}`,
    email: `user${id}@example.com`,
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    groups: async () => new Set<string>(),
  };
}

function request(ip: string, user: Principal | null = null, operationId = 'menuItems'): RequestInfo {
  const operation: OperationInfo = {
    operationId,
    method: 'GET',
    path: `/${operationId}/`,
    roles: ['anyone'],
    object: null,
    group: null,
    throttles: [],
    schemes: ['jwtAuth', 'anonymous'],
    anonymous: true,
  };
  return { method: 'GET', ip, headers: {}, params: {}, operation, principal: user, auth: null };
}

/** The spec's x-throttle-kinds, for the scopes these tests use. */
const KINDS = { anon: 'anon', default_anon: 'anon', user: 'user', default_user: 'user', login: 'login', mail: 'email' } as const;
const memory = (rates: Record<string, string[]>) =>
  new ThrottleRegistry(rates, { failMode: 'closed', kinds: Object.fromEntries(Object.entries(KINDS).filter(([scope]) => scope in rates)) });

async function allowedCount(decisions: Promise<ThrottleDecision>[]): Promise<number> {
  return (await Promise.all(decisions)).filter((d) => d.allowed).length;
}

/**
 * Stops Date for the rest of test `t` (node:test's mock timers; undone when it ends), so that it
 * moves only by `t.mock.timers.tick(ms)`. rate-limiter-flexible's memory store reads Date.now(),
 * and so does the login guard's bookkeeping (src/clock.ts: the throttles are not on the service's
 * clock); Redis keeps its own time, so the tests against it wait for real.
 */
function stopTime(t: TestContext): void {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
}

function waitOf(decision: ThrottleDecision): number | null {
  assert.equal(decision.allowed, false);
  return decision.allowed ? null : decision.waitSeconds;
}

describe('ThrottleRegistry', () => {
  test('validates every rate at construction, naming the scope and the rate', () => {
    assert.throws(
      () => memory({ ten: ['10/minute'], broken: ['10/fortnight'] }),
      (err: unknown) => err instanceof ImproperlyConfigured && /"broken"/.test(err.message) && /"10\/fortnight"/.test(err.message),
    );
    assert.throws(() => memory({ empty: [] }), /"empty": no rate/);
    assert.throws(() => memory({ 'bad scope': ['1/s'] }), ImproperlyConfigured);
  });

  test('an unknown scope is ImproperlyConfigured naming it; a known one is built once', () => {
    const registry = memory({ ten: ['10/minute'] });
    assert.throws(() => registry.throttle('nope'), (err: unknown) => err instanceof ImproperlyConfigured && err.message.includes('"nope"'));
    assert.throws(() => registry.loginGuard(), (err: unknown) => err instanceof ImproperlyConfigured && err.message.includes('"login"'));
    assert.equal(registry.throttle('ten'), registry.throttle('ten'));
    assert.equal(registry.throttle('ten').scope, 'ten');
  });

  test("the declared kind picks the throttle's class; a scope not declared is scoped, whatever its name", () => {
    const registry = memory({ anon: ['1/s'], default_anon: ['1/s'], user: ['1/s'], default_user: ['1/s'], login: ['1/s'], ten: ['1/s'], mail: ['1/s'], other_anon: ['1/s'] });
    assert.ok(registry.throttle('anon') instanceof AnonRateThrottle);
    assert.ok(registry.throttle('default_anon') instanceof AnonRateThrottle);
    assert.ok(registry.throttle('user') instanceof UserRateThrottle);
    assert.ok(registry.throttle('default_user') instanceof UserRateThrottle);
    assert.ok(registry.throttle('login') instanceof LoginThrottle);
    assert.ok(registry.throttle('mail') instanceof EmailRateThrottle);
    assert.ok(registry.throttle('ten') instanceof ScopedRateThrottle);
    assert.ok(registry.throttle('other_anon') instanceof ScopedRateThrottle, 'no more guessing from the name');
    assert.equal(registry.kindOf('mail'), 'email');
    assert.equal(registry.kindOf('ten'), 'scoped');
  });

  test('a kind for a scope without a rate, or an unknown kind, is ImproperlyConfigured naming it', () => {
    assert.throws(() => new ThrottleRegistry({ ten: ['1/s'] }, { failMode: 'open', kinds: { tne: 'user' } }), (err: unknown) => err instanceof ImproperlyConfigured && err.message.includes('"tne"'));
    assert.throws(() => new ThrottleRegistry({ ten: ['1/s'] }, { failMode: 'open', kinds: { ten: 'ip' as never } }), (err: unknown) => err instanceof ImproperlyConfigured && err.message.includes('"ip"'));
  });
});

describe('counting in memory', () => {
  test('email counts per address in the body, trimmed and case-folded, whoever asks; no string, no count', async () => {
    const mail = memory({ mail: ['2/minute'] }).throttle('mail');
    const asking = (email: unknown, ip = '10.0.0.1', user: Principal | null = null) => ({ ...request(ip, user), body: { email } });
    assert.deepEqual(await mail.check(request('10.0.0.1')), { allowed: true }, 'no body yet');
    assert.deepEqual(await mail.check(asking(42)), { allowed: true });
    assert.equal((await mail.check(asking('Mario@Example.com'))).allowed, true);
    assert.equal((await mail.check(asking(' mario@example.com ', '10.0.0.2', principal(1)))).allowed, true);
    assert.equal((await mail.check(asking('MARIO@EXAMPLE.COM', '10.0.0.3'))).allowed, false, 'a third ask from anywhere');
    assert.equal((await mail.check(asking('luigi@example.com'))).allowed, true);
  });

  test('an IPv6 client is counted by its /64 network', async () => {
    const anon = memory({ anon: ['2/minute'] }).throttle('anon');
    assert.equal((await anon.check(request('2001:db8::1'))).allowed, true);
    assert.equal((await anon.check(request('2001:db8::2'))).allowed, true);
    assert.equal((await anon.check(request('2001:db8::ffff:1'))).allowed, false);
    assert.equal((await anon.check(request('2001:db8:0:1::1'))).allowed, true);
  });

  test('allows exactly the rate, then refuses until the window resets (2/second)', async (t) => {
    stopTime(t);
    const ten = memory({ ten: ['2/second'] }).throttle('ten');
    const req = request('10.0.0.1', principal(1));
    assert.equal((await ten.check(req)).allowed, true);
    assert.equal((await ten.check(req)).allowed, true);
    const refused = await ten.check(req);
    assert.equal(waitOf(refused), 1);
    t.mock.timers.tick(999);
    assert.equal(waitOf(await ten.check(req)), 0.001, 'the last millisecond of the window');
    t.mock.timers.tick(1);
    assert.equal((await ten.check(req)).allowed, true);
    assert.equal((await ten.check(req)).allowed, true);
    assert.equal((await ten.check(req)).allowed, false);
  });

  test('anon counts anonymous requests per IP and lets an authenticated request through uncounted', async () => {
    const anon = memory({ anon: ['2/minute'] }).throttle('anon');
    for (let i = 0; i < 5; i++) assert.deepEqual(await anon.check(request('10.0.0.1', principal(1))), { allowed: true });
    assert.equal((await anon.check(request('10.0.0.1'))).allowed, true);
    assert.equal((await anon.check(request('10.0.0.1'))).allowed, true);
    assert.equal((await anon.check(request('10.0.0.1'))).allowed, false);
    assert.equal((await anon.check(request('10.0.0.2'))).allowed, true, 'another IP has its own count');
    assert.deepEqual(await anon.check(request('10.0.0.1', principal(1))), { allowed: true }, 'still uncounted when the IP is throttled');
  });

  test('user counts per user id whatever the IP, and per IP when anonymous', async () => {
    const user = memory({ user: ['2/minute'] }).throttle('user');
    assert.equal((await user.check(request('10.0.0.1', principal(1)))).allowed, true);
    assert.equal((await user.check(request('10.0.0.2', principal(1)))).allowed, true);
    assert.equal((await user.check(request('10.0.0.3', principal(1)))).allowed, false, 'same user from a third IP');
    assert.equal((await user.check(request('10.0.0.1', principal(2)))).allowed, true, 'another user from the same IP');
    assert.equal((await user.check(request('10.0.0.1'))).allowed, true, 'anonymous: counted per IP, apart from user ids');
    assert.equal((await user.check(request('10.0.0.1'))).allowed, true);
    assert.equal((await user.check(request('10.0.0.1'))).allowed, false);
  });

  test("a scope's counters are shared by every operation using it, and apart from other scopes", async () => {
    const registry = memory({ ten: ['2/minute'], other: ['2/minute'] });
    const alice = principal(1);
    assert.equal((await registry.throttle('ten').check(request('10.0.0.1', alice, 'menuItems'))).allowed, true);
    assert.equal((await registry.throttle('ten').check(request('10.0.0.1', alice, 'categories'))).allowed, true);
    assert.equal((await registry.throttle('ten').check(request('10.0.0.1', alice, 'orders'))).allowed, false);
    assert.equal((await registry.throttle('other').check(request('10.0.0.1', alice, 'menuItems'))).allowed, true);
  });

  test("a request refused by one window does not use up the scope's other windows", async (t) => {
    stopTime(t);
    const burst = memory({ burst: ['3/minute', '2/second'] }).throttle('burst');
    const req = request('10.0.0.1', principal(1));
    assert.equal((await burst.check(req)).allowed, true);
    assert.equal((await burst.check(req)).allowed, true);
    const refused = await burst.check(req);
    assert.equal(refused.allowed, false);
    assert.match(refused.headers?.RateLimit ?? '', /^"burst";r=1;t=60, "burst\/second";r=0;t=1$/, 'the minute window got its point back');
    assert.equal(waitOf(await burst.check(req))! <= 1, true, 'the wait is the second window\'s');
    t.mock.timers.tick(1000);
    assert.equal((await burst.check(req)).allowed, true, 'the third request of the minute');
    const byMinute = await burst.check(req);
    const wait = waitOf(byMinute);
    assert.equal(wait, 59, 'now the minute window refuses, for the rest of its minute');
  });

  test('200 simultaneous checks against 10/minute allow exactly 10', async () => {
    const ten = memory({ ten: ['10/minute'] }).throttle('ten');
    const req = request('10.0.0.1', principal(1));
    assert.equal(await allowedCount(Array.from({ length: 200 }, () => ten.check(req))), 10);
  });

  test('a multi-window scope holds its tightest limit exactly under concurrency', async () => {
    const ten = memory({ ten: ['10/minute', '100/day'] }).throttle('ten');
    assert.equal(await allowedCount(Array.from({ length: 200 }, () => ten.check(request('10.0.0.1')))), 10);
  });
});

describe('headers', () => {
  test('every counted decision carries RateLimit-Policy and RateLimit', async () => {
    const ten = memory({ ten: ['2/minute'] }).throttle('ten');
    const req = request('10.0.0.1', principal(1));
    assert.deepEqual((await ten.check(req)).headers, { 'RateLimit-Policy': '"ten";q=2;w=60', RateLimit: '"ten";r=1;t=60' });
    assert.deepEqual((await ten.check(req)).headers, { 'RateLimit-Policy': '"ten";q=2;w=60', RateLimit: '"ten";r=0;t=60' });
    const refused = await ten.check(req);
    assert.equal(refused.allowed, false);
    assert.deepEqual(refused.headers, { 'RateLimit-Policy': '"ten";q=2;w=60', RateLimit: '"ten";r=0;t=60' });
  });

  test('a multi-window scope lists each window; the first carries the scope name', async () => {
    const registry = memory({ login: ['5/minute', '100/day'], login_username: ['3/minute'] });
    const gate = registry.throttle('login');
    assert.deepEqual((await gate.check(request('10.0.0.1'))).headers, {
      'RateLimit-Policy': '"login";q=5;w=60, "login/day";q=100;w=86400',
      RateLimit: '"login";r=5;t=0, "login/day";r=100;t=0',
    });
    const reserved = await registry.loginGuard().reserve('10.0.0.1', 'alice');
    assert.deepEqual(reserved.headers, {
      'RateLimit-Policy': '"login";q=5;w=60, "login/day";q=100;w=86400, "login_username";q=3;w=60',
      RateLimit: '"login";r=4;t=60, "login/day";r=99;t=86400, "login_username";r=2;t=60',
    });
    assert.deepEqual((await gate.check(request('10.0.0.1'))).headers, {
      'RateLimit-Policy': '"login";q=5;w=60, "login/day";q=100;w=86400',
      RateLimit: '"login";r=4;t=60, "login/day";r=99;t=86400',
    });
  });
});

describe('checkThrottles', () => {
  test('merges the headers of every throttle and returns them when all allow', async () => {
    const registry = memory({ user: ['5/minute'], ten: ['10/minute'] });
    const headers = await checkThrottles([registry.throttle('user'), registry.throttle('ten')], request('10.0.0.1', principal(1)));
    assert.deepEqual(headers, {
      'RateLimit-Policy': '"user";q=5;w=60, "ten";q=10;w=60',
      RateLimit: '"user";r=4;t=60, "ten";r=9;t=60',
    });
  });

  test('a throttle that does not apply adds no headers', async () => {
    const registry = memory({ anon: ['2/minute'], ten: ['10/minute'] });
    const headers = await checkThrottles([registry.throttle('anon'), registry.throttle('ten')], request('10.0.0.1', principal(1)));
    assert.deepEqual(headers, { 'RateLimit-Policy': '"ten";q=10;w=60', RateLimit: '"ten";r=9;t=60' });
  });

  test('throws Throttled with the longest wait, Retry-After and the merged headers; every throttle still counts', async () => {
    const registry = memory({ ten: ['1/second'], user: ['1/minute'], other: ['5/minute'] });
    const throttles = [registry.throttle('ten'), registry.throttle('user'), registry.throttle('other')];
    const req = request('10.0.0.1', principal(1));
    await checkThrottles(throttles, req);
    await assert.rejects(checkThrottles(throttles, req), (err: unknown) => {
      assert.ok(err instanceof Throttled);
      assert.equal(err.status, 429);
      assert.equal(err.headers['Retry-After'], '60');
      assert.equal(err.detail, 'Request was throttled. Expected available in 60 seconds.');
      assert.equal(err.headers['RateLimit-Policy'], '"ten";q=1;w=1, "user";q=1;w=60, "other";q=5;w=60');
      assert.match(err.headers.RateLimit ?? '', /^"ten";r=0;t=1, "user";r=0;t=60, "other";r=3;t=60$/);
      return true;
    });
  });

  test('no throttles: nothing to merge', async () => {
    assert.deepEqual(await checkThrottles([], request('10.0.0.1')), {});
  });
});

describe('login', () => {
  const guardOf = (rates: Record<string, string[]>) => memory(rates).loginGuard();
  /** How many of `n` simultaneous reservations were allowed. */
  const allowedOf = async (reservations: Promise<LoginDecision>[]) => (await Promise.all(reservations)).filter((d) => d.allowed).length;

  test('a reservation takes a point per address and per username; a wrong password keeps it', async () => {
    const guard = guardOf({ login: ['3/minute'], login_username: ['5/minute'] });
    for (let i = 0; i < 3; i++) assert.equal((await guard.reserve('10.0.0.1', 'alice')).allowed, true);
    const refused = await guard.reserve('10.0.0.1', 'alice');
    const wait = waitOf(refused as ThrottleDecision);
    assert.ok(wait !== null && wait > 59 && wait <= 60, `wait ${wait}`);
    assert.equal((await guard.reserve('10.0.0.1', 'bob')).allowed, false, 'the address is refused for any username');
    assert.equal((await guard.reserve('10.0.0.2', 'ALICE')).allowed, true, 'the owner from another address: the username has room');
    assert.equal((await guard.reserve('10.0.0.3', 'alice')).allowed, true);
    assert.equal((await guard.reserve('10.0.0.4', 'Alice')).allowed, false, 'the username is full, whatever its case');
    assert.equal((await guard.reserve('10.0.0.4', 'bob')).allowed, true, 'the refusal took nothing from 10.0.0.4');
  });

  test('a refused reservation takes nothing from the windows that had room', async () => {
    const guard = guardOf({ login: ['5/minute', '100/day'], login_username: ['1/minute'] });
    assert.equal((await guard.reserve('10.0.0.1', 'alice')).allowed, true);
    const refused = await guard.reserve('10.0.0.1', 'alice');
    assert.equal(refused.allowed, false);
    assert.equal(refused.headers.RateLimit, '"login";r=4;t=60, "login/day";r=99;t=86400, "login_username";r=0;t=60');
    const next = await guard.reserve('10.0.0.1', 'bob');
    assert.equal(next.headers.RateLimit, '"login";r=3;t=60, "login/day";r=98;t=86400, "login_username";r=0;t=60');
  });

  test('giving back (the password was right) returns every point taken', async () => {
    const guard = guardOf({ login: ['2/minute', '100/day'], login_username: ['2/minute'] });
    for (let i = 0; i < 10; i++) {
      const d = await guard.reserve('10.0.0.1', 'alice');
      assert.ok(d.allowed, `login ${i} of the owner`);
      await d.reservation.giveBack();
    }
    const d = await guard.reserve('10.0.0.1', 'alice');
    assert.equal(d.headers.RateLimit, '"login";r=1;t=60, "login/day";r=99;t=86400, "login_username";r=1;t=60');
  });

  test('100 simultaneous reservations against 20/minute: exactly 20 are allowed, before any is given back', async () => {
    const guard = guardOf({ login: ['20/minute', '500/day'], login_username: ['30/minute'] });
    assert.equal(await allowedOf(Array.from({ length: 100 }, () => guard.reserve('10.0.0.1', 'alice'))), 20);
    const spread = guardOf({ login: ['20/minute'], login_username: ['30/minute'] });
    assert.equal(await allowedOf(Array.from({ length: 100 }, (_, i) => spread.reserve(`10.0.1.${i}`, 'alice'))), 30, 'from 100 addresses, the username binds');
  });

  test("a burst refused by its full address never counts against the username: the owner's simultaneous logins from elsewhere all pass", async () => {
    const guard = guardOf({ login: ['20/minute'], login_username: ['30/minute'] });
    assert.equal(await allowedOf(Array.from({ length: 20 }, () => guard.reserve('10.0.0.1', 'someone'))), 20);
    const burst = Array.from({ length: 40 }, () => guard.reserve('10.0.0.1', 'alice'));
    const owner = Array.from({ length: 30 }, (_, i) => guard.reserve(`10.0.2.${i}`, 'alice'));
    assert.equal(await allowedOf(burst), 0, 'the full address refuses every guess');
    assert.equal(await allowedOf(owner), 30, "the username's 30 points are all the owner's");
  });

  test('a burst whose first checks find the username full leaves its address exactly as full as the checks it made', async () => {
    const guard = guardOf({ login: ['20/minute'], login_username: ['30/minute'] });
    assert.equal(await allowedOf(Array.from({ length: 25 }, (_, i) => guard.reserve(`10.0.3.${i}`, 'alice'))), 25);
    const decisions = await Promise.all(Array.from({ length: 60 }, () => guard.reserve('10.0.0.1', 'alice')));
    const checked = decisions.filter((d) => d.allowed).length;
    assert.equal(checked, 5, 'the username had 5 points left');
    assert.equal(await allowedOf(Array.from({ length: 30 }, (_, i) => guard.reserve('10.0.0.1', `user${i}`))), 15, 'the address has 20 - 5 left');
  });

  test('a point whose window ended meanwhile is not given back: the next window gets no extra point', async (t) => {
    stopTime(t);
    const guard = guardOf({ login: ['2/second'], login_username: ['10/second'] });
    const slow = await guard.reserve('10.0.0.1', 'alice');
    assert.ok(slow.allowed);
    t.mock.timers.tick(1000); // a hash that outlived its window
    await slow.reservation.giveBack();
    assert.equal(await allowedOf([1, 2, 3].map(() => guard.reserve('10.0.0.1', 'alice'))), 2);
  });

  test('reset clears the username only, not the address', async () => {
    const guard = guardOf({ login: ['3/minute'], login_username: ['3/minute'] });
    for (let i = 0; i < 3; i++) await guard.reserve(`10.0.0.${i}`, 'alice');
    for (let i = 0; i < 3; i++) await guard.reserve('10.0.0.9', `user${i}`);
    await guard.reset('Alice');
    assert.equal((await guard.reserve('10.0.0.5', 'alice')).allowed, true);
    assert.equal((await guard.reserve('10.0.0.9', 'bob')).allowed, false);
  });

  test("throttle('login') gates the request on the address's kept points without counting", async () => {
    const registry = memory({ login: ['2/minute'], login_username: ['5/minute'] });
    const gate = registry.throttle('login');
    for (let i = 0; i < 5; i++) assert.equal((await gate.check(request('10.0.0.1'))).allowed, true);
    await registry.loginGuard().reserve('10.0.0.1', 'alice');
    await registry.loginGuard().reserve('10.0.0.9', 'bob');
    await registry.loginGuard().reserve('10.0.0.9', 'bob');
    assert.equal((await gate.check(request('10.0.0.1'))).allowed, true);
    await registry.loginGuard().reserve('10.0.0.1', 'carol');
    const refused = await gate.check(request('10.0.0.1'));
    assert.equal(refused.allowed, false);
    assert.deepEqual(refused.headers, { 'RateLimit-Policy': '"login";q=2;w=60', RateLimit: '"login";r=0;t=60' });
    assert.equal(registry.loginGuard(), registry.loginGuard());
  });

  test('the guard needs both scopes; login_username is no operation\'s throttle', () => {
    assert.throws(() => memory({ login: ['1/s'] }).loginGuard(), (err: unknown) => err instanceof ImproperlyConfigured && err.message.includes('"login_username"'));
    assert.throws(() => memory({ login: ['1/s'], login_username: ['1/s'] }).throttle('login_username'), (err: unknown) => err instanceof ImproperlyConfigured && err.message.includes('login guard'));
  });
});

describe('store failures (Redis on a closed port)', () => {
  let dead: Redis;
  before(() => {
    dead = new Redis({ host: '127.0.0.1', port: 6390, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  });
  after(() => dead.disconnect());

  test('fail open: counts in memory instead, and the limit still holds in this process', async () => {
    const registry = new ThrottleRegistry({ ten: ['3/minute'], login: ['5/minute'], login_username: ['2/minute'] }, { redis: dead, failMode: 'open' });
    const started = Date.now();
    const ten = registry.throttle('ten');
    assert.equal(await allowedCount(Array.from({ length: 20 }, () => ten.check(request('10.0.0.1')))), 3);
    const guard = registry.loginGuard();
    assert.equal((await guard.reserve('10.0.0.1', 'alice')).allowed, true);
    assert.equal((await guard.reserve('10.0.0.1', 'alice')).allowed, true);
    assert.equal((await guard.reserve('10.0.0.2', 'alice')).allowed, false);
    await guard.reset('alice');
    assert.ok(Date.now() - started < 1000, 'fails fast');
  });

  test('fail closed: ServiceUnavailable, for the throttles and the login guard', async () => {
    const registry = new ThrottleRegistry({ ten: ['3/minute'], login: ['2/minute'], login_username: ['2/minute'] }, { redis: dead, failMode: 'closed' });
    const started = Date.now();
    const is503 = (err: unknown) => err instanceof ServiceUnavailable && err.status === 503 && err.cause instanceof Error;
    await assert.rejects(registry.throttle('ten').check(request('10.0.0.1')), is503);
    await assert.rejects(checkThrottles([registry.throttle('ten')], request('10.0.0.1')), is503);
    await assert.rejects(registry.throttle('login').check(request('10.0.0.1')), is503);
    await assert.rejects(registry.loginGuard().reserve('10.0.0.1', 'alice'), is503);
    await registry.loginGuard().reset('alice');
    assert.ok(Date.now() - started < 1000, 'fails fast');
  });
});

describe('counting in a shared Redis', () => {
  const prefix = `test-throttle-${process.pid}-${Date.now()}`;
  let a: Redis;
  let b: Redis;
  let reachable = false;

  before(async () => {
    a = new Redis({ host: '127.0.0.1', port: 6379, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    b = new Redis({ host: '127.0.0.1', port: 6379, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    a.on('error', () => {});
    b.on('error', () => {});
    const ready = (r: Redis) => new Promise<void>((resolve, reject) => { r.once('ready', resolve); r.once('end', reject); });
    reachable = await Promise.all([ready(a), ready(b)]).then(() => true, () => false);
  });

  after(async () => {
    if (reachable) {
      let cursor = '0';
      do {
        const [next, keys] = await a.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) await a.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    a.disconnect();
    b.disconnect();
  });

  /** In CI Redis must be there: a missing one fails; on a laptop without Redis the test is skipped, saying so. */
  const redisMissing = (t: { skip(msg: string): void }) => {
    if (process.env.CI) assert.fail('Redis is not reachable at 127.0.0.1:6379 (CI must start it)');
    t.skip('Redis is not reachable at 127.0.0.1:6379');
  };

  const shared = (client: Redis, rates: Record<string, string[]>) =>
    new ThrottleRegistry(rates, { redis: client, failMode: 'closed', keyPrefix: prefix });

  test('200 simultaneous checks through two registries (two processes) against 10/minute allow exactly 10', async (t) => {
    if (!reachable) return redisMissing(t);
    const one = shared(a, { ten: ['10/minute'] }).throttle('ten');
    const two = shared(b, { ten: ['10/minute'] }).throttle('ten');
    const req = request('10.0.0.1', principal(1));
    const checks = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? one : two).check(req));
    assert.equal(await allowedCount(checks), 10);
    const keys = await a.keys(`${prefix}:ten:60:*`);
    assert.deepEqual(keys, [`${prefix}:ten:60:user:1`]);
  });

  test('window reset, multi-window refund and headers hold in Redis too', async (t) => {
    if (!reachable) return redisMissing(t);
    const one = shared(a, { burst: ['3/minute', '2/second'] }).throttle('burst');
    const two = shared(b, { burst: ['3/minute', '2/second'] }).throttle('burst');
    const req = request('10.0.0.2');
    assert.deepEqual((await one.check(req)).headers, {
      'RateLimit-Policy': '"burst";q=3;w=60, "burst/second";q=2;w=1',
      RateLimit: '"burst";r=2;t=60, "burst/second";r=1;t=1',
    });
    assert.equal((await two.check(req)).allowed, true);
    assert.equal((await one.check(req)).allowed, false);
    await sleep(1100); // Redis expires the second's window by its own clock: real time, no mock reaches it
    assert.equal((await two.check(req)).allowed, true, 'the refused request gave its minute point back');
    assert.equal((await one.check(req)).allowed, false);
  });

  test('the login guard shares its counts across registries', async (t) => {
    if (!reachable) return redisMissing(t);
    const one = shared(a, { login: ['2/minute'], login_username: ['2/minute'] });
    const two = shared(b, { login: ['2/minute'], login_username: ['2/minute'] });
    assert.equal((await one.loginGuard().reserve('10.0.0.3', 'dave')).allowed, true);
    assert.equal((await two.loginGuard().reserve('10.0.0.4', 'dave')).allowed, true);
    assert.equal((await one.loginGuard().reserve('10.0.0.5', 'Dave')).allowed, false);
    assert.equal((await two.throttle('login').check(request('10.0.0.3'))).allowed, true);
    await two.loginGuard().reset('dave');
    assert.equal((await one.loginGuard().reserve('10.0.0.5', 'dave')).allowed, true);
  });

  test('100 simultaneous reservations through two registries against 20/minute: at most 20 are allowed; given back, the points return', async (t) => {
    if (!reachable) return redisMissing(t);
    const rates = { login: ['20/minute', '500/day'], login_username: ['30/minute'] };
    const one = shared(a, rates).loginGuard();
    const two = shared(b, rates).loginGuard();
    const decisions = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? one : two).reserve('10.0.0.6', 'erin')));
    const allowed = decisions.filter((d) => d.allowed);
    assert.ok(allowed.length <= 20 && allowed.length >= 1, `${allowed.length} allowed`);
    for (const d of allowed) if (d.allowed) await d.reservation.giveBack();
    const after = await one.reserve('10.0.0.6', 'erin');
    assert.equal(after.headers.RateLimit, '"login";r=19;t=60, "login/day";r=499;t=86400, "login_username";r=29;t=60');
  });
});
