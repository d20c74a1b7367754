/**
 * The people the admin API tests call as: a superuser, a staff user (not superuser), a Manager
 * (not staff) and a plain user, each with a key and an access JWT. Not a test file.
 */
import assert from 'node:assert/strict';
import type { Reply, RequestOptions, TestServer } from '../../helpers/server';

export interface Person {
  readonly id: number;
  readonly username: string;
  readonly token: RequestOptions;
  readonly jwt: RequestOptions;
}

export interface Cast {
  readonly root: Person;
  readonly staff: Person;
  readonly manager: Person;
  readonly user: Person;
}

/** A key and an access JWT for an existing user, issued by the services (no login, no throttle). */
export async function person(server: TestServer, username: string): Promise<Person> {
  const { db, keys, jwt } = server.app.services;
  const { id } = (await db.users.findByUsername(username))!;
  return { id, username, token: { token: await keys.create(id) }, jwt: { jwt: (await jwt.obtainPair(id)).access } };
}

export async function createCast(server: TestServer): Promise<Cast> {
  await server.createUser({ username: 'root', email: 'root@example.com', isStaff: true, isSuperuser: true });
  await server.createUser({ username: 'staff', email: 'staff@example.com', isStaff: true });
  await server.createUser({ username: 'manager', email: 'manager@example.com', groups: ['Manager'] });
  await server.createUser({ username: 'user', email: 'user@example.com' });
  return { root: await person(server, 'root'), staff: await person(server, 'staff'), manager: await person(server, 'manager'), user: await person(server, 'user') };
}

export const PERMISSION_DENIED = { detail: 'You do not have permission to perform this action.' };
export const NOT_FOUND = { detail: 'Not found.' };

export function expect(r: Reply, status: number, body?: unknown): void {
  assert.equal(r.status, status, `${status} expected, got ${r.status}: ${r.text.slice(0, 400)}`);
  if (body !== undefined) assert.deepEqual(r.body, body);
}

/** The audit entries of the server, newest first, as staff reads them (`query` without `?`). */
export async function auditEntries(server: TestServer, as: Person, query = ''): Promise<Record<string, any>[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await server.request('GET', `/api/admin/audit?page_size=100${query ? `&${query}` : ''}`, as.token);
  expect(r, 200);
  return r.body.results;
}
