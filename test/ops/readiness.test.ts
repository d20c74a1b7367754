/**
 * Liveness and readiness: /healthz does no I/O (200 while the process answers, whatever the
 * backing services do); /readyz is 200 when the database and, with REDIS_URL, Redis answer, and
 * 503 naming the one that does not, with Retry-After; both come back by themselves.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server';
import { ownRedis } from '../hardening/lib';
import { until } from './lib';

describe('/healthz and /readyz', () => {
  test('with the database up: both 200; the database gone: /readyz 503 naming it, /healthz still 200; back: 200', async () => {
    const server = await startServer();
    try {
      const live = await server.request('GET', '/healthz');
      assert.equal(live.status, 200);
      assert.deepEqual(live.body, { status: 'ok' });
      const ready = await server.request('GET', '/readyz');
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body, { status: 'ready', checks: process.env.TEST_REDIS_URL ? { database: 'ok', redis: 'ok' } : { database: 'ok' } });

      const { knex } = server.app.services.db;
      await knex.destroy();
      try {
        const down = await server.request('GET', '/readyz');
        assert.equal(down.status, 503);
        assert.equal(down.body.status, 'unavailable');
        assert.equal(down.body.checks.database, 'down');
        assert.equal(down.body.detail, 'Not ready: the database did not answer.');
        assert.match(down.headers.get('retry-after') ?? '', /^\d+$/);
        assert.equal((await server.request('GET', '/healthz')).status, 200, 'liveness does no I/O');
      } finally {
        knex.initialize();
      }
      assert.equal((await server.request('GET', '/readyz')).status, 200);
    } finally {
      await server.close();
    }
  });

  test('with REDIS_URL (fail-open): Redis gone is /readyz 503 naming Redis while the API still answers; Redis back is 200 again', async () => {
    const redis = await ownRedis();
    await redis.start();
    const server = await startServer({ REDIS_URL: redis.url, THROTTLE_FAIL_MODE: 'open' });
    try {
      const ready = await server.request('GET', '/readyz');
      assert.deepEqual([ready.status, ready.body], [200, { status: 'ready', checks: { database: 'ok', redis: 'ok' } }]);

      await redis.stop();
      const started = Date.now();
      const down = await server.request('GET', '/readyz');
      assert.ok(Date.now() - started < 3000, 'answered within the probe timeout');
      assert.equal(down.status, 503);
      assert.deepEqual(down.body, { detail: 'Not ready: Redis did not answer.', status: 'unavailable', checks: { database: 'ok', redis: 'down' } });
      assert.equal((await server.request('GET', '/healthz')).status, 200);
      assert.equal((await server.request('GET', '/api/menu-items')).status, 200, 'fail-open: the API still answers');

      await redis.start();
      await until(20_000, async () => (await server.request('GET', '/readyz')).status === 200, 'ready again once Redis is back');
    } finally {
      await server.close();
      await redis.stop();
    }
  });
});
