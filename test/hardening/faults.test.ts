/**
 * Faults injected into the backing services and the process itself:
 *   - the database goes away: 503 `{"detail": ...}` with Retry-After (never a 500), nothing
 *     half-written, and the service recovers by itself when it comes back. SQLite: another
 *     process holds the write lock; the database turns read-only; the pool is destroyed.
 *     PostgreSQL (TEST_DATABASE_URL): the server reaches it through a TCP proxy of ours that we
 *     stop (every connection cut, new ones refused) and start again on the same port.
 *   - Redis stops (a redis-server of our own, killed): THROTTLE_FAIL_MODE=open keeps answering
 *     and still limits (in memory); closed answers 503; both recover when it is back.
 *   - SIGKILL in the middle of a burst of registrations and password changes: after a restart
 *     every user is either fully created or absent, every password the old or the new one, and
 *     every change that was acknowledged is there.
 *   - SIGTERM: requests in flight finish with 200, new connections are refused, exit code 0.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startServer, type Reply, type TestServer } from '../helpers/server';
import { acceptedAll, assertNoInternals, dbState, freePort, insertKey, insertUser, isDetail, NO_THROTTLES, ownDatabase, ownRedis, PASSWORD, rawRequest, sleep, spawnServer, tempDir, type OwnRedis } from './lib';

const PG = Boolean(process.env.TEST_DATABASE_URL);
const NEW_PASSWORD = 'Zesty-lemon-tart-2024';

/** The answer of a request refused because a backing service is down. */
function assert503(r: Reply, what: string): void {
  assert.equal(r.status, 503, `${what}: ${r.status} ${r.text}`);
  assert.ok(isDetail(r.body), `${what}: ${r.text}`);
  assert.match(r.headers.get('retry-after') ?? '', /^\d+$/, `${what}: Retry-After`);
  assertNoInternals(r.text, what);
}

/** /readyz while the database is away: 503 naming it, with Retry-After (its body says which service is down, so it is not a plain Detail). */
function assertNotReady(r: Reply, what: string): void {
  assert.equal(r.status, 503, `${what}: ${r.status} ${r.text}`);
  assert.equal(r.body.checks?.database, 'down', `${what}: ${r.text}`);
  assert.match(r.headers.get('retry-after') ?? '', /^\d+$/, `${what}: Retry-After`);
  assertNoInternals(r.text, what);
}

/** Polls until `probe` is true or `ms` pass; returns how long it took (or throws). */
async function until(ms: number, probe: () => Promise<boolean>, what: string): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await probe().catch(() => false)) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

/** request() of the helper, which throws on an undeclared status: here, a 500 becomes a Reply to assert on. */
async function call(server: TestServer, method: string, p: string, options: Parameters<TestServer['request']>[2] = {}): Promise<Reply> {
  try {
    return await server.request(method, p, options);
  } catch (err) {
    const m = /answered (\d{3})/.exec((err as Error).message);
    if (!m) throw err;
    return { status: Number(m[1]), headers: new Headers(), body: { broke: (err as Error).message }, text: (err as Error).message };
  }
}

// ---------------------------------------------------------------------------------------

describe('the database goes away', () => {
  let server: TestServer;
  let key: string;
  let refresh: string;

  before(async () => {
    server = await startServer({ THROTTLE_RATES: NO_THROTTLES });
    await server.createUser({ username: 'alice' });
    key = await server.tokenFor('alice');
    refresh = (await server.jwtFor('alice')).refresh;
  });
  after(() => server.close());

  /** Requests that need the database, each answered 503 while it is gone. */
  const probes = (): [string, string, Parameters<TestServer['request']>[2]][] => [
    ['GET', '/api/menu-items', {}],
    ['POST', '/auth/token/login/', { json: { username: 'alice', password: PASSWORD } }],
    ['POST', '/api/token/', { json: { username: 'alice', password: PASSWORD } }],
    ['POST', '/auth/users/', { json: { username: `down_${crypto.randomBytes(3).toString('hex')}`, password: NEW_PASSWORD } }],
    ['POST', '/api/token/refresh/', { json: { refresh } }],
    // Not GET /auth/users/me/ with a key: the key and its user are read through a connection
    // of their own (the prepared reads, src/data/db.ts), which destroying knex's pool does not touch.
  ];

  test(
    'the pool destroyed (db.destroy()): every request that needs the database is 503 with Retry-After, never 500; it answers again once the pool is back',
    async () => {
      const { knex: db } = server.app.services.db;
      await db.destroy();
      const wrong: string[] = [];
      try {
        assertNotReady(await call(server, 'GET', '/readyz'), 'GET /readyz');
        assert.equal((await server.request('GET', '/healthz')).status, 200, 'liveness does no I/O: still 200');
        for (const [method, p, options] of probes()) {
          const r = await call(server, method, p, options);
          try {
            assert503(r, `${method} ${p}`);
          } catch (err) {
            wrong.push((err as Error).message.split('\n')[0]);
          }
        }
      } finally {
        db.initialize();
      }
      assert.equal((await server.request('GET', '/readyz')).status, 200);
      assert.deepEqual(wrong, []);
    },
  );

  test('the write lock held by another process (SQLite): a registration is 503, writes nothing, and succeeds once the lock is gone', { skip: PG && 'SQLite only' }, async () => {
    const lock = new Database(path.join(server.dataDir, 'db.sqlite3'));
    const before = await dbState(server.app.services.db.knex);
    const body = { username: 'locked_out', password: NEW_PASSWORD };
    lock.exec('BEGIN EXCLUSIVE');
    let refused: Reply;
    try {
      refused = await call(server, 'POST', '/auth/users/', { json: body });
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    assert503(refused, 'POST /auth/users/ under a write lock');
    assert.equal((await dbState(server.app.services.db.knex)).digest, before.digest);
    const created = await server.request('POST', '/auth/users/', { json: body });
    assert.equal(created.status, 201, created.text);
  });

  test(
    'the database turned read-only (SQLite: a read-only file system, a full disk): writes are 503, reads still work, and writes resume afterwards',
    { skip: PG && 'SQLite only' },
    async () => {
      const { knex: db } = server.app.services.db;
      await db.raw('PRAGMA query_only = 1'); // the pool holds one connection: every query of the app goes through it
      const results: Reply[] = [];
      try {
        results.push(await call(server, 'POST', '/auth/users/', { json: { username: 'read_only', password: NEW_PASSWORD } }));
        results.push(await call(server, 'POST', '/auth/token/login/', { json: { username: 'alice', password: PASSWORD } }));
        assert.equal((await server.request('GET', '/api/menu-items')).status, 200, 'reads still work');
      } finally {
        await db.raw('PRAGMA query_only = 0');
      }
      assert.equal((await server.request('POST', '/auth/users/', { json: { username: 'read_only', password: NEW_PASSWORD } })).status, 201);
      for (const r of results) assert503(r, 'a write on a read-only database');
    },
  );
});

describe('PostgreSQL goes away and comes back (through a TCP proxy we stop)', { skip: !PG && 'needs TEST_DATABASE_URL' }, () => {
  let server: TestServer;
  let proxyPort: number;
  let stopProxy: () => Promise<void>;
  let startProxy: () => Promise<void>;
  let database: Awaited<ReturnType<typeof ownDatabase>>;
  let dir: string;
  let key: string;

  before(async () => {
    const upstream = new URL(process.env.TEST_DATABASE_URL as string);
    proxyPort = await freePort();
    const sockets = new Set<net.Socket>();
    let proxy: net.Server | null = null;
    startProxy = () =>
      new Promise<void>((resolve) => {
        proxy = net.createServer((client) => {
          const up = net.connect(Number(upstream.port || 5432), upstream.hostname);
          for (const s of [client, up]) {
            sockets.add(s);
            s.on('close', () => sockets.delete(s));
            s.on('error', () => undefined);
          }
          client.pipe(up).pipe(client);
        });
        proxy.listen(proxyPort, '127.0.0.1', () => resolve());
      });
    stopProxy = () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (proxy) proxy.close(() => resolve());
        else resolve();
        proxy = null;
      });
    await startProxy();
    dir = tempDir('pgproxy');
    database = await ownDatabase(dir, proxyPort);
    server = await startServer({ DATABASE_URL: database.url, THROTTLE_RATES: NO_THROTTLES });
    await server.createUser({ username: 'alice' });
    key = await server.tokenFor('alice');
  });
  after(async () => {
    await server?.close();
    await stopProxy?.();
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('while it is down every request that needs it is 503 (no 500, no hang), nothing is half-written, and the service recovers by itself', async () => {
    assert.equal((await server.request('GET', '/readyz')).status, 200);
    await stopProxy();
    const started = Date.now();
    const [notReady, ...replies] = await Promise.all([
      call(server, 'GET', '/readyz'),
      call(server, 'GET', '/api/menu-items'),
      call(server, 'GET', '/api/secret/', { token: key }),
      call(server, 'POST', '/auth/token/login/', { json: { username: 'alice', password: PASSWORD } }),
      call(server, 'POST', '/auth/users/', { json: { username: 'while_down', password: NEW_PASSWORD } }),
    ]);
    const took = Date.now() - started;
    assertNotReady(notReady, 'GET /readyz');
    replies.forEach((r, i) => assert503(r, `request ${i}`));
    assert.ok(took < 8000, `answered in ${took} ms`);
    await startProxy();
    const recovered = await until(15_000, async () => (await server.request('GET', '/readyz')).status === 200, 'recovery');
    assert.equal((await database.db('auth_user').where({ username: 'while_down' })).length, 0, 'the refused registration left nothing');
    assert.equal((await server.request('POST', '/auth/users/', { json: { username: 'while_down', password: NEW_PASSWORD } })).status, 201);
    assert.equal((await server.request('GET', '/api/secret/', { token: key })).status, 200);
    assert.ok(recovered < 15_000);
  });
});

// ---------------------------------------------------------------------------------------

describe('Redis stops and comes back', () => {
  let redis: OwnRedis;
  before(async () => {
    redis = await ownRedis();
  });
  after(() => redis.stop());

  for (const mode of ['open', 'closed'] as const) {
    test(`THROTTLE_FAIL_MODE=${mode}`, async () => {
      await redis.start();
      const server = await startServer({ REDIS_URL: redis.url, THROTTLE_FAIL_MODE: mode, THROTTLE_RATES: 'anon=3/minute' });
      try {
        await server.createUser({ username: 'alice' });
        const key = await server.tokenFor('alice');
        assert.equal((await server.request('GET', '/api/throttle-check')).status, 200);
        await redis.stop();

        const anon: number[] = [];
        for (let i = 0; i < 6; i++) anon.push((await call(server, 'GET', '/api/throttle-check')).status);
        const secret = await call(server, 'GET', '/api/secret/', { token: key });
        const login = await call(server, 'POST', '/auth/token/login/', { json: { username: 'alice', password: PASSWORD } });
        const unthrottled = await call(server, 'GET', '/api/menu-items');
        assert.equal(unthrottled.status, 200, 'an operation without throttles does not need Redis');
        if (mode === 'open') {
          // still limited, in this process's memory: at most the 3 of the window, then 429
          assert.ok(anon.every((s) => s === 200 || s === 429), JSON.stringify(anon));
          assert.ok(anon.filter((s) => s === 200).length <= 3 && anon.includes(429), `the limit still holds in memory: ${JSON.stringify(anon)}`);
          assert.equal(secret.status, 200);
          assert.equal(login.status, 200);
        } else {
          const throttleCheck = await call(server, 'GET', '/api/throttle-check');
          assert.deepEqual(anon, [503, 503, 503, 503, 503, 503]);
          assert503(throttleCheck, 'throttle-check');
          assert503(secret, 'secret');
          assert503(login, 'login');
        }

        await redis.start();
        await until(15_000, async () => (await call(server, 'GET', '/api/secret/', { token: key })).status === 200, `recovery (${mode})`);
        assert.equal((await call(server, 'POST', '/auth/token/login/', { json: { username: 'alice', password: PASSWORD } })).status, 200);
      } finally {
        await server.close();
      }
    });
  }
});

// ---------------------------------------------------------------------------------------

describe('the process is killed or stopped', () => {
  test('SIGKILL during a burst of registrations and password changes: after a restart, all or nothing for each, and nothing acknowledged is lost', async () => {
    const dir = tempDir('sigkill');
    const database = await ownDatabase(dir);
    const env = { DATA_DIR: dir, DATABASE_URL: database.url, THROTTLE_RATES: NO_THROTTLES };
    let server = await spawnServer(env);
    try {
      const changers: { username: string; key: string; next: string }[] = [];
      for (let i = 0; i < 20; i++) {
        const username = `changer${i}`;
        const id = await insertUser(database.data, { username });
        changers.push({ username, key: await insertKey(database.data, id), next: `Brand-new-lemon-${i}-pass` });
      }
      const registrants = Array.from({ length: 30 }, (_, i) => ({ username: `newcomer${i}`, password: `Fresh-lemon-${i}-tart`, email: `newcomer${i}@example.com` }));
      const outcome = new Map<string, number | 'no answer'>();
      const send = (name: string, p: string, body: unknown, key?: string) =>
        fetch(server.url + p, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Token ${key}` } : {}) }, body: JSON.stringify(body) })
          .then((r) => outcome.set(name, r.status))
          .catch(() => outcome.set(name, 'no answer'));
      const burst = [
        ...registrants.map((r) => send(r.username, '/auth/users/', r)),
        ...changers.map((c) => send(c.username, '/auth/users/set_password/', { current_password: PASSWORD, new_password: c.next }, c.key)),
      ];
      await until(20_000, async () => outcome.size >= 8, 'the first answers');
      await server.kill('SIGKILL');
      await Promise.all(burst);
      const answered = [...outcome.values()].filter((s) => s !== 'no answer').length;
      assert.ok(answered >= 8 && answered < registrants.length + changers.length, `killed mid-burst (${answered} of ${outcome.size} answered)`);
      for (const s of outcome.values()) assert.ok(s === 'no answer' || s === 201 || s === 204, `an answer before the kill: ${s}`);

      server = await spawnServer(env);
      const login = async (username: string, password: string) =>
        (await fetch(`${server.url}/auth/token/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })).status === 200;
      const problems: string[] = [];
      for (const r of registrants) {
        const row = (await database.db('auth_user').where({ username: r.username }).first()) as { email: string; is_active: unknown; password: string } | undefined;
        if (outcome.get(r.username) === 201 && !row) problems.push(`${r.username}: 201 before the kill, absent after`);
        if (row && (row.email !== r.email || !row.is_active || !row.password.startsWith('argon2$') || !(await login(r.username, r.password)))) problems.push(`${r.username}: present but not whole`);
        if (!row && (await login(r.username, r.password))) problems.push(`${r.username}: absent but logs in`);
      }
      for (const c of changers) {
        const [old, fresh] = [await login(c.username, PASSWORD), await login(c.username, c.next)];
        if (old === fresh) problems.push(`${c.username}: old password ${old}, new password ${fresh}`);
        if (outcome.get(c.username) === 204 && !fresh) problems.push(`${c.username}: 204 before the kill, old password after`);
      }
      assert.deepEqual(problems, []);
    } finally {
      await server.kill('SIGKILL');
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A login on a connection of its own, written at once; `connection` is the request's Connection header. */
  const rawLogin = (port: number, connection: 'close' | 'keep-alive', waitMs = 10_000, onWritten?: () => void) => {
    const body = JSON.stringify({ username: 'alice', password: PASSWORD });
    return rawRequest(port, `POST /auth/token/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: ${connection}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, waitMs, onWritten);
  };

  /**
   * `count` logins, and a promise that the server has them all: each connection open, its
   * request written, and accepted by the server (which may not have read it yet). Waiting for
   * that, not for a number of ms, keeps a machine loaded by other test files from signalling
   * before some of them even reached the server: SIGTERM's grace (100 ms) is for connections
   * the kernel queued, and a server starved of CPU takes longer than that to accept them.
   */
  const sentLogins = (port: number, count: number, connection: 'close' | 'keep-alive') => {
    const written: Promise<void>[] = [];
    const logins = Array.from({ length: count }, () => {
      let done!: () => void;
      written.push(new Promise<void>((resolve) => (done = resolve)));
      return rawLogin(port, connection, 30_000, done);
    });
    return { logins, sent: Promise.all(written).then(() => acceptedAll(port)) };
  };

  /**
   * A keep-alive login sent but for the last byte of its body, which `release()` sends: until
   * then the server holds the request and cannot answer it. `sent` resolves once the rest is
   * written; `reply` gives the status and head (status 0 when closed without an answer).
   */
  function heldLogin(port: number) {
    const body = JSON.stringify({ username: 'alice', password: PASSWORD });
    const head = `POST /auth/token/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const sent = new Promise<void>((resolve) => socket.on('connect', () => socket.write(head + body.slice(0, -1), () => resolve())));
    const reply = new Promise<{ status: number; head: string }>((resolve) => {
      const done = () => {
        const answerHead = received.split('\r\n\r\n')[0];
        resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(answerHead)?.[1] ?? 0), head: answerHead });
        socket.destroy();
      };
      socket.on('data', (d) => {
        received += d.toString('latin1');
        // One answer on a kept-alive connection: its head and its Content-Length of body.
        const at = received.indexOf('\r\n\r\n');
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(received.slice(0, at))?.[1] ?? NaN);
        if (at >= 0 && received.length - at - 4 >= length) done();
      });
      socket.on('close', done);
      socket.on('error', () => undefined);
    });
    return { sent, reply, release: () => void socket.write(body.slice(-1)) };
  }

  /** A spawned server with a user, warmed up (its first login done), and what to tear down. */
  async function drainable() {
    const dir = tempDir('sigterm');
    const database = await ownDatabase(dir);
    const server = await spawnServer({ DATA_DIR: dir, DATABASE_URL: database.url, THROTTLE_RATES: NO_THROTTLES, LOG_LEVEL: 'info' });
    await insertUser(database.data, { username: 'alice' });
    return {
      server,
      database,
      async cleanup() {
        await server.kill('SIGKILL');
        await database.drop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  test('SIGTERM: logins in flight finish with 200, new connections are refused, and the process exits 0', async () => {
    const { server, database, cleanup } = await drainable();
    try {
      assert.equal((await rawLogin(server.port, 'close')).status, 200); // warm-up
      // each login hashes (tens of ms, one at a time): 30 of them take a while
      const { logins, sent } = sentLogins(server.port, 30, 'close');
      let done = 0;
      for (const l of logins) void l.then(() => done++);
      await sent; // every request is the server's now; most are still waiting for their hash
      server.child.kill('SIGTERM');
      await server.waitForLog(/shutting down/);
      const pendingAtSignal = logins.length - done;
      await sleep(100); // the line is written just before server.close(): a connection in between would be accepted, then reset
      const refused = await new Promise<string>((resolve) => {
        const s = net.connect(server.port, '127.0.0.1', () => {
          s.destroy();
          resolve('connected');
        });
        s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
      const results = await Promise.all(logins);
      const exit = await server.exited;
      assert.ok(pendingAtSignal > 0, 'some logins were still in flight when the signal came');
      assert.deepEqual(
        results.map((r) => r.status),
        Array(logins.length).fill(200),
      );
      for (const r of results) assert.match(r.body, /^\{"auth_token":"[0-9a-f]{40}"\}$/);
      assert.equal(refused, 'ECONNREFUSED');
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.ok(server.stdout.some((l) => /"msg":"stopped"/.test(l)));
      // every acknowledged login's key was stored
      assert.equal(Number(((await database.db('authtoken_token').count({ n: '*' })) as { n: number | string }[])[0].n), logins.length + 1);
    } finally {
      await cleanup();
    }
  });

  test(
    'SIGTERM: a request sent just before the signal is answered, not reset (even if the server had not read it yet)',
    async () => {
      const { server, cleanup } = await drainable();
      try {
        const { logins, sent } = sentLogins(server.port, 6, 'close');
        await sent;
        server.child.kill('SIGTERM');
        const results = await Promise.all(logins);
        assert.deepEqual(
          results.map((r) => r.status),
          Array(6).fill(200),
        );
      } finally {
        await cleanup();
      }
    },
  );

  test(
    'SIGTERM: answers on keep-alive connections say Connection: close, and the process exits as soon as they are sent',
    async () => {
      const { server, cleanup } = await drainable();
      try {
        assert.equal((await rawLogin(server.port, 'close')).status, 200); // warm-up
        // Each login's last body byte is held back: the server has accepted every connection
        // and read every head before the signal, and can answer none of them before it.
        const logins = Array.from({ length: 8 }, () => heldLogin(server.port));
        await Promise.all(logins.map((l) => l.sent));
        await acceptedAll(server.port);
        server.child.kill('SIGTERM');
        await server.waitForLog(/shutting down/);
        for (const l of logins) l.release();
        const results = await Promise.all(logins.map((l) => l.reply));
        const signalled = Date.now();
        await server.exited;
        for (const r of results) {
          assert.equal(r.status, 200);
          assert.match(r.head, /\r\nConnection: close/i, 'the answer tells the client not to reuse the connection');
        }
        assert.ok(Date.now() - signalled < 2000, `exited ${Date.now() - signalled} ms after the last answer`);
      } finally {
        await cleanup();
      }
    },
  );
});
