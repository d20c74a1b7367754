/** Backend (src/api/backend.ts): openapi-backend with our Router, validating only when asked. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Context } from 'openapi-backend';
import { Backend } from '../../../src/api/backend';
import { Router } from '../../../src/api/router';
import { asRead } from '../../../src/api/validate';
import { loadSpec } from '../../../src/spec';

let backend: Backend;

before(async () => {
  backend = new Backend({ definition: structuredClone(loadSpec().document) as never, strict: true, quick: true, coerceTypes: true, ajvOpts: { allErrors: true } }, asRead);
  await backend.init();
});

test('init() routes with our Router, and the validator routes with the same one', () => {
  assert.ok(backend.router instanceof Router);
  assert.equal(backend.validator.router, backend.router);
  assert.equal(backend.getOperation('menuItemsCreate'), backend.router.getOperation('menuItemsCreate'));
});

test('handleRequest never validates: an invalid request reaches its handler unvalidated', async () => {
  let seen: Context | undefined;
  backend.register('tokenObtainPair', (c: Context) => {
    seen = c;
    return 'handled';
  });
  const request = backend.router.route('POST', '/api/token/', '', {}).withBody({ username: 1 });
  assert.equal(await backend.handleRequest(request), 'handled');
  assert.equal(seen?.operation.operationId, 'tokenObtainPair');
  assert.equal(seen?.validation, undefined);
});

test('validateRequest validates the body and the parameters, and coerces the path parameters', () => {
  const request = backend.router.route('PUT', '/api/menu-items/7/', 'ignored=1', {});
  const op = request.operation;
  const bad = backend.validateRequest(request.withBody({ price: 'abc' }), op);
  assert.deepEqual(bad.errors?.map((e) => `${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)}`).sort(), [
    '/requestBody required {"missingProperty":"inventory"}',
    '/requestBody required {"missingProperty":"title"}',
  ]);
  const good = backend.validateRequest(request.withBody({ title: 'Soup', price: '4.50', inventory: 3 }), op);
  assert.equal(good.errors, null);
  assert.deepEqual(good.coerced?.params, { id: 7 });
  assert.deepEqual(good.coerced?.query, {});
  const notAnId = backend.router.route('GET', '/api/menu-items/abc', '', {});
  assert.deepEqual(backend.validateRequest(notAnId, notAnId.operation).errors?.map((e) => e.instancePath), ['/path/id']);
});

test('declared validates against the schemas as declared, routing with a Router of its own; validator, against them as read', () => {
  assert.ok(backend.declared.router instanceof Router);
  assert.notEqual(backend.declared.router, backend.router);
  const request = backend.router.route('POST', '/api/menu-items', '', { 'content-type': 'application/json' });
  const sent = { title: 'Soup', price: 4.5, inventory: '3' };
  // As sent: a number price and a text inventory are forms the spec declares (anyOf).
  assert.equal(backend.declared.validateRequest(request.withBody(sent), 'menuItemsCreate').errors, null);
  // As read, each value has its first form only: the body must have been read (coerceBody) first.
  assert.deepEqual(backend.validateRequest(request.withBody(sent), request.operation).errors?.map((e) => e.instancePath).sort(), ['/requestBody/inventory', '/requestBody/price']);
  assert.equal(backend.validateRequest(request.withBody({ title: 'Soup', price: '4.50', inventory: 3 }), request.operation).errors, null);
  // An exponent is DRF's (Python's Decimal) but not a form the spec offers.
  const exponent = backend.declared.validateRequest(request.withBody({ ...sent, price: '1e2' }), 'menuItemsCreate').errors ?? [];
  assert.deepEqual([...new Set(exponent.map((e) => e.instancePath))], ['/requestBody/price']);
});

test('strict mode still refuses a handler for an operation the spec does not have', () => {
  assert.throws(() => backend.register('noSuchOperation', () => undefined), /Unknown operationId noSuchOperation/);
});
