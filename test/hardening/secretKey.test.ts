/**
 * Production without a SECRET_KEY (#14): it used to warn and generate one into the data folder;
 * like Django, the service now refuses to start, with one line naming the variable and exit
 * status 1. Outside production a generated key is still kept for development.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ImproperlyConfigured } from '../../src/errors';
import { loadSettings } from '../../src/settings';
import { PROJECT_ROOT } from '../../src/spec';
import { freePort, tempDir } from './lib';

const MESSAGE = 'SECRET_KEY must be set when NODE_ENV=production';

test('loadSettings: NODE_ENV=production without SECRET_KEY (unset or empty) is ImproperlyConfigured naming it, and writes no key', () => {
  const dir = tempDir('secret');
  try {
    for (const env of [{ NODE_ENV: 'production' }, { NODE_ENV: 'production', SECRET_KEY: '' }, { NODE_ENV: 'Production ' }]) {
      assert.throws(() => loadSettings({ ...env, DATA_DIR: dir }), (err: unknown) => err instanceof ImproperlyConfigured && err.message === MESSAGE, JSON.stringify(env));
    }
    assert.deepEqual(fs.readdirSync(dir), [], 'no key was generated');
    const set = loadSettings({ NODE_ENV: 'production', SECRET_KEY: 'k'.repeat(40), DATA_DIR: dir });
    assert.equal(set.secretKeyGenerated, false);
    const dev = loadSettings({ NODE_ENV: 'development', DATA_DIR: dir });
    assert.equal(dev.secretKeyGenerated, true, 'outside production a key is still generated');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the server with NODE_ENV=production and no SECRET_KEY exits 1 with one line on stderr, and never listens', async () => {
  const dir = tempDir('secret-main');
  const port = await freePort();
  try {
    const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'production', SECRET_KEY: '', DATA_DIR: dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' };
    delete env.NODE_TEST_CONTEXT;
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(PROJECT_ROOT, 'src/main.ts')], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    assert.equal(code, 1, `exit status; stderr: ${stderr}`);
    assert.equal(stderr, `ImproperlyConfigured: ${MESSAGE}\n`);
    assert.doesNotMatch(stdout, /listening/);
    assert.ok(!fs.existsSync(path.join(dir, 'secret_key')), 'no key was generated');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
