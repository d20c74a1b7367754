/**
 * A normal stop is quick: once "stopped" is logged (connections drained, database and Redis
 * closed) nothing keeps the process alive. Measured as its parent sees it (the exit event,
 * i.e. waitpid), on the compiled service with a Redis connection and an idle keep-alive
 * client, the handles most likely to hold a process open.
 *
 * (A process whose parent has gone, such as node orphaned by a killed `npm start`, is reaped
 * by PID 1; a container's PID 1 that reaps slowly makes `kill -0` or `ps` see the finished
 * process for a while longer. That is not the service's time to stop.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ownRedis, type OwnRedis } from '../hardening/lib';
import { builtProject, childEnv, freePort, run, tempDir, waitForHttp, within } from './lib';

describe('stopping', () => {
  let redis: OwnRedis;
  before(async () => {
    redis = await ownRedis();
  });
  after(() => redis.stop());

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal}: the process exits within 1 s of logging "stopped" (and within 2 s of the signal)`, async (t) => {
      const project = builtProject();
      const dir = tempDir('stop');
      const port = await freePort();
      const server = run(process.execPath, [path.join(project, 'dist/src/main.js')], { cwd: dir, env: childEnv({ DATA_DIR: dir, PORT: String(port), REDIS_URL: redis.url }) });
      try {
        await waitForHttp(`http://127.0.0.1:${port}/healthz`, server);
        // fetch keeps this connection open, idle, after the answer
        assert.equal((await fetch(`http://127.0.0.1:${port}/api/menu-items`)).status, 200);

        let stoppedAt = 0;
        void server.waitForLine(/"msg":"stopped"/, 10_000).then(() => (stoppedAt = performance.now()), () => undefined);
        const signalledAt = performance.now();
        server.child.kill(signal);
        const exit = await within(10_000, server.exited, 'exit');
        const exitedAt = performance.now();

        assert.deepEqual(exit, { code: 0, signal: null });
        assert.ok(stoppedAt > 0, '"stopped" was logged');
        t.diagnostic(`signal → "stopped" ${Math.round(stoppedAt - signalledAt)} ms, "stopped" → exit ${Math.round(exitedAt - stoppedAt)} ms`);
        assert.ok(exitedAt - stoppedAt < 1000, `exited ${Math.round(exitedAt - stoppedAt)} ms after "stopped"`);
        assert.ok(exitedAt - signalledAt < 2000, `exited ${Math.round(exitedAt - signalledAt)} ms after the signal`);
      } finally {
        await server.stop();
      }
    });
  }
});
