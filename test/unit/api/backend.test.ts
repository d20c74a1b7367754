/** Backend (src/api/backend.ts): openapi-backend with our Router, validating only when asked. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Context } from 'openapi-backend';
import { Backend } from '../../../src/api/backend';
import { Router } from '../../../src/api/router';
import { loadSpec } from '../../../src/spec';

let backend: Backend;

before(async () => {
  backend = new Backend({ definition: structuredClone(loadSpec().document) as never, strict: true, quick: true, coerceTypes: true, ajvOpts: { allErrors: true } });
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

test('strict mode still refuses a handler for an operation the spec does not have', () => {
  assert.throws(() => backend.register('noSuchOperation', () => undefined), /Unknown operationId noSuchOperation/);
});
