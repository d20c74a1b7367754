/** The request gate (src/api/gate.ts): each stage's decision, their order, and the start-up checks. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Context } from 'koa';
import type { Operation } from 'openapi-backend';
import { Backend } from '../../../src/api/backend';
import { authenticate, authorize, buildGates, findObject, pass, Passage, validate, type Gate, type Stages } from '../../../src/api/gate';
import { customizeAjv, prohibitUnsafeCharacters } from '../../../src/api/validate';
import { AuthenticationFailed, ImproperlyConfigured, NotAuthenticated, NotFound, PermissionDenied, Throttled, ValidationError } from '../../../src/errors';
import { ThrottleRegistry } from '../../../src/policies/throttling';
import type { Authenticator, OperationInfo, Principal } from '../../../src/policies/types';
import type { Services } from '../../../src/services';
import { loadSpec, type Spec } from '../../../src/spec';

const spec = loadSpec();
let backend: Backend;
let operations: Map<string, Operation>;
let gates: ReadonlyMap<string, Gate>;
let services: Services;

const authenticators: Record<string, Authenticator> = {
  JWTAuth: { scheme: 'JWTAuth', authenticate: async () => null, authenticateHeader: () => 'Bearer realm="api"' },
  TokenAuth: { scheme: 'TokenAuth', authenticate: async () => null, authenticateHeader: () => 'Token' },
};

function principal(id: number, { isStaff = false, groups = [] as string[] } = {}): Principal {
  return { id, username: `u${id}`, email: '', isActive: true, isStaff, isSuperuser: false, groups: async () => new Set(groups) };
}

/** A passage for `method path` by `who`, as dispatch makes it. */
function passage(method: string, p: string, who: Principal | null = null, gate?: Gate): Passage {
  const request = backend.router.route(method, p, '', {});
  const through = new Passage(gate ?? (gates.get(request.operation.operationId as string) as Gate), request, '192.0.2.1');
  through.req.principal = who;
  return through;
}

async function refusal(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  return null;
}

before(async () => {
  const definition = structuredClone(spec.document);
  prohibitUnsafeCharacters(definition);
  backend = new Backend({ definition: definition as never, strict: true, quick: true, coerceTypes: true, ajvOpts: { allErrors: true, verbose: true, strict: false }, customizeAjv: (ajv) => customizeAjv(ajv as never) as never });
  await backend.init();
  operations = new Map(backend.router.getOperations().map((op): [string, Operation] => [op.operationId as string, op]));
  const rates = Object.fromEntries(Object.keys(spec.throttleRates).map((scope) => [scope, ['1/minute']]));
  services = { throttles: new ThrottleRegistry(rates, { failMode: 'closed', kinds: spec.throttleKinds }) } as unknown as Services;
  gates = buildGates(spec, services, operations, authenticators, 'Bearer realm="api"');
});

describe('buildGates: each operation resolved once', () => {
  test('every operation has its gate, with what its spec declares', () => {
    assert.deepEqual([...gates.keys()].sort(), [...spec.operations.keys()].sort());
    const secret = gates.get('secret') as Gate;
    assert.deepEqual([secret.throttles.map((t) => t.scope), secret.hasInput, secret.loadObject, secret.loginGuard, secret.authenticateHeader], [['default_anon', 'default_user'], false, null, null, 'Bearer realm="api"']);
    assert.equal(gates.get('menuItemsRetrieve')?.hasInput, true);
    assert.ok(gates.get('menuItemsRetrieve')?.loadObject);
    assert.ok(gates.get('tokenCreate')?.loginGuard);
    assert.deepEqual(gates.get('resetPassword')?.bodyThrottles.map((t) => t.scope), ['mail_address']);
    assert.deepEqual(gates.get('resetPassword')?.throttles.map((t) => t.scope), ['password_reset']);
  });

  test('refuses a scheme without an authenticator, an email scope without a body, and an x-object without a loader', () => {
    const edited = (id: string, change: Partial<OperationInfo>): Spec => ({ ...spec, operations: new Map([...spec.operations].map(([k, v]) => [k, k === id ? { ...v, ...change } : v])) });
    const cases: [() => unknown, RegExp][] = [
      [() => buildGates(spec, services, operations, { JWTAuth: authenticators.JWTAuth }, ''), /security scheme TokenAuth has no authenticator/],
      [() => buildGates(edited('tenCalls', { throttles: ['mail_address'] }), services, operations, authenticators, ''), /tenCalls: x-throttle-scope lists mail_address, of kind email, but the operation takes no body/],
      [() => buildGates(edited('menuItemsRetrieve', { object: { load: 'dish', hidden: false } }), services, operations, authenticators, ''), /menuItemsRetrieve: x-object names "dish", which has no loader/],
    ];
    for (const [build, message] of cases) assert.throws(build, (err: unknown) => err instanceof ImproperlyConfigured && message.test((err as Error).message));
  });
});

describe('authenticate', () => {
  test("the first scheme that names a caller wins; one that claimed the header and failed is raised", () => {
    const p = passage('GET', '/api/secret/');
    authenticate(p, { JWTAuth: null, TokenAuth: { principal: principal(7), auth: { scheme: 'TokenAuth', tokenId: 3 } } });
    assert.deepEqual([p.req.principal?.id, p.req.auth], [7, { scheme: 'TokenAuth', tokenId: 3 }]);
    const failed = new AuthenticationFailed('Invalid token.');
    assert.throws(() => authenticate(passage('GET', '/api/secret/'), { JWTAuth: null, TokenAuth: { error: failed } }), (err) => err === failed);
    const nobody = passage('GET', '/api/secret/');
    authenticate(nobody, { JWTAuth: null, TokenAuth: null });
    assert.equal(nobody.req.principal, null);
  });
});

describe('authorize', () => {
  test('an anonymous caller where authentication is required is NotAuthenticated', () => {
    assert.throws(() => authorize(passage('GET', '/api/secret/')), NotAuthenticated);
  });

  test('allowed synchronously: no promise to await', () => {
    assert.equal(authorize(passage('GET', '/api/secret/', principal(1))), undefined);
    assert.equal(authorize(passage('GET', '/api/groups/manager/users', principal(1, { isStaff: true }))), undefined);
  });

  test('x-roles refuses: PermissionDenied for a caller, NotAuthenticated when anonymous', async () => {
    assert.ok((await refusal(() => authorize(passage('GET', '/api/manager-view/', principal(1))))) instanceof PermissionDenied);
    assert.equal(await authorize(passage('GET', '/api/manager-view/', principal(1, { groups: ['Manager'] }))), undefined);
    assert.throws(() => authorize(passage('GET', '/api/groups/manager/users', principal(1))), PermissionDenied);
  });
});

describe('object', () => {
  const withLoader = (id: string, load: () => Promise<unknown>, hidden?: boolean): Gate => {
    const gate = gates.get(id) as Gate;
    return { ...gate, loadObject: load, info: hidden === undefined ? gate.info : { ...gate.info, object: { load: 'user', hidden } } };
  };

  test('no such object is NotFound', async () => {
    const p = passage('GET', '/api/menu-items/9', null, withLoader('menuItemsRetrieve', async () => undefined));
    assert.ok((await refusal(() => findObject(p, services))) instanceof NotFound);
  });

  test("another user's object is NotFound when hidden, PermissionDenied otherwise; one's own is kept for the handler", async () => {
    const other = async () => ({ id: 2 });
    assert.ok((await refusal(() => findObject(passage('GET', '/auth/users/two/', principal(1), withLoader('userRetrieve', other, true)), services))) instanceof NotFound);
    assert.ok((await refusal(() => findObject(passage('GET', '/auth/users/two/', principal(1), withLoader('userRetrieve', other, false)), services))) instanceof PermissionDenied);
    const own = passage('GET', '/auth/users/one/', principal(2), withLoader('userRetrieve', other, true));
    await findObject(own, services);
    assert.deepEqual(own.object, { id: 2 });
    const admin = passage('GET', '/auth/users/two/', principal(1, { isStaff: true }), withLoader('userRetrieve', other, true));
    await findObject(admin, services);
    assert.deepEqual(admin.object, { id: 2 });
  });
});

describe('validate', () => {
  test("the body's errors in DRF's words, all fields at once", () => {
    const p = passage('POST', '/api/menu-items', principal(1, { isStaff: true }));
    p.body = { price: 'abc', inventory: 'x' };
    assert.throws(
      () => validate(p, backend),
      (err: unknown) => err instanceof ValidationError && JSON.stringify((err as ValidationError).body()) === JSON.stringify({ title: ['This field is required.'], price: ['A valid number is required.'], inventory: ['A valid integer is required.'] }),
    );
  });

  test('a path parameter that cannot be one is NotFound; a valid one reaches the handler coerced', () => {
    assert.throws(() => validate(passage('GET', '/api/menu-items/abc'), backend), NotFound);
    const p = passage('GET', '/api/menu-items/12/');
    validate(p, backend);
    assert.deepEqual([p.params, p.query], [{ id: 12 }, {}]);
  });

  test('the declared query parameters, and only those, reach the handler', () => {
    const request = backend.router.route('GET', '/api/menu-items', 'page=2&page=3&other=1', {});
    const p = new Passage(gates.get('menuItemsList') as Gate, request, '192.0.2.1');
    validate(p, backend);
    assert.deepEqual(p.query, { page: '3' });
  });
});

describe('pass: the stages in order', () => {
  const ctx = { request: { type: 'application/json' } } as unknown as Context;
  const noBody = async (): Promise<unknown> => assert.fail('the body was read');

  test('an anonymous caller is refused before the body is read (401, not 400)', async () => {
    const p = passage('POST', '/api/menu-items');
    const stages: Stages = { services, readBody: noBody, backend };
    assert.ok((await refusal(() => pass(p, { JWTAuth: null, TokenAuth: null }, ctx, stages))) instanceof NotAuthenticated);
  });

  test('a caller the permissions refuse counts against no throttle; the next allowed one is counted, and the one after throttled', async () => {
    const stages: Stages = { services, readBody: async () => ({ title: 'Soup', price: '1.00', inventory: 1 }), backend };
    const as = (who: Principal) => ({ JWTAuth: null, TokenAuth: { principal: who, auth: null } });
    const user = principal(40);
    for (let i = 0; i < 3; i++) assert.ok((await refusal(() => pass(passage('POST', '/api/menu-items', user), as(user), ctx, { ...stages, readBody: noBody }))) instanceof PermissionDenied);
    // The same user, now a Manager: `ten` is 1/minute here and counts per user, so the refused requests took nothing from it.
    const manager = principal(40, { groups: ['Manager'] });
    const counted = passage('POST', '/api/menu-items', user);
    counted.req.principal = manager;
    await pass(counted, as(manager), ctx, { ...stages, readBody: async () => ({ title: 'Soup', price: '1.00', inventory: 1 }) });
    assert.deepEqual([counted.body, counted.throttleHeaders?.RateLimit], [{ title: 'Soup', price: '1.00', inventory: 1 }, '"ten";r=0;t=60']);
    assert.ok((await refusal(() => pass(passage('POST', '/api/menu-items', manager), as(manager), ctx, { ...stages, readBody: noBody }))) instanceof Throttled);
  });
});
