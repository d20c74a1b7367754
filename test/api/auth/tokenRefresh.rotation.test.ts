/**
 * POST /api/token/refresh/ with ROTATE_REFRESH_TOKENS=true: each refresh returns a new refresh
 * token and blacklists the one presented; presenting a rotated-away token again is reuse (a
 * stolen token), and revokes its whole family.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../helpers/server';
import { assertReply, decodeJwt, tokenNotValid } from './jwt';

const BLACKLISTED = tokenNotValid('Token is blacklisted');

describe('with BLACKLIST_AFTER_ROTATION on (the default here)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ ROTATE_REFRESH_TOKENS: 'true' });
    await server.createUser({ username: 'alice' });
  });
  after(() => server.close());

  const refresh = (token: string) => server.request('POST', '/api/token/refresh/', { json: { refresh: token } });

  test('a refresh gives {"access", "refresh"}: a new refresh token, with a new jti, recorded as outstanding', async () => {
    const pair = await server.jwtFor('alice');
    const r = await refresh(pair.refresh);
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body).sort(), ['access', 'refresh']);
    const old = decodeJwt(pair.refresh).payload;
    const fresh = decodeJwt(r.body.refresh).payload;
    assert.equal(fresh.token_type, 'refresh');
    assert.equal(fresh.user_id, old.user_id);
    assert.notEqual(fresh.jti, old.jti);
    assert.ok(await server.app.services.db.knex('token_blacklist_outstandingtoken').where({ jti: fresh.jti }).first());
    assertReply(await server.request('GET', '/api/secret/', { jwt: r.body.access }), 200, { message: 'Some secret message' });
  });

  test('the rotated-away token is blacklisted, everywhere at once: refresh, verify, blacklist', async () => {
    const pair = await server.jwtFor('alice');
    const r = await refresh(pair.refresh);
    assert.equal(r.status, 200);
    const fresh = await server.jwtFor('alice'); // another family, to check it stays alive
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: pair.refresh } }), 401, BLACKLISTED);
    assertReply(await server.request('POST', '/api/token/blacklist/', { json: { refresh: pair.refresh } }), 401, BLACKLISTED);
    assertReply(await server.request('POST', '/auth/jwt/refresh/', { json: { refresh: pair.refresh } }), 401, BLACKLISTED);
    assert.equal((await refresh(fresh.refresh)).status, 200);
  });

  test('a rotated-away token presented again revokes its whole family, descendants included', async () => {
    const pair = await server.jwtFor('alice');
    const second = (await refresh(pair.refresh)).body.refresh as string;
    const third = (await refresh(second)).body.refresh as string;
    const other = await server.jwtFor('alice');

    // The thief replays the first token...
    assertReply(await refresh(pair.refresh), 401, BLACKLISTED);
    // ...and the legitimate holder's current token is dead too, for refresh and verify.
    assertReply(await refresh(third), 401, BLACKLISTED);
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: third } }), 401, BLACKLISTED);
    // Another login (another family) is unaffected.
    assert.equal((await refresh(other.refresh)).status, 200);
  });

  test('reusing a token blacklisted through /api/token/blacklist/ also revokes its family', async () => {
    const pair = await server.jwtFor('alice');
    const second = (await refresh(pair.refresh)).body.refresh as string;
    assert.equal((await server.request('POST', '/api/token/blacklist/', { json: { refresh: second } })).status, 200);
    assertReply(await refresh(second), 401, BLACKLISTED);
  });

  test('two refreshes racing with the same token: one wins, and the loser\'s reuse revokes the family', async () => {
    const pair = await server.jwtFor('alice');
    const results = await Promise.all([refresh(pair.refresh), refresh(pair.refresh), refresh(pair.refresh)]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401]);
    for (const r of results.filter((x) => x.status === 401)) assert.deepEqual(r.body, BLACKLISTED);
    const winner = results.find((r) => r.status === 200)!;
    assertReply(await refresh(winner.body.refresh), 401, BLACKLISTED);
  });

  test('a form-encoded refresh rotates as well', async () => {
    const pair = await server.jwtFor('alice');
    const r = await server.request('POST', '/api/token/refresh/', { form: { refresh: pair.refresh } });
    assert.equal(r.status, 200);
    assert.equal(typeof r.body.refresh, 'string');
  });
});

describe('with BLACKLIST_AFTER_ROTATION off', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ ROTATE_REFRESH_TOKENS: 'true', BLACKLIST_AFTER_ROTATION: 'false' });
    await server.createUser({ username: 'alice' });
  });
  after(() => server.close());

  test('a new refresh token is returned and the old one keeps working, as simplejwt', async () => {
    const pair = await server.jwtFor('alice');
    const first = await server.request('POST', '/api/token/refresh/', { json: { refresh: pair.refresh } });
    assert.equal(first.status, 200);
    assert.equal(typeof first.body.refresh, 'string');
    const again = await server.request('POST', '/api/token/refresh/', { json: { refresh: pair.refresh } });
    assert.equal(again.status, 200);
    assert.equal((await server.request('POST', '/api/token/refresh/', { json: { refresh: first.body.refresh } })).status, 200);
  });
});
