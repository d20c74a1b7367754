/**
 * The SDK as a consumer gets it: `little-lemon-api/client`, through package.json's `exports`
 * (the package refers to itself by name, as Node and TypeScript allow). The runtime half needs
 * the build (`npm run build`, run by `npm install`/`npm ci` through `prepare`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { LittleLemonClient } from 'little-lemon-api/client';
import { PROJECT_ROOT } from '../../src/spec';

// Type-level: `tsc` (npm run typecheck) resolves the import above through the exports' `types`.
// Were it to resolve to `any`, the @ts-expect-error below would be unused, and tsc would fail.
export const typed = (api: LittleLemonClient) => {
  // @ts-expect-error: a path the spec does not declare
  void api.GET('/api/no-such-path/');
  return api.GET('/api/secret/');
};

const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, { types: string; default: string }>;
};

test('package.json exports ./client, its types and its code where tsc emits src/client/index.ts', () => {
  const entry = pkg.exports['./client'];
  assert.ok(entry, 'no "./client" in package.json exports');
  assert.ok(fs.existsSync(path.join(PROJECT_ROOT, entry.types)), `${entry.types} does not exist`);
  assert.equal(path.normalize(entry.default), path.normalize('./dist/src/client/index.js'));
  assert.equal(pkg.exports['.'].default, './dist/src/app.js');
});

test(`require('${'little-lemon-api'}/client') loads the built SDK`, () => {
  let resolved: string;
  try {
    resolved = require.resolve(`${pkg.name}/client`);
  } catch (err) {
    assert.fail(`${pkg.name}/client does not resolve (${(err as Error).message.split('\n')[0]}): run \`npm run build\``);
  }
  assert.equal(resolved, path.join(PROJECT_ROOT, 'dist', 'src', 'client', 'index.js'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require(resolved) as typeof import('../../src/client');
  assert.equal(typeof sdk.createClient, 'function');
  const api = sdk.createClient({ baseUrl: 'http://127.0.0.1:8000', token: 'k' });
  assert.equal(typeof api.GET, 'function');
  assert.equal(typeof api.withJwt, 'function');
});
