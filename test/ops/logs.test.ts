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
