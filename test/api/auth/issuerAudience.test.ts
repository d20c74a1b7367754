/** JWT_ISSUER and JWT_AUDIENCE: written into every token, and required of every token presented. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertReply, claimsFor, decodeJwt, forge, invalidAccess, tokenNotValid } from './jwt';

let server: TestServer;
let aliceId: number;

before(async () => {
  server = await startServer({ JWT_ISSUER: 'https://lemon.example', JWT_AUDIENCE: 'little-lemon' });
  aliceId = await server.createUser({ username: 'alice' });
});
after(() => server.close());

test('tokens carry iss and aud, and work', async () => {
  const pair = await server.jwtFor('alice');
  for (const token of [pair.access, pair.refresh]) {
    const { payload } = decodeJwt(token);
    assert.equal(payload.iss, 'https://lemon.example');
    assert.equal(payload.aud, 'little-lemon');
  }
  assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200, { message: 'Some secret message' });
  const refreshed = await server.request('POST', '/api/token/refresh/', { json: { refresh: pair.refresh } });
  assert.equal(refreshed.status, 200);
  assert.equal(decodeJwt(refreshed.body.access).payload.aud, 'little-lemon');
});

test('a token signed with our key but without iss/aud, or with other ones, is refused', async () => {
  const good = { ...claimsFor('access', aliceId), iss: 'https://lemon.example', aud: 'little-lemon' };
  assertReply(await server.request('GET', '/api/secret/', { jwt: forge(server, good) }), 200, { message: 'Some secret message' });
  for (const claims of [
    claimsFor('access', aliceId),
    { ...good, aud: 'another-service' },
    { ...good, iss: 'https://evil.example' },
  ]) {
    assertReply(await server.request('GET', '/api/secret/', { jwt: forge(server, claims) }), 401, invalidAccess('Token is invalid or expired'));
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: forge(server, claims) } }), 401, tokenNotValid());
  }
});
