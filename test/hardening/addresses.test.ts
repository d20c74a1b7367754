/**
 * Addresses an attacker can vary to get fresh counters (#14): client addresses behind a trusted
 * proxy (one client, one spelling; IPv6 counted per /64; garbage counted as the proxy itself).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server';

describe('client addresses behind a trusted proxy (NUM_PROXIES=1, anon=2/minute)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ NUM_PROXIES: '1', THROTTLE_RATES: 'anon=2/minute' });
  });
  after(() => server.close());

  /** GET /api/throttle-check as forwarded for `xff` (no header at all when undefined). */
  const check = async (xff: string | undefined) => (await server.request('GET', '/api/throttle-check', { headers: xff === undefined ? {} : { 'x-forwarded-for': xff } })).status;

  test('1.2.3.4, ::ffff:1.2.3.4 and ::ffff:0102:0304 are one client with one counter', async () => {
    assert.deepEqual([await check('1.2.3.4'), await check('spoofed, ::ffff:1.2.3.4'), await check('::ffff:0102:0304')], [200, 200, 429]);
    assert.equal(await check('1.2.3.5'), 200, 'another address has its own');
  });

  test('IPv6 addresses of one /64 share a counter, however they are written', async () => {
    assert.deepEqual([await check('2001:db8::1'), await check('2001:0db8:0000:0000:0000:0000:0000:0002'), await check('2001:db8::ffff')], [200, 200, 429]);
    assert.equal(await check('2001:db8:0:1::1'), 200, 'the next /64 has its own');
  });

  test('a forwarded value that is not an address counts as the proxy (the socket peer)', async () => {
    assert.deepEqual([await check('not-an-ip'), await check('1.2.3.4.5'), await check(''), await check(undefined)], [200, 200, 429, 429]);
    const refused = await server.request('GET', '/api/throttle-check', { headers: { 'x-forwarded-for': 'garbage-again' } });
    assert.equal(refused.status, 429);
    assert.match(refused.body.detail, /^Request was throttled\./);
  });
});
