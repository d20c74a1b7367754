/**
 * Limits, against a real server process (`node --import tsx src/main.ts`: its own http.Server
 * from src/server.ts, with its headersTimeout, requestTimeout and keepAliveTimeout): the body size
 * (BODY_LIMIT, by Content-Length, chunked, form, multipart, and a gzip body that inflates past
 * it), the header size (Node's 16 KB → 431), JSON with 100k keys or a million levels of
 * nesting, slow clients (slowloris headers, a trickled body, a silent connection, an idle
 * keep-alive), and 500 connections at once. Each one gets the right 4xx/408 or is closed, and
 * the server keeps answering everyone else, promptly. The answers of Node's own parser (400,
 * 431, 408) come in the API's JSON error shape, as every other error does (#14).
 *
 * The slow clients start in `before` and are checked at the end, so that their waits overlap
 * the other tests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import zlib from 'node:zlib';
import { insertKey, insertUser, multipart, NO_THROTTLES, ownDatabase, rawRequest, sleep, spawnServer, tempDir, type OwnDatabase, type Spawned } from './lib';

const LIMIT = 4 * 1024 * 1024;
/** src/server.ts's values (it checks them every second: connectionsCheckingInterval, fc5da0b). */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

let dir: string;
let database: OwnDatabase;
let server: Spawned;
let managerKey: string;

/** A connection that is watched from the moment it opens: when it closed, and what it received. */
interface Watched {
  readonly opened: number;
  closedAfter: number | null;
  received: string;
  readonly socket: net.Socket;
  stop(): void;
}

function watch(port: number, feed: (socket: net.Socket) => (() => void) | void): Watched {
  const socket = net.connect(port, '127.0.0.1');
  const w: Watched = { opened: Date.now(), closedAfter: null, received: '', socket, stop: () => undefined };
  socket.on('connect', () => {
    const stop = feed(socket);
    if (stop) w.stop = stop;
  });
  socket.on('data', (d) => (w.received += d.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    w.closedAfter = Date.now() - w.opened;
    w.stop();
  });
  return w;
}

/** Resolves when the connection has closed, or after `deadlineMs` from its opening. */
async function closedWithin(w: Watched, deadlineMs: number): Promise<boolean> {
  while (w.closedAfter === null && Date.now() - w.opened < deadlineMs) await sleep(100);
  return w.closedAfter !== null && w.closedAfter <= deadlineMs;
}

const slow: Record<string, Watched> = {};
const slowloris: Watched[] = [];

/** A GET that must be answered promptly while the server is under attack. */
async function promptly(path = '/healthz', withinMs = 1000): Promise<void> {
  const started = Date.now();
  const res = await fetch(server.url + path, { signal: AbortSignal.timeout(5000) });
  await res.text();
  assert.equal(res.status, 200);
  assert.ok(Date.now() - started < withinMs, `answered in ${Date.now() - started} ms`);
}

before(async () => {
  dir = tempDir('limits');
  database = await ownDatabase(dir);
  server = await spawnServer({ DATA_DIR: dir, DATABASE_URL: database.url, BODY_LIMIT: `${LIMIT}b`, THROTTLE_RATES: NO_THROTTLES, LOG_LEVEL: 'warn' });
  const id = await insertUser(database.data, { username: 'boss', groups: ['Manager'] });
  managerKey = await insertKey(database.data, id);
  const port = server.port;

  // The slow clients, started now and checked at the end.
  slow.silent = watch(port, () => undefined);
  slow.slowHeaders = watch(port, (s) => {
    s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const t = setInterval(() => s.writable && s.write('a'), 500);
    return () => clearInterval(t);
  });
  slow.slowBody = watch(port, (s) => {
    s.write(`POST /api/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"username":"`);
    const t = setInterval(() => s.writable && s.write('a'), 500);
    return () => clearInterval(t);
  });
  slow.idleKeepAlive = watch(port, (s) => {
    s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
  for (let i = 0; i < 200; i++) {
    slowloris.push(
      watch(port, (s) => {
        s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        const t = setInterval(() => s.writable && s.write('X-A: b\r\n'), 2000);
        return () => clearInterval(t);
      }),
    );
  }
});

after(async () => {
  for (const w of [...Object.values(slow), ...slowloris]) {
    w.stop();
    w.socket.destroy();
  }
  await server?.kill('SIGKILL');
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A raw answer in the API's JSON error shape, as Node's parser errors are now given (#14):
 * the status, Content-Type application/json, Connection: close, and `{"detail": detail}`.
 */
function assertJsonError(head: string, body: string, status: number, detail: string, where = ''): void {
  assert.match(head, new RegExp(`^HTTP/1\\.1 ${status} `), `${where} ${head.slice(0, 80)}`);
  assert.match(head, /\r\ncontent-type: application\/json/i, `${where}: ${head}`);
  assert.match(head, /\r\nconnection: close/i, `${where}: ${head}`);
  assert.deepEqual(JSON.parse(body), { detail }, where);
}

/** The head and body of what a watched connection received. */
const split = (received: string) => {
  const at = received.indexOf('\r\n\r\n');
  return { head: received.slice(0, at), body: received.slice(at + 4) };
};

const menuCount = async () => Number(((await database.db('menu_items').count({ n: '*' })) as { n: number | string }[])[0].n);

test('while 200 slowloris connections trickle headers, others are answered promptly', async () => {
  assert.ok(slowloris.filter((w) => w.closedAfter === null).length > 150, 'the slowloris connections are still open');
  for (let i = 0; i < 5; i++) await promptly();
});

describe('the body limit (BODY_LIMIT=4mb)', () => {
  const post = (body: Buffer | string, contentType: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/menu-items`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Token ${managerKey}`, ...headers }, body });

  test('a JSON body of exactly the limit is read; one byte more is 413 JSON, and nothing is written', async () => {
    const item = '{"title":"Edge","price":"1.00","inventory":1,"pad":"';
    const exact = item + 'x'.repeat(LIMIT - item.length - 2) + '"}';
    assert.equal(Buffer.byteLength(exact), LIMIT);
    const before = await menuCount();
    const ok = await post(exact, 'application/json');
    assert.equal(ok.status, 201, await ok.text());
    const over = await post(exact.replace('"pad":"', '"pad":"x'), 'application/json');
    assert.equal(over.status, 413);
    assert.deepEqual(await over.json(), { detail: 'Request body is too large.' });
    assert.equal(await menuCount(), before + 1);
    await promptly();
  });

  test('over the limit as a URL-encoded form, as multipart, chunked without a length, and as gzip that inflates past it: 413 each', async () => {
    const before = await menuCount();
    const big = 'x'.repeat(LIMIT + 1);
    const form = await post(`title=A&price=1&inventory=1&pad=${big}`, 'application/x-www-form-urlencoded');
    const mp = multipart({ title: 'A', price: '1', inventory: '1', pad: big });
    const multi = await post(mp.body, mp.contentType);
    const bomb = zlib.gzipSync(Buffer.concat([Buffer.from('{"title":"A","price":"1","inventory":1,"pad":"'), Buffer.alloc(64 * 1024 * 1024, 0x61), Buffer.from('"}')]));
    const started = Date.now();
    const gz = await post(bomb, 'application/json', { 'content-encoding': 'gzip' });
    const gzMs = Date.now() - started;
    const chunkedHead = `POST /api/menu-items HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token ${managerKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
    const chunk = Buffer.from(`{"title":"A","pad":"${'x'.repeat(1024 * 1024)}`);
    const chunks: (string | Buffer)[] = [chunkedHead];
    for (let i = 0; i < 5; i++) chunks.push(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
    chunks.push('0\r\n\r\n');
    const chunked = await rawRequest(server.port, chunks, 10_000);
    for (const [name, status, body] of [
      ['form', form.status, await form.text()],
      ['multipart', multi.status, await multi.text()],
      ['gzip bomb (50 KB → 64 MB)', gz.status, await gz.text()],
      ['chunked', chunked.status, chunked.body],
    ] as const) {
      assert.equal(status, 413, `${name}: ${status} ${body.slice(0, 200)}`);
    }
    assert.ok(gzMs < 3000, `the gzip bomb took ${gzMs} ms to refuse`);
    assert.equal(await menuCount(), before);
    await promptly();
  });
});

describe('headers', () => {
  test('a header block over 16 KB is 431 and the connection is closed; 15 KB is fine; the server keeps answering', async () => {
    const big = await rawRequest(server.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    assert.equal(big.status, 431);
    assert.ok(big.closed);
    const longUrl = await rawRequest(server.port, `GET /api/menu-items?search=${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    assert.equal(longUrl.status, 431);
    const many = await rawRequest(server.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`);
    assert.equal(many.status, 431);
    for (const [name, r] of [['big header', big], ['long URL', longUrl], ['many headers', many]] as const) {
      assertJsonError(r.head, r.body, 431, 'Request header fields too large.', name);
    }
    const fine = await fetch(`${server.url}/healthz`, { headers: { 'x-big': 'a'.repeat(15 * 1024) } });
    assert.equal(fine.status, 200);
    await promptly();
  });

  test('malformed requests (bad header bytes, CL+TE together, two Content-Lengths, a bad method) are 400 and closed', async () => {
    const cases = [
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\u0000b\r\n\r\n',
      'POST /api/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /api/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
      'G\u00e9T /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      'GET /healthz HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
    ];
    for (const c of cases) {
      const r = await rawRequest(server.port, Buffer.from(c, 'latin1'));
      assertJsonError(r.head, r.body, 400, 'Malformed request.', JSON.stringify(c.slice(0, 60)));
      assert.ok(r.closed, 'the connection is closed');
    }
    await promptly();
  });

  test('an HTTP/1.1 request without a Host header is 400 JSON from the ALLOWED_HOSTS check, not an empty 400 from Node', async () => {
    const r = await rawRequest(server.port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.equal(r.status, 400, r.head);
    assert.match(r.head, /\r\ncontent-type: application\/json/i);
    assert.deepEqual(JSON.parse(r.body), { detail: "Invalid HTTP_HOST header: ''." });
  });
});

describe('JSON that is costly to read', () => {
  const send = async (path: string, body: string | Buffer, contentType = 'application/json', auth = true) => {
    const started = Date.now();
    const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': contentType, ...(auth ? { authorization: `Token ${managerKey}` } : {}) }, body, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, text: await res.text(), ms: Date.now() - started };
  };

  test('100k keys in an object: answered (201, the unknown keys ignored) within 3 s, and the server keeps answering meanwhile', async () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `"k${i}":${i}`).join(',');
    const body = `{${keys},"title":"Many keys","price":"2.00","inventory":2}`;
    const pending = send('/api/menu-items', body);
    await promptly('/healthz', 2000);
    const r = await pending;
    assert.equal(r.status, 201, r.text.slice(0, 200));
    assert.ok(r.ms < 3000, `${r.ms} ms`);
    // anonymous, on a login endpoint, 100k keys beside the credentials
    const login = await send('/api/token/', `{${keys},"username":"boss","password":"wrong"}`, 'application/json', false);
    assert.deepEqual([login.status, JSON.parse(login.text)], [401, { detail: 'No active account found with the given credentials' }]);
  });

  test('a million levels of nesting, and 300k nested objects: 400 within 3 s, no crash', async () => {
    for (const body of [`{"title":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`, `{"title":${'{"a":'.repeat(300_000)}1${'}'.repeat(300_000)}}`, '['.repeat(2_000_000)]) {
      const r = await send('/api/menu-items', body);
      assert.equal(r.status, 400, r.text.slice(0, 200));
      assert.ok(r.ms < 3000, `${r.ms} ms`);
    }
    await promptly();
  });

  test('100k form fields, 5000 multipart fields and 1500 query parameters: answered within 3 s', async () => {
    const form = await send('/api/menu-items', `${Array.from({ length: 100_000 }, (_, i) => `f${i}=1`).join('&')}&title=Form&price=1&inventory=1`, 'application/x-www-form-urlencoded');
    assert.equal(form.status, 201, form.text.slice(0, 200));
    const fields: Record<string, string> = {};
    for (let i = 0; i < 5000; i++) fields[`f${i}`] = '1';
    const mp = multipart({ ...fields, title: 'Multi', price: '1', inventory: '1' });
    const multi = await send('/api/menu-items', mp.body, mp.contentType);
    // busboy stops reading fields after 1000 (readBody's limit): title & co. came too late
    assert.ok([201, 400].includes(multi.status), multi.text.slice(0, 200));
    const started = Date.now();
    const q = await fetch(`${server.url}/api/menu-items?${Array.from({ length: 1500 }, (_, i) => `q${i}=1`).join('&')}`);
    assert.equal(q.status, 200);
    assert.ok(Date.now() - started < 3000);
    for (const r of [form, multi]) assert.ok(r.ms < 3000, `${r.ms} ms`);
  });
});

describe('connections', () => {
  test('500 connections at once, each with a request: every one is answered 200', async () => {
    const replies = await Promise.all(Array.from({ length: 500 }, () => rawRequest(server.port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 15_000)));
    const statuses = new Map<number, number>();
    for (const r of replies) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(statuses), { 200: 500 });
  });

  test('500 idle connections held open: the server still answers others promptly', async () => {
    const idle = await Promise.all(
      Array.from(
        { length: 500 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(server.port, '127.0.0.1', () => resolve(s));
            s.on('error', () => undefined);
          }),
      ),
    );
    try {
      for (let i = 0; i < 5; i++) await promptly('/api/menu-items?page=1', 1000);
    } finally {
      for (const s of idle) s.destroy();
    }
  });
});

describe('slow clients (opened at the start of this file)', () => {
  test('an idle keep-alive connection is closed after keepAliveTimeout (5 s)', async () => {
    assert.ok(await closedWithin(slow.idleKeepAlive, KEEP_ALIVE_TIMEOUT_MS + 2000), `closed after ${slow.idleKeepAlive.closedAfter} ms`);
    assert.match(slow.idleKeepAlive.received, /^HTTP\/1\.1 200/);
    assert.doesNotMatch(slow.idleKeepAlive.received, /HTTP\/1\.1 408/, 'an idle keep-alive connection is closed without an answer');
  });

  test(
    'a silent connection and a slowloris one are answered 408 and closed within headersTimeout (10 s)',
    async () => {
      for (const name of ['silent', 'slowHeaders'] as const) {
        assert.ok(await closedWithin(slow[name], HEADERS_TIMEOUT_MS + 2000), `${name}: closed after ${slow[name].closedAfter ?? `more than ${Date.now() - slow[name].opened}`} ms`);
        const { head, body } = split(slow[name].received);
        assertJsonError(head, body, 408, 'Request timed out.', name);
      }
    },
  );

  test(
    'a body trickled a byte at a time is answered 408 and closed within requestTimeout (30 s)',
    async () => {
      assert.ok(await closedWithin(slow.slowBody, REQUEST_TIMEOUT_MS + 2000), `closed after ${slow.slowBody.closedAfter ?? `more than ${Date.now() - slow.slowBody.opened}`} ms`);
      const { head, body } = split(slow.slowBody.received);
      assertJsonError(head, body, 408, 'Request timed out.', 'slow body');
    },
  );

  test('every slowloris connection is cut off too: 408 and closed within headersTimeout', async () => {
    const deadline = HEADERS_TIMEOUT_MS + 3000;
    for (const w of [slow.silent, slow.slowHeaders, ...slowloris]) {
      assert.ok(await closedWithin(w, deadline), `still open after ${Date.now() - w.opened} ms`);
      const { head, body } = split(w.received);
      assertJsonError(head, body, 408, 'Request timed out.', 'slowloris');
    }
    await promptly();
  });
});
