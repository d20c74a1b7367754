/** The spec as source of truth: generated/ in sync, and configuration mistakes refused at start-up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXTENSIONS } from '../src/api/registry';
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
  const err = await boot(specWith((y) => y.replace('x-throttle-scope: ten', 'x-throttle-scope: elevn')));
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
    [(y) => y.replace('x-throttle-scope: ten', 'x-throttle-scope: mail_address'), /x-throttle-scope lists mail_address, of kind email, but the operation takes no body/],
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

test('an x-group that x-groups does not declare stops start-up, naming it', () => {
  const file = specWith((y) => y.replace('x-group: Manager\n', 'x-group: Managers\n'));
  assert.throws(() => loadSpec(file), (err: Error) => err instanceof ImproperlyConfigured && /managersList: x-group names "Managers"/.test(err.message));
});

test('an unknown extension, one out of its place, an internal one or a malformed one stops start-up, naming it', () => {
  const cases: [(y: string) => string, RegExp][] = [
    // the name before #15's rename is unknown now: one name only
    [(y) => y.replace('x-throttle-scope: ten\n', 'x-throttle: [ten]\n'), /\/x-throttle: unknown extension x-throttle/],
    [(y) => y.replace('x-groups: [Manager', 'x-group: Manager\nx-groups: [Manager'), /^\/x-group: x-group belongs on operation, not root/],
    [(y) => y.replace('  title: Little Lemon API\n', '  title: Little Lemon API\n  x-roles: [anyone]\n'), /^\/info\/x-roles: x-roles belongs on root or operation, not here/],
    [(y) => y.replace('x-trim: false }', 'x-trim: false, x-prohibit-chars: true }'), /x-prohibit-chars is added by the service, never written in the spec/],
    [(y) => y.replace('x-decimal: { maxDigits: 6, decimalPlaces: 2,', 'x-decimal: { maxDigits: 6, decimalPlaces: 8,'), /\/components\/schemas\/PriceInput\/anyOf\/0\/x-decimal must be/],
    [(y) => y.replace('x-throttle-scope: ten\n', 'x-throttle-scope: { ten: 1 }\n'), /x-throttle-scope must be a scope or a list of scopes/],
    [(y) => y.replace('x-object: { load: menuItem }', 'x-object: { load: menuItem, hidden: yes }'), /x-object must be \{ load: <name>, hidden\?: boolean \}/],
  ];
  for (const [edit, message] of cases) {
    const yaml = edit(fs.readFileSync(path.join(PROJECT_ROOT, 'openapi.yaml'), 'utf8'));
    assert.notEqual(yaml, fs.readFileSync(path.join(PROJECT_ROOT, 'openapi.yaml'), 'utf8'), `the edit for ${message} changed nothing`);
    assert.throws(() => loadSpec(specWith(edit)), (err: Error) => err instanceof ImproperlyConfigured && message.test(err.message), String(message));
  }
});

/** The description's "Vendor extensions" entries: name → text, each entry's lines joined. */
function documentedExtensions(description: string): Map<string, string> {
  const section = /## Vendor extensions\n([\s\S]*?)(?:\n\n|$)/.exec(description)?.[1] ?? '';
  const entries = new Map<string, string>();
  for (const entry of section.split(/\n(?=- )/)) {
    const m = /^- `(x-[a-z-]+)` ([\s\S]*)$/.exec(entry);
    assert.ok(m, `not an extension entry: ${entry}`);
    assert.ok(!entries.has(m[1]), `${m[1]} is documented twice`);
    entries.set(m[1], m[2].replace(/\s+/g, ' ').trim());
  }
  return entries;
}

test("the spec's description documents every extension of the registry with the registry's text, and nothing else", () => {
  const spec = loadSpec();
  const documented = documentedExtensions(spec.document.info.description as string);
  assert.ok(documented.size > 0, 'no "Vendor extensions" section found');
  const expected = new Map([...EXTENSIONS.values()].filter((e) => !e.internal).map((e): [string, string] => [e.name, (e.doc as string).replace(/\s+/g, ' ').trim()]));
  assert.deepEqual([...documented.keys()].sort(), [...expected.keys()].sort(), 'documented and registered extensions differ');
  for (const [name, text] of documented) assert.equal(text, expected.get(name), `${name}: the description's text is not the registry's`);
});

test('every x- key written in openapi.yaml is a registered extension, and none is internal', () => {
  const written = new Set([...fs.readFileSync(path.join(PROJECT_ROOT, 'openapi.yaml'), 'utf8').matchAll(/^\s*(?:- )?(x-[a-z-]+):/gm)].map((m) => m[1]));
  assert.ok(written.has('x-roles') && written.has('x-throttle-scope'), `the scan found ${[...written].join(', ')}`);
  for (const name of written) {
    assert.ok(EXTENSIONS.has(name), `${name} is not in src/api/registry.ts`);
    assert.equal(EXTENSIONS.get(name)?.internal, false, `${name} is internal: the service adds it, the spec must not`);
  }
});

test('a bad environment variable stops start-up with a message naming it', () => {
  assert.throws(() => loadSettings({ PORT: 'eighty' }), /PORT/);
  assert.throws(() => loadSettings({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
  assert.throws(() => loadSettings({ THROTTLE_FAIL_MODE: 'maybe' }), /THROTTLE_FAIL_MODE/);
  assert.throws(() => loadSettings({ ACCESS_TOKEN_LIFETIME: '-5' }), /ACCESS_TOKEN_LIFETIME/);
});
