import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { staleBuild } from '../../src/stale';

/** A scratch project folder, its dist/, a time an hour ago, and a way to write an empty file dated `at` (seconds). */
function scratchProject() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stale-'));
  const write = (file: string, at: number) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), '');
    fs.utimesSync(path.join(root, file), at, at);
  };
  return { root, dist: path.join(root, 'dist'), t0: Date.now() / 1000 - 3600, write };
}

test('staleBuild names the first source newer than its compiled file, a source never compiled, or a spec newer than the build', () => {
  const { root, dist, t0, write } = scratchProject();
  try {
    for (const f of ['src/a.ts', 'src/sub/b.ts', 'src/types.d.ts', 'generated/openapi.ts', 'openapi.yaml']) write(f, t0);
    for (const f of ['dist/src/a.js', 'dist/src/sub/b.js', 'dist/generated/openapi.js']) write(f, t0 + 10);
    assert.equal(staleBuild(root, dist), null, 'built after every source (a .d.ts compiles to nothing)');

    write('src/sub/b.ts', t0 + 20);
    assert.deepEqual(staleBuild(root, dist), { source: path.join('src', 'sub', 'b.ts'), fix: 'npm run build' });
    write('dist/src/sub/b.js', t0 + 30);
    assert.equal(staleBuild(root, dist), null);

    write('src/new.ts', t0);
    assert.deepEqual(staleBuild(root, dist), { source: path.join('src', 'new.ts'), fix: 'npm run build' }, 'never compiled');
    fs.rmSync(path.join(root, 'src/new.ts'));

    write('openapi.yaml', t0 + 40);
    assert.deepEqual(staleBuild(root, dist), { source: 'openapi.yaml', fix: 'npm run generate && npm run build' });

    assert.equal(staleBuild(path.join(root, 'dist'), dist), null, 'no sources beside the build: nothing to say');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('staleBuild compares the admin console sources (src/admin/web) with their bundle, dist/admin/app.js, when there is one', () => {
  const { root, dist, t0, write } = scratchProject();
  try {
    for (const f of ['src/a.ts', 'src/admin/serve.ts', 'src/admin/web/session.ts', 'src/admin/web/app.tsx', 'src/admin/web/app.css']) write(f, t0);
    for (const f of ['dist/src/a.js', 'dist/src/admin/serve.js']) write(f, t0 + 10);
    assert.equal(staleBuild(root, dist), null, 'no bundle: the service is not stale (/admin says to build it)');

    write('dist/admin/app.js', t0 + 10);
    assert.equal(staleBuild(root, dist), null, 'the bundle is newer than every console source (which have no .js of their own)');

    for (const f of ['src/admin/web/app.tsx', 'src/admin/web/app.css']) {
      write(f, t0 + 20);
      assert.deepEqual(staleBuild(root, dist), { source: path.join(...f.split('/')), fix: 'npm run build' }, f);
      write(f, t0);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
