/**
 * 429 is declared wherever a throttle can refuse, and nowhere else (#15 item 8): in the served
 * spec, an operation declares 429 (with Retry-After) exactly when it has a throttle scope, its
 * own `x-throttle-scope` or the root default. (.spectral.yaml turns off OWASP's blanket
 * "429 on every operation" for this rule.) And one unthrottled-by-default operation is shown to
 * answer 429 when its default throttle runs out.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

let server: TestServer;
before(async () => {
  server = await startServer({ THROTTLE_RATES: 'default_user=2/minute' });
});
after(async () => {
  await server?.close();
});

test('an operation declares 429 with Retry-After exactly when a throttle scope applies to it', async () => {
  const r = await server.request('GET', '/openapi.json');
  assert.equal(r.status, 200);
  const doc = r.body;
  const wrong: string[] = [];
  let throttled = 0;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  for (const [p, item] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const raw = op['x-throttle-scope'] ?? doc['x-throttle-scope'] ?? [];
      const scopes = Array.isArray(raw) ? raw : [raw];
      const declared = op.responses?.['429'];
      if (scopes.length > 0) throttled++;
      if ((scopes.length > 0) !== Boolean(declared)) wrong.push(`${method.toUpperCase()} ${p}: scopes ${JSON.stringify(scopes)}, 429 ${declared ? 'declared' : 'not declared'}`);
      if (declared) {
        const ref = declared.$ref as string | undefined;
        const response = ref ? doc.components.responses[ref.split('/').pop() as string] : declared;
        if (!response?.headers?.['Retry-After'] || !response.content) wrong.push(`${method.toUpperCase()} ${p}: its 429 has no Retry-After or no body`);
      }
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(throttled > 20, `${throttled} throttled operations`);
});

test('the root default throttles can refuse: GET /api/secret/ (no x-throttle-scope of its own) answers the declared 429', async () => {
  await server.createUser({ username: 'busy' });
  const token = await server.tokenFor('busy');
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await server.request('GET', '/api/secret/', { token })).status);
  assert.deepEqual(statuses, [200, 200, 429]);
});
