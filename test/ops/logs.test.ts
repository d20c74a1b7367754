/**
 * What the server writes on stdout: JSON lines when stdout is a pipe (a log collector, a
 * container runtime), pino-pretty's readable lines when it is a terminal (a pseudo-terminal
 * made by util-linux `script`) and NODE_ENV is not production.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../src/spec';
import { childEnv, freePort, jsonLines, run, runSource, tempDir, waitForHttp } from './lib';

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The server with its stdout on a pseudo-terminal; `script` copies what it shows to our pipe. */
function onTerminal(env: Record<string, string>, cwd: string) {
  const command = [process.execPath, '--import', pathToFileURL(require.resolve('tsx')).href, path.join(PROJECT_ROOT, 'src/main.ts')].map((a) => `'${a}'`).join(' ');
  return run('script', ['-qfec', command, '/dev/null'], { cwd, env: childEnv(env) });
}

describe('log format', () => {
  test('stdout piped: every line is a JSON object (the start-up line and a request line included)', async () => {
    const dir = tempDir('logs');
    const port = await freePort();
    const server = runSource('main', { DATA_DIR: dir, PORT: String(port) }, dir);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, server);
      await server.waitForLine(/"msg":"request"/);
      const lines = jsonLines(server.stdout, 'stdout');
      assert.ok(lines.some((l) => String(l.msg).startsWith('listening on ')));
      assert.ok(lines.every((l) => typeof l.level === 'number' && typeof l.time === 'number'));
    } finally {
      await server.stop();
    }
  });

  test('stdout a terminal: pino-pretty\'s lines, not JSON', { skip: !hasScript && 'needs util-linux script' }, async () => {
    const dir = tempDir('logs-tty');
    const port = await freePort();
    const server = onTerminal({ DATA_DIR: dir, PORT: String(port) }, dir);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, server);
      // eslint-disable-next-line no-control-regex
      const line = (await server.waitForLine(/listening on /)).replace(/\x1b\[[0-9;]*m/g, '');
      assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): listening on http:\/\/127\.0\.0\.1:\d+/);
      assert.throws(() => JSON.parse(line));
    } finally {
      await server.stop();
    }
  });

  test('stdout a terminal but NODE_ENV=production: JSON', { skip: !hasScript && 'needs util-linux script' }, async () => {
    const dir = tempDir('logs-tty-prod');
    const port = await freePort();
    const server = onTerminal({ DATA_DIR: dir, PORT: String(port), NODE_ENV: 'production' }, dir);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, server);
      const line = (await server.waitForLine(/listening on /)).replace(/\r$/, '');
      assert.equal(JSON.parse(line).msg, `listening on http://127.0.0.1:${port}`);
    } finally {
      await server.stop();
    }
  });
});

describe('the request log line', () => {
  test('carries the request id sent back, the operation and its route template, the user, the client address; an unmatched path without its query; never a token', async () => {
    const dir = tempDir('logs-fields');
    const port = await freePort();
    const server = runSource('main', { DATA_DIR: dir, PORT: String(port), NUM_PROXIES: '1' }, dir);
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${base}/healthz`, server);
      const password = 'Zesty-lemon-tart-2024';
      const created = await fetch(`${base}/auth/users/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'logged', password }) });
      assert.equal(created.status, 201);
      const userId = ((await created.json()) as { id: number }).id;
      const login = await fetch(`${base}/auth/token/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'logged', password }) });
      const key = ((await login.json()) as { auth_token: string }).auth_token;
      assert.equal(typeof key, 'string');

      // Matched, authenticated, through one proxy that saw the client as 203.0.113.7; a query that must not be logged.
      const item = await fetch(`${base}/api/menu-items/424242?secret_query=q-${key}`, { headers: { authorization: `Token ${key}`, 'x-forwarded-for': '198.51.100.1, 203.0.113.7' } });
      assert.equal(item.status, 404);
      const itemId = item.headers.get('x-request-id') as string;
      // Unmatched, with a token in its query string.
      const lost = await fetch(`${base}/no/such/place?token=${key}`);
      assert.equal(lost.status, 404);
      const lostId = lost.headers.get('x-request-id') as string;
      // Unmatched, a secret in the path itself: the front end's reset link opened on the API, a key pasted into a URL.
      const resetToken = 'c1ax5e-0123456789abcdef0123456789abcdef';
      const reset = await fetch(`${base}/password/reset/confirm/MQ/${resetToken}`);
      const pasted = await fetch(`${base}/api/${key}/`);
      assert.deepEqual([reset.status, pasted.status], [404, 404]);

      const lineOf = async (id: string) => {
        await server.waitForLine(new RegExp(`"reqId":"${id}"`));
        return jsonLines(server.stdout, 'stdout').find((l) => l.reqId === id) as Record<string, unknown>;
      };
      const matched = await lineOf(itemId);
      assert.equal(matched.msg, 'request');
      assert.equal(matched.method, 'GET');
      assert.equal(matched.operation, 'menuItemsRetrieve');
      assert.equal(matched.route, '/api/menu-items/{id}');
      assert.equal(matched.path, undefined, 'a matched request is logged by its template, not its path');
      assert.equal(matched.status, 404);
      assert.equal(matched.user, userId);
      assert.equal(matched.ip, '203.0.113.7', 'the address the throttles count (NUM_PROXIES=1: the nearest proxy\'s item)');
      assert.equal(typeof matched.ms, 'number');

      const unmatched = await lineOf(lostId);
      assert.equal(unmatched.operation, undefined);
      assert.equal(unmatched.route, undefined);
      assert.equal(unmatched.path, '/no/such/place');
      assert.equal(unmatched.status, 404);
      assert.equal(unmatched.user, undefined);
      assert.equal(unmatched.ip, '127.0.0.1');

      assert.equal((await lineOf(reset.headers.get('x-request-id') as string)).path, '/password/reset/confirm/MQ/*', 'a segment that is not a short word is masked');
      assert.equal((await lineOf(pasted.headers.get('x-request-id') as string)).path, '/api/*/');

      const everything = [...server.stdout, ...server.stderr].join('\n');
      assert.ok(!everything.includes(resetToken), 'the reset token is never logged');
      assert.ok(!everything.includes(key), 'the token is never logged');
      assert.ok(!everything.includes(password), 'the password is never logged');
      assert.ok(!everything.includes('secret_query'), 'no query string is logged');
    } finally {
      await server.stop();
    }
  });

  test("takes the X-Request-Id a proxy in front set (a UUID or nginx's 32 hex digits), and nothing shaped like a secret", async () => {
    const dir = tempDir('logs-ids');
    const port = await freePort();
    const server = runSource('main', { DATA_DIR: dir, PORT: String(port) }, dir);
    const base = `http://127.0.0.1:${port}`;
    const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    try {
      await waitForHttp(`${base}/healthz`, server);
      const sent = async (id: string) => (await fetch(`${base}/api/menu-items`, { headers: { 'x-request-id': id } })).headers.get('x-request-id') as string;
      const envoy = 'F3C1A3A2-51D1-4E1D-9C59-1A43B2C9D0E1';
      const nginx = '6a4b0c2f9e8d7c6b5a4f3e2d1c0b9a88';
      assert.equal(await sent(envoy), envoy);
      assert.equal(await sent(nginx), nginx);
      const key = '0123456789abcdef0123456789abcdef01234567'; // a DRF key's shape
      const refused = [key, 'eyJhbGciOiJIUzI1NiJ9.e30.sig', '"},"level":60,"msg":"forged', 'x'.repeat(300), ''];
      const fresh = await Promise.all(refused.map(sent));
      for (const id of fresh) assert.match(id, uuidShape);
      assert.equal(new Set(fresh).size, refused.length, 'each refused id is replaced by a fresh one');

      await server.waitForLine(new RegExp(`"reqId":"${nginx}"`));
      for (const id of fresh) await server.waitForLine(new RegExp(`"reqId":"${id}"`));
      const lines = jsonLines(server.stdout, 'stdout');
      assert.equal(lines.find((l) => l.reqId === envoy)?.operation, 'menuItemsList');
      assert.ok(!server.stdout.join('\n').includes(key), 'an id shaped like a key is never logged');
    } finally {
      await server.stop();
    }
  });
});
