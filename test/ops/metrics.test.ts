/**
 * /metrics (METRICS_PORT): scraped from a real server after known traffic, the counters are
 * exactly that traffic; the public port does not serve them; Redis availability follows a
 * redis-server of our own; `start:cluster`'s primary serves the workers' sum.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ownRedis } from '../hardening/lib';
import { freePort, runSource, tempDir, until, waitForHttp } from './lib';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample `name` whose labels include `labels`; undefined when there is none. */
function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `one sample ${name} ${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]?.value;
}

async function scrape(port: number): Promise<{ samples: Sample[]; text: string; contentType: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  return { samples: parse(text), text, contentType: res.headers.get('content-type') ?? '' };
}

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers }).then(async (r) => (await r.arrayBuffer(), r.status));

describe('/metrics', () => {
  test('after known traffic the counters are exactly that traffic; the public port answers 404 at /metrics', async () => {
    const dir = tempDir('metrics');
    const [port, metricsPort] = [await freePort(), await freePort()];
    const server = runSource('main', { DATA_DIR: dir, PORT: String(port), METRICS_PORT: String(metricsPort), THROTTLE_RATES: 'anon=2/minute,login=1/minute' }, dir);
    const base = `http://127.0.0.1:${port}`;
    try {
      await server.waitForLine(/"msg":"listening on /);
      const before = await scrape(metricsPort);
      assert.match(before.contentType, /^text\/plain; version=0\.0\.4/);
      assert.equal(valueOf(before.samples, 'littlelemon_http_requests_total', { operationId: 'menuItemsList' }), undefined, 'nothing counted yet');
      assert.deepEqual(['right', 'wrong'].map((result) => valueOf(before.samples, 'littlelemon_password_checks_total', { result })), [0, 0]);

      for (let i = 0; i < 3; i++) assert.equal(await get(`${base}/api/menu-items`), 200);
      for (let i = 0; i < 2; i++) assert.equal(await get(`${base}/api/menu-items`, { authorization: `Token ${'0'.repeat(40)}` }), 401);
      assert.equal(await get(`${base}/api/menu-items`, { authorization: 'Bearer not.a.jwt' }), 401);
      // anon=2/minute: the third anonymous request is refused by scope anon.
      assert.deepEqual([await get(`${base}/api/throttle-check`), await get(`${base}/api/throttle-check`), await get(`${base}/api/throttle-check`)], [200, 200, 429]);
      // login=1/minute: a wrong password keeps its point, so the next check is refused by the login guard.
      const login = () => fetch(`${base}/auth/token/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nobody', password: 'wrong-password-1' }) }).then(async (r) => (await r.arrayBuffer(), r.status));
      assert.deepEqual([await login(), await login()], [400, 429]);
      assert.equal(await get(`${base}/metrics`), 404, 'the public port does not serve the metrics');

      const { samples, text } = await scrape(metricsPort);
      const requests = (labels: Record<string, string>) => valueOf(samples, 'littlelemon_http_requests_total', labels);
      assert.equal(requests({ operationId: 'menuItemsList', method: 'GET', status: '200' }), 3);
      assert.equal(requests({ operationId: 'menuItemsList', method: 'GET', status: '401' }), 3);
      assert.equal(requests({ operationId: 'throttleCheck', method: 'GET', status: '200' }), 2);
      assert.equal(requests({ operationId: 'throttleCheck', method: 'GET', status: '429' }), 1);
      assert.equal(requests({ operationId: '', method: 'GET', status: '404' }), 1, 'the public /metrics, unmatched');
      assert.equal(valueOf(samples, 'littlelemon_http_request_duration_seconds_count', { operationId: 'menuItemsList', method: 'GET' }), 6);
      assert.equal(valueOf(samples, 'littlelemon_http_request_duration_seconds_bucket', { operationId: 'menuItemsList', method: 'GET', le: '+Inf' }), 6);
      assert.equal(valueOf(samples, 'littlelemon_auth_failures_total', { scheme: 'TokenAuth', reason: 'invalid_token' }), 2);
      assert.equal(valueOf(samples, 'littlelemon_auth_failures_total', { scheme: 'JWTAuth', reason: 'token_not_valid' }), 1);
      assert.equal(valueOf(samples, 'littlelemon_throttle_refusals_total', { scope: 'anon' }), 1);
      assert.equal(valueOf(samples, 'littlelemon_throttle_refusals_total', { scope: 'login' }), 1);
      assert.equal(valueOf(samples, 'littlelemon_throttle_refusals_total', { scope: 'login_username' }), undefined);
      assert.equal(requests({ operationId: 'tokenCreate', method: 'POST', status: '429' }), 1);
      // The wrong password was checked (a 400, no 401 to count it by); the refused one never was.
      assert.equal(valueOf(samples, 'littlelemon_password_checks_total', { result: 'wrong' }), 1);
      assert.equal(valueOf(samples, 'littlelemon_password_checks_total', { result: 'right' }), 0);
      assert.equal(valueOf(samples, 'littlelemon_password_hashes_running'), 0);
      assert.equal(valueOf(samples, 'littlelemon_password_hashes_queued'), 0);
      assert.equal(valueOf(samples, 'littlelemon_db_pool_connections_in_use', { pool: 'main' }), 0);
      assert.equal(valueOf(samples, 'littlelemon_db_pool_waiting', { pool: 'main' }), 0);
      assert.equal(valueOf(samples, 'littlelemon_redis_up'), undefined, 'no REDIS_URL: no Redis gauge');
      assert.ok((valueOf(samples, 'process_cpu_user_seconds_total') ?? 0) > 0, 'the default process metrics');
      assert.ok(valueOf(samples, 'nodejs_eventloop_lag_seconds') !== undefined);
      assert.doesNotMatch(text, /0{40}|not\.a\.jwt/, 'no credential in a label');

      assert.equal(await get(`http://127.0.0.1:${metricsPort}/`), 404, 'the metrics listener serves /metrics only');
      assert.equal(await get(`http://127.0.0.1:${metricsPort}/api/menu-items`), 404, 'and nothing of the API');
    } finally {
      await server.stop();
    }
  });

  test('without METRICS_PORT there is no metrics listener and the public /metrics is 404', async () => {
    const dir = tempDir('metrics-off');
    const port = await freePort();
    const server = runSource('main', { DATA_DIR: dir, PORT: String(port) }, dir);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, server);
      assert.equal(await get(`http://127.0.0.1:${port}/metrics`), 404);
      assert.ok(!server.stdout.some((l) => l.includes('"msg":"metrics on ')));
    } finally {
      await server.stop();
    }
  });

  test('littlelemon_redis_up is 1 while Redis answers, 0 once it is gone, 1 again when it is back', async () => {
    const redis = await ownRedis();
    await redis.start();
    const dir = tempDir('metrics-redis');
    const [port, metricsPort] = [await freePort(), await freePort()];
    const server = runSource('main', { DATA_DIR: dir, PORT: String(port), METRICS_PORT: String(metricsPort), REDIS_URL: redis.url, THROTTLE_FAIL_MODE: 'open' }, dir);
    try {
      await server.waitForLine(/"msg":"listening on /);
      assert.equal(valueOf((await scrape(metricsPort)).samples, 'littlelemon_redis_up'), 1);
      await redis.stop();
      await until(10_000, async () => valueOf((await scrape(metricsPort)).samples, 'littlelemon_redis_up') === 0, 'redis_up 0');
      await redis.start();
      await until(20_000, async () => valueOf((await scrape(metricsPort)).samples, 'littlelemon_redis_up') === 1, 'redis_up 1 again');
    } finally {
      await server.stop();
      await redis.stop();
    }
  });

  test('start:cluster: the primary serves the sum of its workers\' metrics; the workers open no metrics port of their own', async () => {
    const dir = tempDir('metrics-cluster');
    const [port, metricsPort] = [await freePort(), await freePort()];
    const cluster = runSource('cluster', { DATA_DIR: dir, PORT: String(port), METRICS_PORT: String(metricsPort), WEB_CONCURRENCY: '2' }, dir);
    try {
      await cluster.waitForLine(/"msg":"cluster started"/, 30_000);
      await until(20_000, () => cluster.stdout.filter((l) => l.includes('"msg":"listening on ')).length === 2, 'both workers listen');
      // Separate connections, so that both workers are likely to take some.
      for (let i = 0; i < 8; i++) assert.equal((await fetch(`http://127.0.0.1:${port}/api/menu-items`, { headers: { connection: 'close' } })).status, 200);
      const { samples } = await scrape(metricsPort);
      assert.equal(valueOf(samples, 'littlelemon_http_requests_total', { operationId: 'menuItemsList', method: 'GET', status: '200' }), 8);
      assert.equal(valueOf(samples, 'littlelemon_http_request_duration_seconds_count', { operationId: 'menuItemsList', method: 'GET' }), 8);
      assert.ok(cluster.stdout.filter((l) => l.includes('"msg":"metrics on ')).length === 1, 'one metrics listener: the primary\'s');
    } finally {
      await cluster.stop();
    }
  });
});
