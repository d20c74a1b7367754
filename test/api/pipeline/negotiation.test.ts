/**
 * Content negotiation, as DRF's DefaultContentNegotiation with JSON its one renderer: the
 * Accept header must admit JSON (`application/json`, `application/*`, the any-type range; any case,
 * parameters and q-values ignored), or the answer is 406. It runs first, as in APIView.initial:
 * before credentials are read and before any throttle counts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';

let server: TestServer;

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'anon=2/minute' });
});
after(() => server.close());

const NOT_ACCEPTABLE = { detail: 'Could not satisfy the request Accept header.' };
const get = (path: string, accept?: string, headers: Record<string, string> = {}) =>
  server.request('GET', path, { headers: accept === undefined ? headers : { ...headers, accept } });

test('an Accept header that admits JSON gets JSON, as DRF answers it', async () => {
  for (const accept of [
    undefined,
    '*/*',
    'application/json',
    'APPLICATION/JSON',
    'application/*',
    'application/json; indent=4',
    'application/json;q=0.1',
    'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', // a browser's
    'application/json, text/plain, */*', // axios'
  ]) {
    const r = await get('/api/menu-items', accept);
    assert.equal(r.status, 200, `Accept: ${accept}`);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  }
});

test('an Accept header that admits no JSON is 406, in JSON (DRF answers an empty header so too)', async () => {
  for (const accept of ['application/xml', 'text/html', 'text/plain', 'text/*', 'application/xml, text/csv;q=0.5', 'json', '']) {
    const r = await get('/api/menu-items', accept);
    assert.equal(r.status, 406, `Accept: ${JSON.stringify(accept)}: ${r.status}`);
    assert.deepEqual(r.body, NOT_ACCEPTABLE);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  }
});

test('negotiation comes first: before credentials (406, not 401) and before the throttles (nothing counted)', async () => {
  assert.equal((await get('/api/secret/', 'application/xml')).status, 406);
  assert.equal((await get('/api/secret/', 'application/xml', { authorization: `Token ${'0'.repeat(40)}` })).status, 406);
  // anon=2/minute: three refused by negotiation count nothing, so two more still pass.
  for (let i = 0; i < 3; i++) assert.equal((await get('/api/throttle-check', 'text/html')).status, 406);
  assert.deepEqual([(await get('/api/throttle-check')).status, (await get('/api/throttle-check')).status, (await get('/api/throttle-check')).status], [200, 200, 429]);
});

test('a path that is no operation is 404 whatever the Accept header (no view, no negotiation, as Django)', async () => {
  const r = await get('/api/no-such-thing/', 'application/xml');
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, { detail: 'Not found.' });
});
