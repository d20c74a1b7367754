/**
 * The people the course's endpoint tests call as, and the answers they share. Not a test file:
 * each *.test.ts here starts its own server and builds its cast on it.
 */
import assert from 'node:assert/strict';
import type { Reply, RequestOptions, TestServer } from '../../helpers/server';

/** One user's credentials, both kinds: `server.request(method, path, { ...cast.manager.token, json })`. */
export interface Credentials {
  readonly id: number;
  readonly username: string;
  readonly token: RequestOptions;
  readonly jwt: RequestOptions;
}

/** A member of Manager (not staff), an admin (is_staff, in no group) and a plain user. */
export interface Cast {
  readonly manager: Credentials;
  readonly admin: Credentials;
  readonly user: Credentials;
}

/**
 * A key and an access JWT for the user, issued by the services as a login would issue them. Not
 * through the login endpoints: these files lower the default rates to show what is not
 * throttled, and the logins (which count against the defaults, as DRF's do) must not use them up.
 */
export async function credentials(server: TestServer, username: string): Promise<Credentials> {
  const { db, keys, jwt } = server.app.services;
  const { id } = (await db.users.findByUsername(username))!;
  return {
    id,
    username,
    token: { token: await keys.create(id) },
    jwt: { jwt: (await jwt.obtainPair(id)).access },
  };
}

export async function createCast(server: TestServer): Promise<Cast> {
  await server.createUser({ username: 'manager', email: 'manager@example.com', groups: ['Manager'] });
  await server.createUser({ username: 'admin', email: 'admin@example.com', isStaff: true });
  await server.createUser({ username: 'user', email: 'user@example.com' });
  return {
    manager: await credentials(server, 'manager'),
    admin: await credentials(server, 'admin'),
    user: await credentials(server, 'user'),
  };
}

export const NOT_AUTHENTICATED = { detail: 'Authentication credentials were not provided.' };
export const PERMISSION_DENIED = { detail: 'You do not have permission to perform this action.' };
export const NOT_FOUND = { detail: 'Not found.' };

/** 401 for a request without credentials, with the first scheme's challenge. */
export function assertNotAuthenticated(r: Reply): void {
  assert.equal(r.status, 401, r.text);
  assert.deepEqual(r.body, NOT_AUTHENTICATED);
  assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
}

/** 403 for an authenticated caller the operation's roles do not let in. */
export function assertPermissionDenied(r: Reply): void {
  assert.equal(r.status, 403, r.text);
  assert.deepEqual(r.body, PERMISSION_DENIED);
}

/**
 * 429 in DRF's words; the wait in the detail and in Retry-After agree and lie in (0, max].
 * Returns the wait.
 */
export function assertThrottled(r: Reply, maxSeconds: number): number {
  assert.equal(r.status, 429, r.text);
  assert.deepEqual(Object.keys(r.body), ['detail']);
  const m = /^Request was throttled\. Expected available in (\d+) (second|seconds)\.$/.exec(r.body.detail);
  assert.ok(m, r.body.detail);
  const wait = Number(m[1]);
  assert.equal(m[2], wait === 1 ? 'second' : 'seconds');
  assert.ok(wait >= 1 && wait <= maxSeconds, `wait ${wait} not in [1, ${maxSeconds}]`);
  assert.equal(r.headers.get('retry-after'), String(wait));
  return wait;
}
