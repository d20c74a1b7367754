/**
 * Every admin operation (`x-roles: [admin]`): anonymous 401, a plain user 403, a Manager 403
 * (a group is not staff), staff through (with a key and with a JWT). The operations are read
 * from the spec, so a new admin operation without a request here fails the first test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpec } from '../../../src/spec';
import { startServer, type TestServer } from '../../helpers/server';
import { createCast, expect, PERMISSION_DENIED, type Cast } from './cast';

let server: TestServer;
let cast: Cast;
const spec = loadSpec();
const adminOps = [...spec.operations.values()].filter((op) => op.path.startsWith('/api/admin/'));

/** For each admin operation: the path and body of a request staff may make, and its success status. Built fresh per call. */
type Example = () => Promise<{ path: string; json?: unknown; status: number }>;
let n = 0;
async function someone(): Promise<number> {
  return server.createUser({ username: `someone${++n}`, email: `someone${n}@example.com` });
}
async function someGroup(): Promise<number> {
  const r = await server.request('POST', '/api/admin/groups', { ...cast.staff.token, json: { name: `group ${++n}` } });
  expect(r, 201);
  return r.body.id;
}

const EXAMPLES: Record<string, Example> = {
  adminUsersList: async () => ({ path: '/api/admin/users', status: 200 }),
  adminUsersCreate: async () => ({ path: '/api/admin/users', json: { username: `made${++n}` }, status: 201 }),
  adminUsersRetrieve: async () => ({ path: `/api/admin/users/${await someone()}`, status: 200 }),
  adminUsersPartialUpdate: async () => ({ path: `/api/admin/users/${await someone()}`, json: { first_name: 'Ann' }, status: 200 }),
  adminUsersDestroy: async () => ({ path: `/api/admin/users/${await someone()}`, status: 204 }),
  adminUsersSetPassword: async () => ({ path: `/api/admin/users/${await someone()}/set_password`, json: { new_password: 'Zesty-lemon-tart-2024' }, status: 204 }),
  adminUsersLogoutAll: async () => ({ path: `/api/admin/users/${await someone()}/logout-all`, status: 204 }),
  adminKeysList: async () => ({ path: `/api/admin/users/${await someone()}/tokens`, status: 200 }),
  adminKeysCreate: async () => ({ path: `/api/admin/users/${await someone()}/tokens`, status: 201 }),
  adminKeysRevokeAll: async () => ({ path: `/api/admin/users/${await someone()}/tokens`, status: 204 }),
  adminKeysRevoke: async () => {
    const id = await someone();
    const made = await server.request('POST', `/api/admin/users/${id}/tokens`, cast.root.token);
    return { path: `/api/admin/users/${id}/tokens/${made.body.id}`, status: 204 };
  },
  adminRefreshTokensList: async () => ({ path: `/api/admin/users/${await someone()}/refresh-tokens`, status: 200 }),
  adminRefreshTokensBlacklist: async () => {
    const id = await someone();
    await server.app.services.jwt.obtainPair(id);
    const listed = await server.request('GET', `/api/admin/users/${id}/refresh-tokens`, cast.root.token);
    return { path: `/api/admin/users/${id}/refresh-tokens/${listed.body[0].jti}/blacklist`, status: 204 };
  },
  adminGroupsList: async () => ({ path: '/api/admin/groups', status: 200 }),
  adminGroupsCreate: async () => ({ path: '/api/admin/groups', json: { name: `made group ${++n}` }, status: 201 }),
  adminGroupsDestroy: async () => ({ path: `/api/admin/groups/${await someGroup()}`, status: 204 }),
  adminGroupMembersList: async () => ({ path: `/api/admin/groups/${await someGroup()}/members`, status: 200 }),
  adminGroupMembersAdd: async () => ({ path: `/api/admin/groups/${await someGroup()}/members`, json: { user_id: await someone() }, status: 201 }),
  adminGroupMembersRemove: async () => {
    const group = await someGroup();
    const user = await someone();
    expect(await server.request('POST', `/api/admin/groups/${group}/members`, { ...cast.root.token, json: { user_id: user } }), 201);
    return { path: `/api/admin/groups/${group}/members/${user}`, status: 204 };
  },
  adminBlacklistList: async () => ({ path: '/api/admin/blacklist', status: 200 }),
  adminAuditList: async () => ({ path: '/api/admin/audit', status: 200 }),
};

before(async () => {
  server = await startServer({ THROTTLE_RATES: 'default_user=100000/minute,default_anon=100000/minute' });
  cast = await createCast(server);
});
after(() => server.close());

test('every admin operation is admin-only and has an example here', () => {
  assert.ok(adminOps.length >= 21, `${adminOps.length} admin operations`);
  for (const op of adminOps) {
    assert.deepEqual(op.roles, ['admin'], `${op.operationId}: x-roles`);
    assert.ok(EXAMPLES[op.operationId], `${op.operationId}: no example in roles.test.ts`);
  }
});

for (const op of adminOps) {
  const method = op.method.toUpperCase();
  test(`${op.operationId} (${method} ${op.path}): anonymous 401, user 403, Manager 403, staff ${'through'}`, async () => {
    const example = EXAMPLES[op.operationId];
    const { path, json } = await example();
    const anonymous = await server.request(method, path, { json });
    expect(anonymous, 401, { detail: 'Authentication credentials were not provided.' });
    assert.ok(anonymous.headers.get('www-authenticate'));
    for (const who of [cast.user, cast.manager]) {
      expect(await server.request(method, path, { ...who.token, json }), 403, PERMISSION_DENIED);
      expect(await server.request(method, path, { ...who.jwt, json }), 403, PERMISSION_DENIED);
    }
    const withKey = await example();
    expect(await server.request(method, withKey.path, { ...cast.staff.token, json: withKey.json }), withKey.status);
    const withJwt = await example();
    expect(await server.request(method, withJwt.path, { ...cast.staff.jwt, json: withJwt.json }), withJwt.status);
  });
}
