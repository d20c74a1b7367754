/** The request pipeline's error shapes, through real HTTP requests (DRF's bodies, always JSON). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';

let server: TestServer;
let manager: string;

before(async () => {
  server = await startServer({ BODY_LIMIT: '2kb' });
  await server.createUser({ username: 'boss', groups: ['Manager'] });
  manager = await server.tokenFor('boss');
});
after(() => server.close());

test('an unknown path is 404 with a JSON body, not an HTML page', async () => {
  const r = await server.request('GET', '/no/such/path/');
  assert.equal(r.status, 404);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  assert.deepEqual(r.body, { detail: 'Not found.' });
});

test('a method the path does not have is 405 naming the method', async () => {
  const r = await server.request('PATCH', '/api/secret/', { token: manager });
  assert.equal(r.status, 405);
  assert.deepEqual(r.body, { detail: 'Method "PATCH" not allowed.' });
  const d = await server.request('DELETE', '/api/menu-items');
  assert.equal(d.status, 405);
  assert.deepEqual(d.body, { detail: 'Method "DELETE" not allowed.' });
});

test('malformed JSON is 400 "JSON parse error - ..."', async () => {
  const r = await server.request('POST', '/api/menu-items', { raw: '{"title": ', contentType: 'application/json', token: manager });
  assert.equal(r.status, 400);
  assert.equal(Object.keys(r.body).join(), 'detail');
  assert.match(r.body.detail, /^JSON parse error - /);
});

test('an anonymous request with a broken body gets 401, not 400 (authentication runs first)', async () => {
  const r = await server.request('POST', '/api/menu-items', { raw: '{broken', contentType: 'application/json' });
  assert.equal(r.status, 401);
  assert.deepEqual(r.body, { detail: 'Authentication credentials were not provided.' });
  assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
});

test('an unsupported content type is 415 in DRF\'s words', async () => {
  const r = await server.request('POST', '/api/menu-items', { raw: 'title=x', contentType: 'text/plain', token: manager });
  assert.equal(r.status, 415);
  assert.deepEqual(r.body, { detail: 'Unsupported media type "text/plain" in request.' });
});

test('a body over the configured limit is 413', async () => {
  const big = JSON.stringify({ title: 'x'.repeat(4096), price: '1.00', inventory: 1 });
  const r = await server.request('POST', '/api/menu-items', { raw: big, contentType: 'application/json', token: manager });
  assert.equal(r.status, 413);
  assert.equal(typeof r.body.detail, 'string');
  const list = await server.request('GET', '/api/menu-items');
  assert.deepEqual(list.body, []);
});

test('schema violations are 400 with DRF field errors, all fields at once', async () => {
  const r = await server.request('POST', '/api/menu-items', { json: { price: 'abc', inventory: 'x' }, token: manager });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, {
    title: ['This field is required.'],
    price: ['A valid number is required.'],
    inventory: ['A valid integer is required.'],
  });
});

test('a JSON body that is not an object is 400 non_field_errors', async () => {
  const r = await server.request('POST', '/api/menu-items', { json: [1, 2], token: manager });
  assert.equal(r.status, 400);
  assert.deepEqual(r.body, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
});

test('the same body is accepted as JSON, as a URL-encoded form and as multipart', async () => {
  const asJson = await server.request('POST', '/api/menu-items', { json: { title: 'Soup', price: 4.5, inventory: 3 }, token: manager });
  assert.equal(asJson.status, 201);
  assert.deepEqual({ ...asJson.body, id: 0 }, { id: 0, title: 'Soup', price: '4.50', inventory: 3 });
  const asForm = await server.request('POST', '/api/menu-items', { form: { title: 'Bread', price: '2', inventory: '7' }, token: manager });
  assert.equal(asForm.status, 201);
  assert.equal(asForm.body.price, '2.00');
  const fd = new FormData();
  fd.set('title', 'Olives');
  fd.set('price', '3.25');
  fd.set('inventory', '9');
  const res = await fetch(`${server.url}/api/menu-items`, { method: 'POST', body: fd, headers: { authorization: `Token ${manager}` } });
  assert.equal(res.status, 201);
  assert.equal(((await res.json()) as { price: string }).price, "3.25");
});

test('a path parameter that cannot be an id is 404, as Django\'s URL would not match', async () => {
  const r = await server.request('GET', '/api/menu-items/abc');
  assert.equal(r.status, 404);
  assert.deepEqual(r.body, { detail: 'Not found.' });
});

test('the spec is served as JSON and YAML, and health answers', async () => {
  const json = await server.request('GET', '/openapi.json');
  assert.equal(json.status, 200);
  assert.equal(json.body.openapi, '3.0.3');
  assert.match(json.body.paths['/api/manager-view/'].get.description, /Who may call:.*Manager/);
  const yaml = await server.request('GET', '/openapi.yaml');
  assert.equal(yaml.status, 200);
  assert.match(yaml.text, /^openapi: 3\.0\.3/);
  const health = await server.request('GET', '/healthz');
  assert.deepEqual([health.status, health.body], [200, { status: 'ok' }]);
});
