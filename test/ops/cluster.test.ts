/**
 * `npm run start:cluster` (compiled, in a scratch build): every line the primary and its
 * workers write is JSON from the one logger, the primary's own warnings included; SIGTERM to
 * npm stops the workers and the primary, exit 0; a worker that cannot start stops the
 * cluster with one line instead of a loop of restarts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { builtProject, childEnv, freePort, jsonLines, portIsFree, run, runToExit, tempDir, until, waitForHttp, within } from './lib';

/** `npm run --silent start:cluster` (--silent: without npm's own "> script" banner, which is not the service's). */
function startCluster(env: Record<string, string>) {
  const dir = tempDir('cluster');
  return run('npm', ['run', '--silent', 'start:cluster'], { cwd: builtProject(), env: childEnv({ DATA_DIR: dir, WEB_CONCURRENCY: '2', ...env }) });
}

describe('npm run start:cluster', () => {
  test('WEB_CONCURRENCY=2 without REDIS_URL: every stdout and stderr line is a JSON log line, the primary\'s warning included; SIGTERM stops it all with exit 0', async () => {
    const port = await freePort();
    const npm = startCluster({ PORT: String(port) });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, npm);
      await until(20_000, () => npm.stdout.filter((l) => l.includes('"msg":"listening on ')).length === 2, 'both workers listen');
      await npm.waitForLine(/"msg":"cluster started"/);
      for (let i = 0; i < 4; i++) assert.equal((await fetch(`http://127.0.0.1:${port}/api/menu-items`)).status, 200);
      npm.child.kill('SIGTERM');
      const exit = await within(15_000, npm.exited, 'the cluster stops');
      assert.deepEqual(exit, { code: 0, signal: null });
      assert.ok(await portIsFree(port));

      const lines = jsonLines([...npm.stdout, ...npm.stderr], 'start:cluster');
      assert.deepEqual(npm.stderr.filter(Boolean), [], 'nothing on stderr');
      const warning = lines.find((l) => /REDIS_URL is not set/.test(String(l.msg)));
      assert.ok(warning, 'the primary warns that counters are per worker');
      assert.equal(warning.level, 40);
      const primaryPid = warning.pid;
      const workerPids = new Set(lines.filter((l) => /^listening on /.test(String(l.msg))).map((l) => l.pid));
      assert.equal(workerPids.size, 2);
      assert.ok(!workerPids.has(primaryPid), 'the warning is the primary\'s');
      assert.ok(lines.some((l) => l.pid === primaryPid && l.msg === 'stopped'), 'the primary logs its stop');
      for (const pid of workerPids) assert.ok(lines.some((l) => l.pid === pid && l.msg === 'stopped'), `worker ${pid} stopped gracefully`);
    } finally {
      await npm.stop();
    }
  });

  test('a port in use: one line on stderr and exit 1, not a worker restarted forever', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const result = await runToExit(startCluster({ PORT: String(port) }), 20_000);
      assert.deepEqual(result.stderr.filter(Boolean), [`ImproperlyConfigured: PORT: 127.0.0.1:${port} is already in use`]);
      assert.equal(result.code, 1);
      jsonLines(result.stdout, 'stdout');
    } finally {
      blocker.close();
    }
  });

  test('WEB_CONCURRENCY that is not a number of workers is refused in one line', async () => {
    const result = await runToExit(startCluster({ PORT: String(await freePort()), WEB_CONCURRENCY: 'lots' }));
    assert.deepEqual(result.stderr.filter(Boolean), ['ImproperlyConfigured: WEB_CONCURRENCY must be an integer from 1 to 256, got "lots"']);
    assert.equal(result.code, 1);
  });
});
