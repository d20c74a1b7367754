/**
 * Addresses an attacker can vary to get fresh counters (#14): client addresses behind a trusted
 * proxy (one client, one spelling; IPv6 counted per /64; garbage counted as the proxy itself),
 * and e-mail addresses asked to receive reset and activation mails (a cap per address, whatever
 * its case or surrounding whitespace, known to the service or not).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server';
import { waitForMails } from '../api/users/mail';

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

describe('mails per address (mail_address: 5/hour, 20/day)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ THROTTLE_RATES: 'password_reset=1000/minute', SEND_ACTIVATION_EMAIL: 'true' });
    await server.createUser({ username: 'mario', email: 'mario@example.com' });
    await server.createUser({ username: 'luigi', email: 'luigi@example.com' });
    await server.createUser({ username: 'peach', email: 'peach@example.com', isActive: false });
  });
  after(() => server.close());

  const reset = (email: string) => server.request('POST', '/auth/users/reset_password/', { json: { email } });
  const resend = (email: string) => server.request('POST', '/auth/users/resend_activation/', { form: { email } });
  const mailsTo = (to: string) => server.mails().filter((m) => new RegExp(`^To: ${to}$`, 'mi').test(m)).length;

  test('the 6th reset for one address, in any case, is 429 and sends nothing; another address still gets its mail', async () => {
    const spellings = ['mario@example.com', 'MARIO@example.com', 'Mario@Example.com', 'mario@EXAMPLE.COM', 'maRIO@example.com', 'Mario@example.com'];
    const statuses = [];
    for (const email of spellings) statuses.push((await reset(email)).status);
    assert.deepEqual(statuses, [204, 204, 204, 204, 204, 429]);
    const refused = await reset('mario@example.com');
    assert.equal(refused.status, 429);
    assert.match(refused.body.detail, /^Request was throttled\. Expected available in \d+ seconds\.$/);
    assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
    await waitForMails(server, 5);
    const other = await reset('luigi@example.com');
    assert.equal(other.status, 204);
    await waitForMails(server, 6);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(mailsTo('mario@example.com'), 5, 'only 5 mails went to mario');
    assert.equal(mailsTo('luigi@example.com'), 1);
  });

  test('an address with spaces around it is refused, as format: email in the spec refuses it (#15), and still counts', async () => {
    const statuses = [];
    for (const email of [' daisy@example.com ', '\tdaisy@example.com\n', 'daisy@example.com', 'daisy@example.com', 'daisy@example.com', 'daisy@example.com']) {
      const r = await reset(email);
      if (r.status === 400) assert.deepEqual(r.body, { email: ['Enter a valid email address.'] });
      statuses.push(r.status);
    }
    // Counted per address trimmed and lower-cased, once the body is read: before it is validated.
    assert.deepEqual(statuses, [400, 400, 204, 204, 204, 429]);
  });

  test('an unknown address is capped the same way, so the answer reveals nothing', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await reset('NOBODY@example.com')).status);
    assert.deepEqual(statuses, [204, 204, 204, 204, 204, 429]);
  });

  test('activation mails count in the same scope as reset mails', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await reset('peach@example.com')).status);
    for (let i = 0; i < 3; i++) statuses.push((await resend(i === 0 ? 'PEACH@example.com' : 'peach@example.com')).status);
    assert.deepEqual(statuses, [204, 204, 204, 204, 204, 429]);
  });

  test('a body without a string email is not counted by address (the field error is the answer)', async () => {
    for (const body of [{}, { email: { to: 'mario@example.com' } }, { email: ['mario@example.com'] }, {}, {}, {}, {}]) {
      const r = await server.request('POST', '/auth/users/reset_password/', { json: body });
      assert.equal(r.status, 400, r.text);
    }
  });
});
