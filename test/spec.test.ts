/** The spec as source of truth: generated/ in sync, and configuration mistakes refused at start-up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app';
import { ImproperlyConfigured } from '../src/errors';
import { createLogger } from '../src/log';
import { loadSettings } from '../src/settings';
import { loadSpec, PROJECT_ROOT } from '../src/spec';

test('generated/ is what `npm run generate` makes from openapi.yaml', () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts/generate.ts'), '--check'], { encoding: 'utf8' });
  assert.match(out, /in sync/);
});

function specWith(edit: (yaml: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spec-'));
  const file = path.join(dir, 'openapi.yaml');
  fs.writeFileSync(file, edit(fs.readFileSync(path.join(PROJECT_ROOT, 'openapi.yaml'), 'utf8')));
  return file;
}

async function boot(specFile: string): Promise<unknown> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'boot-'));
  const settings = loadSettings({ DATA_DIR: dataDir, SECRET_KEY: 'x'.repeat(40), LOG_LEVEL: 'silent' });
  try {
    const app = await createApp(settings, { spec: loadSpec(specFile), logger: createLogger('silent') });
    await app.close();
    return null;
  } catch (err) {
    return err;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

test('an operation open to anonymous callers without its own x-roles stops start-up', () => {
  const file = specWith((y) => y.replace(/(operationId: throttleCheck\n(?:.*\n)*?)\s+x-roles: \[anyone\]\n/, '$1\n'));
  assert.throws(() => loadSpec(file), (err: Error) => err instanceof ImproperlyConfigured && /throttleCheck: x-roles/.test(err.message));
});

test('an unknown throttle scope stops start-up, naming it', async () => {
  const err = await boot(specWith((y) => y.replace('x-throttle: [ten]', 'x-throttle: [elevn]')));
  assert.ok(err instanceof ImproperlyConfigured, String(err));
  assert.match((err as Error).message, /elevn/);
});

test('an invalid rate stops start-up, naming it', async () => {
  const err = await boot(specWith((y) => y.replace('ten: 10/minute', 'ten: 10/fortnight')));
  assert.ok(err instanceof ImproperlyConfigured, String(err));
  assert.match((err as Error).message, /10\/fortnight/);
});

test('x-throttle-kinds: an unknown kind, a scope without a rate, login on another scope, or email where there is no body stop start-up, naming it', async () => {
  const cases: [(y: string) => string, RegExp][] = [
    [(y) => y.replace('  anon: anon\n', '  anon: per_ip\n'), /x-throttle-kinds\.anon: unknown kind "per_ip"/],
    [(y) => y.replace('  anon: anon\n', '  anon: anon\n  anno: anon\n'), /"anno"/],
    [(y) => y.replace('  mail_address: email\n', '  mail_address: email\n  ten: login\n'), /x-throttle-kinds\.ten: only the scope login/],
    [(y) => y.replace('x-throttle: [ten]', 'x-throttle: [mail_address]'), /x-throttle lists mail_address, of kind email, but the operation takes no body/],
  ];
  for (const [edit, message] of cases) {
    const err = await boot(specWith(edit));
    assert.ok(err instanceof ImproperlyConfigured, String(err));
    assert.match((err as Error).message, message);
  }
});

test('a group in x-roles that x-groups does not declare stops start-up', async () => {
  const err = await boot(specWith((y) => y.replace('x-roles: [Manager]', 'x-roles: [Managers]')));
  assert.ok(err instanceof ImproperlyConfigured, String(err));
  assert.match((err as Error).message, /Managers/);
});

test('a bad environment variable stops start-up with a message naming it', () => {
  assert.throws(() => loadSettings({ PORT: 'eighty' }), /PORT/);
  assert.throws(() => loadSettings({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
  assert.throws(() => loadSettings({ THROTTLE_FAIL_MODE: 'maybe' }), /THROTTLE_FAIL_MODE/);
  assert.throws(() => loadSettings({ ACCESS_TOKEN_LIFETIME: '-5' }), /ACCESS_TOKEN_LIFETIME/);
});
