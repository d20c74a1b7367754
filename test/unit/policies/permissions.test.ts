/**
 * src/policies/permissions.ts through its public functions: each built-in role's permission,
 * a group's (Manager, from the spec's x-groups) by membership, several roles OR'd, the object
 * check of `self`, and permissionFor reading the roles of the spec's own operations.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ImproperlyConfigured } from '../../../src/errors';
import { AllowAny, BUILT_IN_ROLES, InGroup, IsAdminUser, IsAuthenticated, IsCurrentUser, anyOf, permissionFor } from '../../../src/policies/permissions';
import type { OperationInfo, Permission, Principal, RequestInfo } from '../../../src/policies/types';
import { loadSpec } from '../../../src/spec';

const spec = loadSpec();
const GROUPS = new Set(spec.groups);

function principal(id: number, extra: { isStaff?: boolean; groups?: string[] } = {}): Principal & { groupLoads: number } {
  const p = {
    id,
    username: `user${id}`,
    email: `user${id}@example.com`,
    isActive: true,
    isStaff: extra.isStaff ?? false,
    isSuperuser: false,
    groupLoads: 0,
    async groups() {
      p.groupLoads++;
      return new Set(extra.groups ?? []);
    },
  };
  return p;
}

function request(who: Principal | null, operationId = 'secret'): RequestInfo {
  const operation = spec.operations.get(operationId) as OperationInfo;
  return { method: operation.method, ip: '10.0.0.1', headers: {}, params: {}, operation, principal: who, auth: null };
}

const anonymous = null;
const alice = principal(1);
const staff = principal(2, { isStaff: true });
const manager = principal(3, { groups: ['Manager'] });
const crew = principal(4, { groups: ['Delivery crew'] });
const everyone = { anonymous, alice, staff, manager, crew };

/** Which of `everyone` the permission lets in (hasPermission). */
async function admitted(permission: Permission, operationId?: string): Promise<string[]> {
  const names: string[] = [];
  for (const [name, who] of Object.entries(everyone)) if (await permission.hasPermission(request(who, operationId))) names.push(name);
  return names;
}

describe('built-in roles', () => {
  test('x-roles knows anyone, authenticated, admin and self, each with the words the descriptions use', () => {
    assert.deepEqual(Object.keys(BUILT_IN_ROLES), ['anyone', 'authenticated', 'admin', 'self']);
    assert.deepEqual(Object.values(BUILT_IN_ROLES).map((r) => r.words), ['anyone', 'any authenticated user', 'an admin (is_staff)', 'the user themself']);
    assert.ok(BUILT_IN_ROLES.anyone.permission() instanceof AllowAny);
    assert.ok(BUILT_IN_ROLES.authenticated.permission() instanceof IsAuthenticated);
    assert.ok(BUILT_IN_ROLES.admin.permission() instanceof IsAdminUser);
    assert.ok(BUILT_IN_ROLES.self.permission() instanceof IsCurrentUser);
  });

  test('anyone lets everyone in, the anonymous caller too', async () => {
    assert.deepEqual(await admitted(permissionFor(['anyone'], GROUPS)), ['anonymous', 'alice', 'staff', 'manager', 'crew']);
  });

  test('authenticated lets in any principal, never the anonymous caller', async () => {
    assert.deepEqual(await admitted(permissionFor(['authenticated'], GROUPS)), ['alice', 'staff', 'manager', 'crew']);
  });

  test("admin is DRF's IsAdminUser: is_staff, not a group", async () => {
    assert.deepEqual(await admitted(permissionFor(['admin'], GROUPS)), ['staff']);
  });

  test('self passes any principal at first, and then only for their own object', async () => {
    const self = permissionFor(['self'], GROUPS);
    assert.deepEqual(await admitted(self), ['alice', 'staff', 'manager', 'crew']);
    assert.equal(await self.hasObjectPermission?.(request(alice), { id: 1 }), true);
    assert.equal(await self.hasObjectPermission?.(request(alice), { id: 2 }), false);
    assert.equal(await self.hasObjectPermission?.(request(anonymous), { id: 1 }), false);
    assert.equal(await self.hasObjectPermission?.(request(alice), null), false);
    assert.equal(await self.hasObjectPermission?.(request(alice), { id: '1' }), false, 'the id as it is, not as text');
  });
});

describe('groups (x-groups)', () => {
  test("the spec's x-groups are Manager and Delivery crew", () => {
    assert.deepEqual(spec.groups, ['Manager', 'Delivery crew']);
  });

  test('Manager lets in its members only; a role that needs no group never asks for them', async () => {
    const permission = permissionFor(['Manager'], GROUPS);
    assert.ok(permission instanceof InGroup);
    assert.deepEqual(await admitted(permission), ['manager']);
    const fresh = principal(9, { groups: ['Manager'] });
    assert.equal(await permission.hasPermission(request(fresh)), true);
    assert.equal(fresh.groupLoads, 1);
    assert.equal(await permissionFor(['anyone'], GROUPS).hasPermission(request(fresh)), true);
    assert.equal(fresh.groupLoads, 1, 'a role that needs no group does not load them');
  });

  test('a group name is matched exactly: another case or spacing is another (unknown) group', () => {
    for (const name of ['manager', 'MANAGER', 'Manager ', 'Delivery Crew']) {
      assert.throws(() => permissionFor([name], GROUPS), (err: unknown) => err instanceof ImproperlyConfigured && err.message === `x-roles: unknown role or group ${JSON.stringify(name)}`);
    }
  });

  test('a group name not in x-groups is ImproperlyConfigured naming it: Manager is a group only because the spec says so', () => {
    assert.throws(() => permissionFor(['Manager'], new Set()), (err: unknown) => err instanceof ImproperlyConfigured && /"Manager"/.test(err.message));
    assert.throws(() => permissionFor(['authenticated', 'Chefs'], GROUPS), /x-roles: unknown role or group "Chefs"/);
    assert.ok(permissionFor(['Chefs'], new Set(['Chefs'])) instanceof InGroup, 'a group the spec declares');
  });
});

describe('several roles are OR\'d', () => {
  test('[Manager, admin]: a member of Manager or a staff user', async () => {
    assert.deepEqual(await admitted(permissionFor(['Manager', 'admin'], GROUPS)), ['staff', 'manager']);
  });

  test("[admin, self]: the object check passes for an admin's any object and for the user's own", async () => {
    const permission = permissionFor(['admin', 'self'], GROUPS);
    assert.equal(await permission.hasObjectPermission?.(request(staff), { id: 1 }), true, 'admin: no object check');
    assert.equal(await permission.hasObjectPermission?.(request(alice), { id: 1 }), true);
    assert.equal(await permission.hasObjectPermission?.(request(alice), { id: 3 }), false);
    assert.equal(await permission.hasObjectPermission?.(request(anonymous), { id: 1 }), false);
  });

  test('anyOf of nothing lets no one in; anyOf checks in order and stops at the first that allows', async () => {
    assert.deepEqual(await admitted(anyOf()), []);
    const calls: string[] = [];
    const spy = (name: string, answer: boolean): Permission => ({
      hasPermission: () => {
        calls.push(name);
        return answer;
      },
    });
    assert.equal(await anyOf(spy('a', false), spy('b', true), spy('c', true)).hasPermission(request(alice)), true);
    assert.deepEqual(calls, ['a', 'b']);
  });
});

describe("the spec's operations", () => {
  test('every operation\'s x-roles builds a permission', () => {
    for (const [id, op] of spec.operations) assert.doesNotThrow(() => permissionFor(op.roles, GROUPS), id);
  });

  test('as declared: managerView is for Manager, menuItemsCreate for Manager or admin, managersAdd for admin, secret for any principal', async () => {
    const roles = (id: string) => spec.operations.get(id)?.roles;
    assert.deepEqual(roles('managerView'), ['Manager']);
    assert.deepEqual(roles('menuItemsCreate'), ['Manager', 'admin']);
    assert.deepEqual(roles('managersAdd'), ['admin']);
    assert.deepEqual(roles('secret'), ['authenticated']);
    const of = (id: string) => admitted(permissionFor(roles(id) as string[], GROUPS), id);
    assert.deepEqual(await of('managerView'), ['manager']);
    assert.deepEqual(await of('menuItemsCreate'), ['staff', 'manager']);
    assert.deepEqual(await of('managersAdd'), ['staff']);
    assert.deepEqual(await of('secret'), ['alice', 'staff', 'manager', 'crew']);
  });
});
