/**
 * `npm start` stops gracefully whichever process gets the signal: npm (which forwards SIGTERM
 * and SIGINT to its child, and the start script's `exec` makes that child node itself, not a
 * `sh -c` that would die and leave node running), or node directly. Logins in flight when the
 * signal arrives are answered, then the port is free and no server process is left.
 *
 * Runs the compiled service in a scratch build (test/ops/lib.ts builtProject), never the
 * checkout's dist/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { insertUser, NO_THROTTLES, ownDatabase, PASSWORD, rawRequest, type OwnDatabase, type RawReply } from '../hardening/lib';
import { builtProject, childEnv, freePort, portIsFree, processGone, run, tempDir, waitForHttp, within } from './lib';

/** A login on a connection of its own; argon2 makes each take ~100-200 ms on a shared core. */
function login(port: number): Promise<RawReply> {
  const body = JSON.stringify({ username: 'alice', password: PASSWORD });
  return rawRequest(port, `POST /auth/token/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 15_000);
}

describe('npm start and signals', () => {
  let project: string;
  before(() => {
    project = builtProject();
  });

  const cases: ['npm' | 'node', NodeJS.Signals][] = [
    ['npm', 'SIGTERM'],
    ['npm', 'SIGINT'],
    ['node', 'SIGTERM'],
  ];
  for (const [target, signal] of cases) {
    describe(`${signal} sent to ${target}`, () => {
      let dir: string;
      let database: OwnDatabase;
      before(async () => {
        dir = tempDir('npm-start');
        database = await ownDatabase(dir);
      });
      after(() => database.drop());

      test('the logins in flight are answered, then npm and node exit 0, the port is free and no server process remains', async () => {
        const port = await freePort();
        let nodePid = 0;
        const npm = run('npm', ['start'], { cwd: project, env: childEnv({ DATA_DIR: dir, DATABASE_URL: database.url, PORT: String(port), THROTTLE_RATES: NO_THROTTLES }) });
        try {
          await waitForHttp(`http://127.0.0.1:${port}/healthz`, npm);
          const listening = JSON.parse(await npm.waitForLine(/"msg":"listening on /)) as { pid: number };
          nodePid = listening.pid;
          assert.notEqual(nodePid, npm.child.pid);
          await insertUser(database.data, { username: 'alice' });

          const logins = Array.from({ length: 8 }, () => login(port));
          let answered = 0;
          for (const l of logins) void l.then(() => answered++);
          // Signal once the first is answered: every request has been sent by then, most are
          // still waiting for their hash.
          await Promise.race(logins);
          process.kill(target === 'npm' ? (npm.child.pid as number) : nodePid, signal);
          const inFlightAtSignal = logins.length - answered;

          const results = await within(20_000, Promise.all(logins), 'the logins are answered');
          const exit = await within(10_000, npm.exited, 'npm exits');
          assert.ok(inFlightAtSignal > 0, 'some logins were in flight when the signal came');
          assert.deepEqual(
            results.map((r) => r.status),
            Array(logins.length).fill(200),
          );
          const shutdown = npm.stdout.find((l) => /"msg":"shutting down/.test(l));
          assert.ok(shutdown, 'node logged its graceful shutdown');
          assert.equal(JSON.parse(shutdown).signal, signal, 'node itself received the signal');
          assert.ok(npm.stdout.some((l) => /"msg":"stopped"/.test(l)));
          assert.deepEqual(exit, { code: 0, signal: null }, 'npm exits 0 after node');
          assert.ok(await portIsFree(port), 'the port is free');
          assert.ok(processGone(nodePid), `node (pid ${nodePid}) has ended too`);
        } finally {
          await npm.stop(); // its process group: node too, had it outlived npm
        }
      });
    });
  }
});
