/**
 * Component names are unique across the served spec's components sections (#15 item 4):
 * generators put several sections in one namespace (openapi-typescript-codegen writes
 * schemas.Username and parameters.Username both to models/Username.ts, a TS2300 duplicate), and
 * a case-insensitive file system makes `User.ts` and `user.ts` one file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.close();
});

test('no component name is used twice across components sections (nor twice with another letter case)', async () => {
  const r = await server.request('GET', '/openapi.json');
  assert.equal(r.status, 200);
  const components = r.body.components as Record<string, Record<string, unknown>>;
  const where = new Map<string, string[]>();
  for (const [section, entries] of Object.entries(components)) {
    for (const name of Object.keys(entries)) {
      const key = name.toLowerCase();
      where.set(key, [...(where.get(key) ?? []), `${section}.${name}`]);
    }
  }
  const clashes = [...where.values()].filter((places) => places.length > 1).map((places) => places.join(' = '));
  assert.deepEqual(clashes, []);
  // The walk saw the sections a generator reads.
  for (const section of ['schemas', 'parameters', 'requestBodies', 'responses', 'securitySchemes']) assert.ok(components[section], section);
});
