/**
 * Two server processes sharing one database and one Redis, as behind a load balancer: a
 * throttle limit holds exactly across them, and a token, a logout, a blacklist or a password
 * change made through one takes effect on the other at once. PostgreSQL when
 * TEST_DATABASE_URL is set, else one SQLite file; Redis from TEST_REDIS_URL (default
 * 127.0.0.1:6379).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../../src/data/db';
import { hashPassword } from '../../src/passwords/hashers';
import { PROJECT_ROOT } from '../../src/spec';
import { CONFIGURED_KIND, freshDatabaseUrl } from '../helpers/database';
import { freePort } from '../hardening/lib';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PASSWORD = 'shared-pass-123';
const children: ChildProcess[] = [];
let dataDir: string;
let db: Database;
let dropSchema = async () => undefined as void;
let A: string;
let B: string;


async function startInstance(env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src/main.ts')], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return url;
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`instance on ${port} did not start`);
}

async function call(base: string, method: string, p: string, opts: { json?: unknown; auth?: string } = {}) {
  const res = await fetch(base + p, {
    method,
    headers: { ...(opts.json ? { 'content-type': 'application/json' } : {}), ...(opts.auth ? { authorization: opts.auth } : {}) },
    body: opts.json ? JSON.stringify(opts.json) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'multi-'));
  const fresh = await freshDatabaseUrl(CONFIGURED_KIND, dataDir);
  const databaseUrl = fresh.databaseUrl;
  dropSchema = fresh.drop;
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    THROTTLE_KEY_PREFIX: `multi-${crypto.randomBytes(5).toString('hex')}`,
    THROTTLE_FAIL_MODE: 'closed',
    THROTTLE_RATES: 'ten=10/minute',
    SECRET_KEY: 'multi-instance-secret-key-0123456789abcdef',
    LOGOUT_ON_PASSWORD_CHANGE: 'true',
    LOG_LEVEL: 'warn',
  };
  A = await startInstance(env);
  B = await startInstance(env);
  // The users, written through the data layer as the instances would write them.
  db = openDatabase(databaseUrl);
  const hash = await hashPassword(PASSWORD);
  for (const username of ['ann', 'bob', 'cid']) {
    await db.users.create({ username, password: hash, email: `${username}@example.com`, dateJoined: Date.now() });
  }
});

after(async () => {
  for (const c of children) c.kill('SIGTERM');
  await db?.destroy();
  await dropSchema();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const login = (base: string, username: string) => call(base, 'POST', '/auth/token/login/', { json: { username, password: PASSWORD } });

test('a key made through one instance works on the other, and its logout ends it on both', async () => {
  const { body } = await login(A, 'ann');
  const auth = `Token ${body.auth_token}`;
  assert.equal((await call(B, 'GET', '/api/secret/', { auth })).status, 200);
  assert.equal((await call(B, 'POST', '/auth/token/logout/', { auth })).status, 204);
  const after = await call(A, 'GET', '/api/secret/', { auth });
  assert.deepEqual([after.status, after.body], [401, { detail: 'Invalid token.' }]);
});

test('200 simultaneous requests spread over both instances against a limit of 10: exactly 10 pass', async () => {
  const { body } = await login(B, 'bob');
  const auth = `Token ${body.auth_token}`;
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => call(i % 2 ? A : B, 'GET', '/api/ten-calls', { auth })));
  const statuses = results.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 200).length, 10);
  assert.equal(statuses.filter((s) => s === 429).length, 190);
});

test('a refresh token blacklisted on one instance is refused by the other at once', async () => {
  const pair = await call(A, 'POST', '/api/token/', { json: { username: 'cid', password: PASSWORD } });
  assert.equal(pair.status, 200);
  assert.equal((await call(B, 'POST', '/api/token/blacklist/', { json: { refresh: pair.body.refresh } })).status, 200);
  const refused = await call(A, 'POST', '/api/token/refresh/', { json: { refresh: pair.body.refresh } });
  assert.deepEqual([refused.status, refused.body], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }]);
});

test('logout-all on one instance revokes the JWTs and keys the other one accepts', async () => {
  const pair = await call(B, 'POST', '/api/token/', { json: { username: 'cid', password: PASSWORD } });
  const key = (await login(B, 'cid')).body.auth_token;
  assert.equal((await call(A, 'GET', '/api/secret/', { auth: `Bearer ${pair.body.access}` })).status, 200);
  assert.equal((await call(A, 'POST', '/auth/token/logoutall/', { auth: `Token ${key}` })).status, 204);
  assert.equal((await call(B, 'GET', '/api/secret/', { auth: `Bearer ${pair.body.access}` })).status, 401);
  assert.equal((await call(B, 'GET', '/api/secret/', { auth: `Token ${key}` })).status, 401);
  assert.equal((await call(B, 'POST', '/api/token/refresh/', { json: { refresh: pair.body.refresh } })).status, 401);
});

test('a password changed through one instance ends the old credentials on the other', async () => {
  const key = (await login(A, 'ann')).body.auth_token;
  const changed = await call(A, 'POST', '/auth/users/set_password/', {
    auth: `Token ${key}`,
    json: { current_password: PASSWORD, new_password: 'a-brand-new-pass-456' },
  });
  assert.equal(changed.status, 204);
  assert.equal((await call(B, 'GET', '/api/secret/', { auth: `Token ${key}` })).status, 401);
  assert.equal((await call(B, 'POST', '/auth/token/login/', { json: { username: 'ann', password: 'a-brand-new-pass-456' } })).status, 200);
});
