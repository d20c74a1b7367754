/**
 * A service that cannot do its job refuses to start: one line on stderr naming the variable
 * and what is wrong (`ImproperlyConfigured: NAME: ...`), exit status 1, no stack, and never a
 * password (URLs are printed with `***` in its place), not even in the log on stdout.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startServer } from '../helpers/server';
import { freePort, runSource, runToExit, tempDir } from './lib';

const PASSWORD = 'do-not-print-me-7f3a';

/** Starts the server with `env` and expects it to refuse: exit 1 and exactly one stderr line matching `line`. */
async function refuses(env: Record<string, string>, line: RegExp): Promise<void> {
  const dir = tempDir('startup');
  const result = await runToExit(runSource('main', { DATA_DIR: dir, PORT: String(await freePort()), ...env }, dir));
  assert.deepEqual(result.stderr.filter(Boolean).length, 1, `one line on stderr:\n${result.stderr.join('\n')}`);
  assert.match(result.stderr[0], line);
  assert.equal(result.code, 1);
  const everything = [...result.stdout, ...result.stderr].join('\n');
  assert.doesNotMatch(everything, new RegExp(PASSWORD), 'the password is never printed');
  assert.doesNotMatch(everything, /\n\s+at /, 'no stack');
}

describe('start-up refuses, in one line', () => {
  test('PORT already in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await refuses({ PORT: String(port) }, new RegExp(`^ImproperlyConfigured: PORT: 127\\.0\\.0\\.1:${port} is already in use$`));
    } finally {
      blocker.close();
    }
  });

  test('HOST that is not an address of this machine', async () => {
    await refuses({ HOST: '192.0.2.1' }, /^ImproperlyConfigured: HOST: 192\.0\.2\.1 is not an address of this machine$/);
  });

  test('REDIS_URL where nothing listens (instead of ioredis\'s "Connection is closed." and a stack)', async () => {
    const port = await freePort();
    await refuses(
      { REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}` },
      new RegExp(`^ImproperlyConfigured: REDIS_URL: cannot connect to redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`),
    );
  });

  test('DATABASE_URL: a PostgreSQL server that refuses connections', async () => {
    const port = await freePort();
    await refuses(
      { DATABASE_URL: `postgres://lemon:${PASSWORD}@127.0.0.1:${port}/lemon` },
      new RegExp(`^ImproperlyConfigured: DATABASE_URL: cannot connect to postgres://lemon:\\*\\*\\*@127\\.0\\.0\\.1:${port}/lemon: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`),
    );
  });

  test('DATABASE_URL: a PostgreSQL database that does not exist', { skip: !process.env.TEST_DATABASE_URL && 'needs TEST_DATABASE_URL' }, async () => {
    const url = new URL(process.env.TEST_DATABASE_URL as string);
    const name = `missing_${crypto.randomBytes(4).toString('hex')}`;
    url.pathname = `/${name}`;
    url.password = PASSWORD; // ignored by trust authentication, and must not be printed
    await refuses({ DATABASE_URL: url.toString() }, new RegExp(`^ImproperlyConfigured: DATABASE_URL: cannot connect to postgres://[^:]+:\\*\\*\\*@[^/]+/${name}: database "${name}" does not exist$`));
  });

  test('DATABASE_URL: a SQLite file that is not a database', async () => {
    const file = path.join(tempDir('notadb'), 'db.sqlite3');
    fs.writeFileSync(file, 'this is not a database, it is a shopping list\n'.repeat(200));
    await refuses({ DATABASE_URL: `sqlite:${file}` }, /^ImproperlyConfigured: DATABASE_URL: cannot connect to sqlite:\S+db\.sqlite3: file is not a database$/);
  });

  test('CORS_ALLOWED_ORIGINS=not-a-url (it used to be accepted, and matched nothing)', async () => {
    await refuses({ CORS_ALLOWED_ORIGINS: 'not-a-url' }, /^ImproperlyConfigured: CORS_ALLOWED_ORIGINS: "not-a-url" is not an origin; an origin is scheme:\/\/host\[:port\] \(or \* for any\)$/);
  });

  test('CORS_ALLOWED_ORIGINS with a path (a trailing slash never matches a browser\'s Origin)', async () => {
    await refuses({ CORS_ALLOWED_ORIGINS: 'https://app.example, https://admin.example/' }, /^ImproperlyConfigured: CORS_ALLOWED_ORIGINS: "https:\/\/admin\.example\/" has a path, query or fragment \("\/"\)/);
  });

  test('METRICS_PORT that is not a port', async () => {
    await refuses({ METRICS_PORT: 'nine-thousand' }, /^ImproperlyConfigured: METRICS_PORT must be an integer from 1 to 65535, got "nine-thousand"$/);
  });

  test('METRICS_PORT the same as PORT (the metrics never share the public listener)', async () => {
    const port = await freePort();
    await refuses({ PORT: String(port), METRICS_PORT: String(port) }, new RegExp(`^ImproperlyConfigured: METRICS_PORT must not be the public PORT \\(${port}\\): metrics are served on a listener of their own$`));
  });

  test('METRICS_PORT already in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await refuses({ METRICS_PORT: String(port) }, new RegExp(`^ImproperlyConfigured: METRICS_PORT: 127\\.0\\.0\\.1:${port} is already in use$`));
    } finally {
      blocker.close();
    }
  });

  test('METRICS_HOST that is not an address of this machine', async () => {
    await refuses({ METRICS_PORT: String(await freePort()), METRICS_HOST: '192.0.2.1' }, /^ImproperlyConfigured: METRICS_HOST: 192\.0\.2\.1 is not an address of this machine$/);
  });

  test('an origin written with capitals or its default port is accepted as the browser sends it', async () => {
    const server = await startServer({ CORS_ALLOWED_ORIGINS: 'https://App.Example:443' });
    try {
      const r = await fetch(`${server.url}/api/menu-items`, { headers: { origin: 'https://app.example' } });
      assert.equal(r.headers.get('access-control-allow-origin'), 'https://app.example');
      assert.deepEqual(server.app.services.settings.corsAllowedOrigins, ['https://app.example']);
    } finally {
      await server.close();
    }
  });
});
