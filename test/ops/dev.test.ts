/**
 * `npm run dev` runs the sources and restarts on a change: an edited handler answers at once
 * after the restart, and an edited openapi.yaml is served and regenerates generated/. SIGTERM
 * to npm stops it all. Runs in a scratch copy of the project (src/, generated/, scripts/, the
 * spec), so the test edits files of its own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { NO_THROTTLES } from '../hardening/lib';
import { PROJECT_ROOT } from '../../src/spec';
import { childEnv, freePort, portIsFree, run, tempDir, until, waitForHttp, within, type Proc } from './lib';

describe('npm run dev', () => {
  let project: string;
  let dev: Proc;
  let base: string;
  let port: number;
  const listeners = () => dev.stdout.filter((l) => l.includes('"msg":"listening on ')).map((l) => (JSON.parse(l) as { pid: number }).pid);
  const edit = (file: string, from: string, to: string) => {
    const full = path.join(project, file);
    const text = fs.readFileSync(full, 'utf8');
    assert.ok(text.includes(from), `${file} holds ${from}`);
    fs.writeFileSync(full, text.replace(from, to));
  };
  /** Waits for the next server to listen (a restart), then for it to answer. */
  const restarted = async (after: number) => {
    await until(20_000, () => listeners().length > after, 'a restart');
    await waitForHttp(`${base}/healthz`, dev);
  };

  before(async () => {
    project = tempDir('dev');
    for (const entry of ['src', 'generated', 'scripts']) fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(project, entry), { recursive: true });
    for (const file of ['openapi.yaml', 'package.json', 'tsconfig.json']) fs.copyFileSync(path.join(PROJECT_ROOT, file), path.join(project, file));
    fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(project, 'node_modules'));
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    dev = run('npm', ['run', '--silent', 'dev'], { cwd: project, env: childEnv({ PORT: String(port), DATA_DIR: path.join(project, 'data'), THROTTLE_RATES: NO_THROTTLES }) });
    await waitForHttp(`${base}/healthz`, dev, 30_000);
  });
  after(() => dev.stop());

  test('an edited handler: the server restarts (a new process) and answers with the new code', async () => {
    const [first] = listeners();
    assert.deepEqual(await (await fetch(`${base}/api/throttle-check`)).json(), { message: 'successful' });
    edit('src/handlers/course.ts', "body: { message: 'successful' }", "body: { message: 'edited' }");
    await restarted(1);
    assert.notEqual(listeners()[1], first);
    assert.deepEqual(await (await fetch(`${base}/api/throttle-check`)).json(), { message: 'edited' });
    assert.ok(dev.stdout.some((l) => l.includes('"msg":"stopped"')), 'the old server was stopped gracefully');
  });

  test('an edited openapi.yaml: the server restarts with it, and generated/ is regenerated', async () => {
    const before = listeners().length;
    const generatedAt = fs.statSync(path.join(project, 'generated/openapi.ts')).mtimeMs;
    edit('openapi.yaml', 'title: Little Lemon API', 'title: Little Lemon API (edited)');
    await restarted(before);
    await dev.waitForLine(/^wrote generated\/openapi\.ts$/);
    assert.ok(fs.statSync(path.join(project, 'generated/openapi.ts')).mtimeMs > generatedAt);
    assert.equal(((await (await fetch(`${base}/openapi.json`)).json()) as { info: { title: string } }).info.title, 'Little Lemon API (edited)');
  });

  test('SIGTERM to npm stops the watcher and the server', async () => {
    dev.child.kill('SIGTERM');
    await within(15_000, dev.exited, 'npm run dev exits');
    assert.ok(await portIsFree(port));
  });
});
