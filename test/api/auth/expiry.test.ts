/**
 * Token lifetimes (ACCESS_TOKEN_LIFETIME / REFRESH_TOKEN_LIFETIME, in seconds) and JWT_LEEWAY,
 * on the service's clock (a ManualClock the test moves): a one-second access token stops
 * working once the clock is past its `exp`, and not a millisecond of real time is waited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../helpers/clock';
import { startServer, type TestServer } from '../../helpers/server';
import { assertReply, decodeJwt, invalidAccess, tokenNotValid } from './jwt';

describe('ACCESS_TOKEN_LIFETIME=1, REFRESH_TOKEN_LIFETIME=2', () => {
  let server: TestServer;
  const clock = new ManualClock();
  /** Moves the service's clock to `ms` past `exp` (whole seconds). */
  const movePast = (exp: number, ms: number) => clock.set(exp * 1000 + ms);
  before(async () => {
    server = await startServer({ ACCESS_TOKEN_LIFETIME: '1', REFRESH_TOKEN_LIFETIME: '2' }, { clock });
    await server.createUser({ username: 'alice' });
  });
  after(() => server.close());

  test('the lifetimes are written into exp', async () => {
    const pair = await server.jwtFor('alice');
    const a = decodeJwt(pair.access).payload;
    const r = decodeJwt(pair.refresh).payload;
    assert.equal((a.exp as number) - (a.iat as number), 1);
    assert.equal((r.exp as number) - (r.iat as number), 2);
  });

  test('an access token works until it expires, then is refused everywhere', async () => {
    const pair = await server.jwtFor('alice');
    const exp = decodeJwt(pair.access).payload.exp as number;
    movePast(exp, -1);
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200, { message: 'Some secret message' });
    movePast(exp, 0);
    const r = await server.request('GET', '/api/secret/', { jwt: pair.access });
    assertReply(r, 401, invalidAccess('Token is invalid or expired'));
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="api"');
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: pair.access } }), 401, tokenNotValid());
  });

  test('an expired refresh token can no longer refresh, verify or be blacklisted', async () => {
    const pair = await server.jwtFor('alice');
    const exp = decodeJwt(pair.refresh).payload.exp as number;
    movePast(exp, -1);
    assert.equal((await server.request('POST', '/api/token/refresh/', { form: { refresh: pair.refresh } })).status, 200, 'a millisecond before its exp');
    movePast(exp, 0);
    assertReply(await server.request('POST', '/api/token/refresh/', { form: { refresh: pair.refresh } }), 401, tokenNotValid());
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: pair.refresh } }), 401, tokenNotValid());
    assertReply(await server.request('POST', '/api/token/blacklist/', { json: { refresh: pair.refresh } }), 401, tokenNotValid());
  });
});

describe('JWT_LEEWAY=3', () => {
  let server: TestServer;
  const clock = new ManualClock();
  before(async () => {
    server = await startServer({ ACCESS_TOKEN_LIFETIME: '1', JWT_LEEWAY: '3' }, { clock });
    await server.createUser({ username: 'alice' });
  });
  after(() => server.close());

  test('a token just past its exp is still accepted within the leeway, and refused after it', async () => {
    const pair = await server.jwtFor('alice');
    const exp = decodeJwt(pair.access).payload.exp as number;
    clock.set(exp * 1000 + 300);
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200, { message: 'Some secret message' });
    assertReply(await server.request('POST', '/api/token/verify/', { json: { token: pair.access } }), 200, {});
    clock.set((exp + 3) * 1000 - 1);
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 200, { message: 'Some secret message' }); // the last millisecond of the leeway
    clock.set((exp + 3) * 1000);
    assertReply(await server.request('GET', '/api/secret/', { jwt: pair.access }), 401, invalidAccess('Token is invalid or expired'));
  });
});
