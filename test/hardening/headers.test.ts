/**
 * What every answer carries, and what nothing may carry:
 *   - security headers on every response, whatever its status (helmet): a CSP of
 *     `default-src 'none'` on API answers, the looser one of /docs on /docs only; no
 *     X-Powered-By; and no caching of answers that hold credentials;
 *   - CORS only for the origins in CORS_ALLOWED_ORIGINS (simple requests, preflights, errors);
 *   - no stack trace, SQL or driver name in any error body (a real SQL failure, injected with a
 *     trigger; the database gone; a parse error);
 *   - no password, key, JWT, reset token or password hash in any log line, at LOG_LEVEL=trace,
 *     of a real server process that went through registrations, logins, token use, a password
 *     change and a password reset.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DOCS_CSP } from '../../src/docs';
import { startServer, type TestServer } from '../helpers/server';
import { assertNoInternals, failInsertsWhere, NO_THROTTLES, ownDatabase, PASSWORD, sleep, spawnServer, tempDir, type OwnDatabase, type Spawned } from './lib';

const API_CSP = "default-src 'none';frame-ancestors 'none'";

interface Seen {
  readonly label: string;
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** fetch, without the helper's spec check (a 500 is what some of these requests are for). */
async function hit(server: TestServer, label: string, method: string, p: string, init: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Seen> {
  const res = await fetch(server.url + p, { method, headers: init.headers, body: init.body });
  return { label, status: res.status, headers: res.headers, text: await res.text() };
}

describe('security headers', () => {
  let server: TestServer;
  let manager: string;
  let user: string;
  const seen: Seen[] = [];

  before(async () => {
    server = await startServer({ BODY_LIMIT: '4kb', THROTTLE_RATES: 'anon=1/minute' });
    await server.createUser({ username: 'boss', groups: ['Manager'] });
    await server.createUser({ username: 'alice' });
    manager = await server.tokenFor('boss');
    user = await server.tokenFor('alice');
    const json = (token: string, body: unknown) => ({ headers: { 'content-type': 'application/json', authorization: `Token ${token}` }, body: JSON.stringify(body) });
    const restore = await failInsertsWhere(server.app.services.db.knex, 'menu_items', 'title', 'explode');
    seen.push(
      await hit(server, '200', 'GET', '/api/menu-items'),
      await hit(server, '201', 'POST', '/api/menu-items', json(manager, { title: 'Soup', price: '1.00', inventory: 1 })),
      await hit(server, '400', 'POST', '/api/menu-items', json(manager, { title: '' })),
      await hit(server, '400 parse error', 'POST', '/api/menu-items', { headers: { 'content-type': 'application/json', authorization: `Token ${manager}` }, body: '{"title": ' }),
      await hit(server, '401', 'GET', '/api/secret/'),
      await hit(server, '403', 'GET', '/api/manager-view/', { headers: { authorization: `Token ${user}` } }),
      await hit(server, '404', 'GET', '/no/such/path'),
      await hit(server, '405', 'PATCH', '/api/secret/', { headers: { authorization: `Token ${user}` } }),
      await hit(server, '413', 'POST', '/api/menu-items', json(manager, { title: 'x'.repeat(5000) })),
      await hit(server, '415', 'POST', '/api/menu-items', { headers: { 'content-type': 'text/plain', authorization: `Token ${manager}` }, body: 'x' }),
      await hit(server, '200 anon', 'GET', '/api/throttle-check'),
      await hit(server, '429', 'GET', '/api/throttle-check'),
      await hit(server, '500 (SQL failure)', 'POST', '/api/menu-items', json(manager, { title: 'explode', price: '1.00', inventory: 1 })),
      await hit(server, '500 (corrupt gzip)', 'POST', '/api/menu-items', { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Token ${manager}` }, body: zlib.gzipSync('{}').subarray(0, 8) }),
      await hit(server, '204', 'POST', '/auth/token/logout/', { headers: { authorization: `Token ${user}` } }),
      await hit(server, 'spec json', 'GET', '/openapi.json'),
      await hit(server, 'spec yaml', 'GET', '/openapi.yaml'),
    );
    await restore();
    // last: the database gone (503), then back
    await server.app.services.db.knex.destroy();
    seen.push(await hit(server, '503', 'GET', '/readyz'));
    server.app.services.db.knex.initialize();
  });
  after(() => server.close());

  test('every API answer, whatever its status, carries the security headers and a CSP that allows nothing', () => {
    const statuses = new Set(seen.map((s) => s.status));
    for (const status of [200, 201, 204, 400, 401, 403, 404, 405, 413, 415, 429, 500, 503]) assert.ok(statuses.has(status), `no ${status} among the answers checked`);
    for (const s of seen) {
      const h = (name: string) => s.headers.get(name);
      const where = `${s.label} (${s.status})`;
      assert.equal(h('content-security-policy'), API_CSP, where);
      assert.equal(h('x-content-type-options'), 'nosniff', where);
      assert.match(h('x-frame-options') ?? '', /^(DENY|SAMEORIGIN)$/, where);
      assert.match(h('strict-transport-security') ?? '', /max-age=\d{6,}/, where);
      assert.equal(h('referrer-policy'), 'no-referrer', where);
      assert.equal(h('cross-origin-opener-policy'), 'same-origin', where);
      assert.equal(h('cross-origin-resource-policy'), 'same-site', where);
      assert.equal(h('x-powered-by'), null, where);
      assert.equal(h('server'), null, where);
      assert.match(h('x-request-id') ?? '', /^[0-9a-f-]{36}$/, where);
      if (s.status !== 204 && !s.label.startsWith('spec yaml')) assert.match(h('content-type') ?? '', /^application\/json/, where);
    }
  });

  test('no error body holds a stack trace, SQL, a path or a driver name: a real SQL failure and the database gone included', () => {
    for (const s of seen.filter((x) => x.status >= 400)) {
      assertNoInternals(s.text, `${s.label} (${s.status})`);
      assert.ok(s.text.length < 500, `${s.label}: a short body`);
    }
    assert.deepEqual(JSON.parse(seen.find((s) => s.label === '500 (SQL failure)')?.text ?? ''), { detail: 'A server error occurred.' });
  });

  test('/docs has its own policy (its scripts and styles only, never inline script or eval), and only /docs has it', async () => {
    for (const p of ['/docs', '/docs/', '/docs/swagger-ui.css', '/docs/init.js']) {
      const r = await hit(server, p, 'GET', p);
      assert.equal(r.status, 200, p);
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.equal(csp, DOCS_CSP, p);
      const script = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
      assert.doesNotMatch(script, /unsafe-inline|unsafe-eval|\*/, p);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(r.headers.get('x-powered-by'), null);
    }
    assert.equal((await hit(server, 'docs-like', 'GET', '/docsx')).headers.get('content-security-policy'), API_CSP);
  });

  test(
    'answers that hold credentials are not cacheable (Cache-Control: no-store)',
    async () => {
      await server.createUser({ username: 'carol' });
      const login = (p: string) => hit(server, p, 'POST', p, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'carol', password: PASSWORD }) });
      const pair = await login('/api/token/');
      const answers = [await login('/auth/token/login/'), await login('/api/api-token-auth/'), pair, await login('/auth/jwt/create/')];
      answers.push(await hit(server, 'refresh', 'POST', '/api/token/refresh/', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh: JSON.parse(pair.text).refresh }) }));
      for (const a of answers) {
        assert.equal(a.status, 200, a.label);
        assert.match(a.headers.get('cache-control') ?? '', /no-store/, `${a.label}: Cache-Control ${a.headers.get('cache-control')}`);
      }
    },
  );
});

describe('CORS', () => {
  const ALLOWED = 'https://app.example';
  let cors: TestServer;
  let plain: TestServer;
  let star: TestServer;

  before(async () => {
    cors = await startServer({ CORS_ALLOWED_ORIGINS: `${ALLOWED}, https://admin.example` });
    plain = await startServer();
    star = await startServer({ CORS_ALLOWED_ORIGINS: '*' });
  });
  after(async () => {
    await cors.close();
    await plain.close();
    await star.close();
  });

  const preflight = (server: TestServer, origin: string) =>
    hit(server, 'preflight', 'OPTIONS', '/auth/token/login/', { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });

  test('an allowed origin gets its own origin back on answers (errors included), and on preflights, with Vary: Origin and no credentials', async () => {
    for (const [p, status] of [['/api/menu-items', 200], ['/api/secret/', 401], ['/no/such/path', 404]] as const) {
      const r = await hit(cors, p, 'GET', p, { headers: { origin: ALLOWED } });
      assert.equal(r.status, status);
      assert.equal(r.headers.get('access-control-allow-origin'), ALLOWED, p);
      assert.match(r.headers.get('vary') ?? '', /Origin/, p);
      assert.equal(r.headers.get('access-control-allow-credentials'), null, p);
      assert.match(r.headers.get('access-control-expose-headers') ?? '', /WWW-Authenticate/);
    }
    const p = await preflight(cors, ALLOWED);
    assert.equal(p.status, 204);
    assert.equal(p.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(p.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(p.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
    assert.equal(p.headers.get('access-control-allow-credentials'), null);
  });

  test('look-alike and other origins get no CORS headers, on answers and on preflights', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.evil.com', 'https://evilapp.example', 'http://app.example', 'https://app.example:8443', 'null', 'https://app.example/', 'https://APP.example', `${ALLOWED},https://evil.example`]) {
      const r = await hit(cors, origin, 'GET', '/api/menu-items', { headers: { origin } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('access-control-allow-origin'), null, origin);
      const p = await preflight(cors, origin);
      assert.equal(p.headers.get('access-control-allow-origin'), null, `preflight from ${origin}`);
      assert.equal(p.headers.get('access-control-allow-methods'), null, `preflight from ${origin}`);
    }
  });

  test('without CORS_ALLOWED_ORIGINS no origin gets CORS headers; with "*", any origin, never with credentials', async () => {
    const r = await hit(plain, 'plain', 'GET', '/api/menu-items', { headers: { origin: ALLOWED } });
    assert.equal(r.headers.get('access-control-allow-origin'), null);
    const p = await preflight(plain, ALLOWED);
    assert.equal(p.headers.get('access-control-allow-origin'), null);
    // Without CORS, an OPTIONS is the API's own: DRF's metadata (#15), with no CORS headers.
    assert.equal(p.status, 200);
    assert.equal(p.headers.get('access-control-allow-methods'), null);
    const s = await hit(star, 'star', 'GET', '/api/menu-items', { headers: { origin: 'https://anyone.example' } });
    assert.equal(s.headers.get('access-control-allow-origin'), '*');
    assert.equal(s.headers.get('access-control-allow-credentials'), null);
  });
});

// ---------------------------------------------------------------------------------------

describe('logs (a server process at LOG_LEVEL=trace)', () => {
  let dir: string;
  let database: OwnDatabase;
  let server: Spawned;
  /** Every secret the flows below handled, by name. */
  const secrets = new Map<string, string>();
  const mailDir = () => path.join(dir, 'mail');

  const post = async (p: string, body: unknown, auth?: string) => {
    const res = await fetch(server.url + p, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, string>) : {} };
  };
  const logText = () => [...server.stdout, ...server.stderr].join('\n');
  /** The secrets found in the log, by name (a JWT also by its signature alone). */
  const leaked = () => {
    const log = logText();
    const found: string[] = [];
    for (const [name, value] of secrets) {
      if (log.includes(value)) found.push(name);
      if (value.split('.').length === 3 && log.includes(value.split('.')[2])) found.push(`${name} (signature)`);
    }
    return found;
  };

  before(async () => {
    dir = tempDir('logs');
    database = await ownDatabase(dir);
    server = await spawnServer({ DATA_DIR: dir, DATABASE_URL: database.url, MAIL_DIR: mailDir(), LOG_LEVEL: 'trace', THROTTLE_RATES: NO_THROTTLES });

    const first = 'Citrus-Grove-Pass-7781';
    const second = 'Lemon-Curd-Secret-4410';
    const third = 'Meringue-Peak-Key-9093';
    const wrong = 'Citrus-Grove-Pass-7782';
    secrets.set('registration password', first).set('changed password', second).set('reset password', third).set('wrong password tried', wrong);

    assert.equal((await post('/auth/users/', { username: 'dana', password: first, email: 'dana@example.com' })).status, 201);
    const k1 = (await post('/auth/token/login/', { username: 'dana', password: first })).body.auth_token;
    const k2 = (await post('/api/api-token-auth/', { username: 'dana', password: first })).body.token;
    const pair = (await post('/api/token/', { username: 'dana', password: first })).body;
    secrets.set('DRF key (djoser login)', k1).set('DRF key (authtoken)', k2).set('access JWT', pair.access).set('refresh JWT', pair.refresh);
    assert.equal((await post('/auth/token/login/', { username: 'dana', password: wrong })).status, 400);
    for (const auth of [`Token ${k1}`, `Token ${k2}`, `Bearer ${pair.access}`]) assert.equal((await fetch(`${server.url}/api/secret/`, { headers: { authorization: auth } })).status, 200);
    const refreshed = (await post('/auth/jwt/refresh/', { refresh: pair.refresh })).body.access;
    secrets.set('refreshed access JWT', refreshed);
    assert.equal((await post('/api/token/verify/', { token: pair.access })).status, 200);
    assert.equal((await post('/api/token/blacklist/', { refresh: pair.refresh })).status, 200);
    assert.equal((await post('/auth/users/set_password/', { current_password: first, new_password: second }, `Token ${k1}`)).status, 204);
    assert.equal((await post('/auth/users/reset_password/', { email: 'dana@example.com' })).status, 204);
    let link: RegExpExecArray | null = null;
    for (let i = 0; i < 50 && !link; i++) {
      const files = fs.existsSync(mailDir()) ? fs.readdirSync(mailDir()) : [];
      const text = files.map((f) => fs.readFileSync(path.join(mailDir(), f), 'utf8')).join('\n');
      link = /password\/reset\/confirm\/([^/\s]+)\/([^/\s]+)/.exec(text);
      if (!link) await sleep(50);
    }
    assert.ok(link, 'the reset mail was written');
    secrets.set('reset token', link[2]);
    assert.equal((await post('/auth/users/reset_password_confirm/', { uid: link[1], token: link[2], new_password: third })).status, 204);
    assert.equal((await post('/auth/token/login/', { username: 'dana', password: third })).status, 200);
    await sleep(200); // let the last lines reach us
  });
  after(async () => {
    await server?.kill('SIGKILL');
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('registration, logins, token use, refresh, blacklist, a password change and a reset leave no password, key, JWT or reset token in any log line', () => {
    assert.ok(server.stdout.filter((l) => /"msg":"request"/.test(l)).length >= 15, 'the requests were logged');
    assert.deepEqual(leaked(), []);
  });

  test(
    'following the mailed reset link (SITE_URL defaults to the API itself) does not write the reset token into the log',
    async () => {
      const known = new Set(fs.readdirSync(mailDir()));
      assert.equal((await post('/auth/users/reset_password/', { email: 'dana@example.com' })).status, 204);
      // The mail is written after the answer: wait for its text, not only its file (a file
      // listed between its creation and its write reads empty).
      let found: RegExpExecArray | null = null;
      for (let i = 0; i < 50 && !found; i++) {
        const fresh = fs.readdirSync(mailDir()).filter((f) => !known.has(f));
        found = /password\/reset\/confirm\/([^/\s]+)\/([^/\s]+)/.exec(fresh.map((f) => fs.readFileSync(path.join(mailDir(), f), 'utf8')).join('\n'));
        if (!found) await sleep(50);
      }
      assert.ok(found, 'the reset mail was written');
      const [link, , token] = found;
      secrets.set('live reset token', token);
      // a person opens the link: SITE_URL is the API itself unless configured
      await fetch(`${server.url}/${link}`);
      await sleep(200);
      assert.deepEqual(leaked(), []);
    },
  );

  test(
    'a database error while storing a new user does not write the password hash (or any bound value) into the log',
    async () => {
      const restore = await failInsertsWhere(database.db, 'auth_user', 'username', 'explode');
      try {
        const r = await post('/auth/users/', { username: 'explode', password: 'Orange-Zest-Pass-3321', email: 'explode@example.com' });
        assert.equal(r.status, 500);
        await sleep(200);
        const errorLines = server.stdout.filter((l) => /"level":50/.test(l));
        assert.ok(errorLines.some((l) => /injected failure/.test(l)), 'the 500 was logged');
        assert.doesNotMatch(logText(), /argon2\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{16,}/, 'a password hash in the log');
        assert.doesNotMatch(logText(), /explode@example\.com/, 'a bound value in the log');
      } finally {
        await restore();
      }
    },
  );
});
