/**
 * How paths find their operation, through real HTTP requests: one trailing slash is optional, a
 * path with an empty segment names no operation (#15: Django's URL patterns would not match it
 * either), and a path that exists answers 405 for a method it does not have.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, type TestServer } from '../../helpers/server';

let server: TestServer;
let admin: string;

before(async () => {
  server = await startServer();
  await server.createUser({ username: 'boss', isStaff: true });
  admin = await server.tokenFor('boss');
});
after(() => server.close());

const NOT_FOUND = { detail: 'Not found.' };

test('a path with an empty segment is 404 "Not found.", never another operation', async () => {
  for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'POST']) {
    // An empty {username}: was the user list (GET) and 405 (PATCH) before #15.
    const r = await server.request(method, '/auth/users//', { token: admin, json: method === 'GET' ? undefined : {} });
    assert.equal(r.status, 404, `${method} /auth/users//: ${r.status} ${r.text}`);
    assert.deepEqual(r.body, NOT_FOUND);
  }
  for (const path of ['/api/secret//', '/api//secret/', '//api/secret/', '/api/menu-items//', '/api/menu-items//1', '/auth/users/me//', '/auth/users///']) {
    const r = await server.request('GET', path, { token: admin });
    assert.equal(r.status, 404, `GET ${path}: ${r.status} ${r.text}`);
    assert.deepEqual(r.body, NOT_FOUND);
  }
});

test('one trailing slash stays optional, with or without it in the spec', async () => {
  for (const path of ['/api/secret/', '/api/secret', '/api/menu-items', '/api/menu-items/', '/auth/users/me/', '/auth/users/me', '/auth/users/boss/', '/auth/users/boss']) {
    const r = await server.request('GET', path, { token: admin });
    assert.equal(r.status, 200, `GET ${path}: ${r.status} ${r.text}`);
  }
});

test('a path that exists answers 405 for a method it does not have, even where a templated path has it', async () => {
  // /auth/users/set_password/ is POST only; /auth/users/{username}/ has GET, but Django's first
  // matching pattern decides, as here.
  const r = await server.request('GET', '/auth/users/set_password/', { token: admin });
  assert.equal(r.status, 405);
  assert.deepEqual(r.body, { detail: 'Method "GET" not allowed.' });
});

test('HEAD is answered as GET, without a body', async () => {
  const r = await server.request('HEAD', '/api/secret/', { token: admin });
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
});

/** One request with its path sent byte for byte (fetch, like every WHATWG client, resolves `..` and `%2e%2e` itself). */
function rawRequest(method: string, path: string, token: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers: { authorization: `Token ${token}` } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a path with a dot segment (`.`, `..`, encoded or not) is 404, never the operation it would resolve to', async () => {
  const group = await server.request('POST', '/api/admin/groups', { token: admin, json: { name: 'Temporary' } });
  assert.equal(group.status, 201, group.text);
  for (const method of ['GET', 'DELETE', 'OPTIONS']) {
    for (const dots of ['..', '%2e%2e', '%2E%2e', '.', '%2e']) {
      // Resolved, these would name the group itself (DELETE would delete it) or the group list.
      for (const path of [`/api/admin/groups/${group.body.id}/members/${dots}`, `/api/admin/groups/${group.body.id}/${dots}`, `/api/menu-items/${dots}`]) {
        const r = await rawRequest(method, path, admin);
        // The segment is taken literally: no operation (404), or the path's own template with
        // `..` as its parameter, which names no object (404) or lacks the method (405).
        assert.ok(r.status === 404 || r.status === 405, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
        if (r.status === 404) assert.deepEqual(r.body, NOT_FOUND);
      }
    }
  }
  assert.equal((await server.request('GET', `/api/admin/groups`, { token: admin })).body.results.some((g: { name: string }) => g.name === 'Temporary'), true);
});
