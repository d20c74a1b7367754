/**
 * The Host header (#14): `Host: evil.example` came back in a page's `next` link. Every request
 * now names an allowed host (ALLOWED_HOSTS, Django's syntax) or is refused with a JSON 400
 * before anything else, and links are built from the validated host and scheme only; behind
 * NUM_PROXIES the forwarded host and scheme the nearest proxy appended are used (and checked),
 * without it they are ignored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { ImproperlyConfigured } from '../../src/errors';
import { loadSettings } from '../../src/settings';
import { startServer, type TestServer } from '../helpers/server';
import { rawRequest } from './lib';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A GET with the headers as given, Host included (fetch would replace it). */
function get(server: TestServer, path: string, headers: Record<string, string>): Promise<Answer> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers, setHost: !('host' in headers) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text, the assertion shows it
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const PAGE = '/api/menu-items?page=1&page_size=1';

function assertRefused(r: Answer, host: string, where: string): void {
  assert.equal(r.status, 400, `${where}: ${JSON.stringify(r.body)}`);
  assert.match(String(r.headers['content-type']), /^application\/json/, where);
  assert.deepEqual(r.body, { detail: `Invalid HTTP_HOST header: '${host}'.` }, where);
}

async function withMenu(server: TestServer): Promise<void> {
  await server.app.services.db.knex('menu_items').insert([1, 2, 3].map((i) => ({ title: `Dish ${i}`, price_cents: 100 * i, inventory: i })));
}

describe('default ALLOWED_HOSTS (SITE_URL host, localhost, 127.0.0.1, [::1])', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ THROTTLE_RATES: 'default_anon=100000/minute' });
    await withMenu(server);
  });
  after(() => server.close());

  test('Host: evil.example is 400 JSON on an API path, /docs, /openapi.json and /healthz, with the usual headers', async () => {
    for (const path of [PAGE, '/docs', '/docs/', '/openapi.json', '/healthz', '/nowhere']) {
      const r = await get(server, path, { host: 'evil.example' });
      assertRefused(r, 'evil.example', path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(r.headers['cache-control'], 'no-store', path);
    }
  });

  test('allowed hosts work with any port and in any case, and the next link names the host asked for', async () => {
    const { port } = new URL(server.url);
    for (const host of [`127.0.0.1:${port}`, 'localhost:1234', 'LOCALHOST', '[::1]:8000', '127.0.0.1']) {
      const r = await get(server, PAGE, { host });
      assert.equal(r.status, 200, `${host}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.next, `http://${host.toLowerCase()}/api/menu-items?page=2&page_size=1`, host);
    }
  });

  test('a malformed host is refused the same way, quoted as Django quotes it', async () => {
    for (const host of ['evil.example:abc', 'a b', 'user@localhost', 'localhost/x', '127.0.0.1:80:80', 'localhost:123456', '[::1', "it's.evil"]) {
      const r = await get(server, PAGE, { host });
      assert.equal(r.status, 400, host);
      assert.match(String(r.headers['content-type']), /^application\/json/, host);
      assert.equal(r.body.detail, `Invalid HTTP_HOST header: ${host.includes("'") ? `"${host}"` : `'${host}'`}.`, host);
    }
  });

  test('a request without a Host header is 400 JSON', async () => {
    const r = await rawRequest(Number(new URL(server.url).port), 'GET /api/menu-items HTTP/1.0\r\n\r\n');
    assert.equal(r.status, 400, r.head);
    assert.match(r.head, /content-type: application\/json/i);
    assert.deepEqual(JSON.parse(r.body), { detail: "Invalid HTTP_HOST header: ''." });
  });

  test('X-Forwarded-Host and X-Forwarded-Proto are ignored without NUM_PROXIES', async () => {
    const { port } = new URL(server.url);
    const r = await get(server, PAGE, { host: `127.0.0.1:${port}`, 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.next, `http://127.0.0.1:${port}/api/menu-items?page=2&page_size=1`);
  });
});

describe('ALLOWED_HOSTS=*', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ ALLOWED_HOSTS: '*', THROTTLE_RATES: 'default_anon=100000/minute' });
    await withMenu(server);
  });
  after(() => server.close());

  test('any well-formed host is let in (explicitly), a malformed one still is not', async () => {
    const r = await get(server, PAGE, { host: 'anything.example:81' });
    assert.equal(r.status, 200);
    assert.equal(r.body.next, 'http://anything.example:81/api/menu-items?page=2&page_size=1');
    assertRefused(await get(server, PAGE, { host: 'a b' }), 'a b', 'space');
  });
});

describe('ALLOWED_HOSTS=.lemon.example,api.other.example', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ ALLOWED_HOSTS: '.lemon.example, API.other.example', THROTTLE_RATES: 'default_anon=100000/minute' });
    await withMenu(server);
  });
  after(() => server.close());

  test('a leading dot matches the domain and its subdomains, whatever the port and case', async () => {
    for (const host of ['lemon.example', 'api.lemon.example:8443', 'A.B.Lemon.Example', 'lemon.example.', 'api.other.example']) {
      assert.equal((await get(server, PAGE, { host })).status, 200, host);
    }
  });

  test('look-alikes and hosts not listed are refused', async () => {
    for (const host of ['evil-lemon.example', 'lemon.example.evil', 'xlemon.example', 'other.example', 'x.api.other.example', '127.0.0.1', 'localhost']) {
      assertRefused(await get(server, PAGE, { host }), host, host);
    }
  });
});

describe('behind a trusted proxy (NUM_PROXIES=1, ALLOWED_HOSTS=api.lemon.example)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ NUM_PROXIES: '1', ALLOWED_HOSTS: 'api.lemon.example', THROTTLE_RATES: 'default_anon=100000/minute' });
    await withMenu(server);
  });
  after(() => server.close());

  test('the forwarded host and scheme the proxy appended make the links', async () => {
    const r = await get(server, PAGE, { host: '127.0.0.1', 'x-forwarded-host': 'evil.example, api.lemon.example', 'x-forwarded-proto': 'http, https' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.next, 'https://api.lemon.example/api/menu-items?page=2&page_size=1');
  });

  test('a forwarded host that is not allowed is refused; without one, the Host header is checked', async () => {
    assertRefused(await get(server, PAGE, { host: 'api.lemon.example', 'x-forwarded-host': 'api.lemon.example, evil.example' }), 'evil.example', 'forwarded');
    assertRefused(await get(server, '/docs', { host: 'api.lemon.example', 'x-forwarded-host': 'evil.example' }), 'evil.example', '/docs forwarded');
    assertRefused(await get(server, PAGE, { host: 'evil.example' }), 'evil.example', 'no forwarded host');
    const direct = await get(server, PAGE, { host: 'api.lemon.example' });
    assert.equal(direct.status, 200);
    assert.equal(direct.body.next, 'http://api.lemon.example/api/menu-items?page=2&page_size=1', 'a scheme that is not forwarded is the connection\'s');
  });
});

test('ALLOWED_HOSTS with a scheme, a port or a path stops start-up, naming the variable; so does a SITE_URL with no host to allow', () => {
  for (const value of ['http://lemon.example', 'lemon.example:8000', 'lemon.example/api', 'a b', ' , ']) {
    assert.throws(() => loadSettings({ ALLOWED_HOSTS: value, SECRET_KEY: 'x'.repeat(40), DATA_DIR: '/tmp' }), (err: unknown) => err instanceof ImproperlyConfigured && /ALLOWED_HOSTS/.test(err.message), value);
  }
  assert.throws(() => loadSettings({ SITE_URL: 'lemon.example', SECRET_KEY: 'x'.repeat(40), DATA_DIR: '/tmp' }), (err: unknown) => err instanceof ImproperlyConfigured && /SITE_URL/.test(err.message));
  assert.deepEqual(loadSettings({ SITE_URL: 'https://Lemon.Example/app', SECRET_KEY: 'x'.repeat(40), DATA_DIR: '/tmp' }).allowedHosts, ['lemon.example', 'localhost', '127.0.0.1', '[::1]']);
});
