/**
 * `npm start` runs dist/: when a source beside it is newer than its build, the server says so
 * in one warning through the logger (naming the file and what to run), and still starts.
 * A scratch build (builtProject) gets copies of src/ and generated/ whose times the test sets.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/spec';
import { builtProject, childEnv, freePort, jsonLines, run, tempDir, waitForHttp } from './lib';

/** `npm start` until it listens; returns its JSON log lines. */
async function startAndStop(project: string): Promise<Record<string, unknown>[]> {
  const dir = tempDir('stale');
  const port = await freePort();
  const npm = run('npm', ['run', '--silent', 'start'], { cwd: project, env: childEnv({ DATA_DIR: dir, PORT: String(port) }) });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, npm);
  } finally {
    await npm.stop('SIGTERM');
  }
  return jsonLines(npm.stdout, 'npm start');
}

const staleWarnings = (lines: Record<string, unknown>[]) => lines.filter((l) => /^dist\/ is older than /.test(String(l.msg)));

describe('npm start with a stale dist/', () => {
  let project: string;
  const setTime = (file: string, seconds: number) => fs.utimesSync(path.join(project, file), seconds, seconds);
  before(() => {
    project = builtProject();
    const past = Date.now() / 1000 - 3600;
    for (const folder of ['src', 'generated']) {
      fs.cpSync(path.join(PROJECT_ROOT, folder), path.join(project, folder), { recursive: true });
      for (const file of fs.readdirSync(path.join(project, folder), { recursive: true }) as string[]) setTime(path.join(folder, file), past);
    }
    setTime('openapi.yaml', past);
  });

  test('sources older than the build: no warning', async () => {
    assert.deepEqual(staleWarnings(await startAndStop(project)), []);
  });

  test('an edited source: one warning naming it and `npm run build`, and the server starts anyway', async () => {
    setTime('src/handlers/course.ts', Date.now() / 1000 + 60);
    const warnings = staleWarnings(await startAndStop(project));
    setTime('src/handlers/course.ts', Date.now() / 1000 - 3600);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0].level, 40);
    assert.equal(warnings[0].msg, 'dist/ is older than src/handlers/course.ts: this runs the last build, not your sources; run `npm run build`');
  });

  test('an edited spec: one warning naming openapi.yaml and `npm run generate && npm run build`', async () => {
    setTime('openapi.yaml', Date.now() / 1000 + 60);
    const warnings = staleWarnings(await startAndStop(project));
    assert.deepEqual(warnings.map((w) => w.msg), ['dist/ is older than openapi.yaml: this runs the last build, not your sources; run `npm run generate && npm run build`']);
  });
});
