import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { availableParallelism } from 'node:os';
import * as argon2 from 'argon2';
import {
  PASSWORD_HASHER_PARAMS,
  fakeVerify,
  hashingLoad,
  hashPassword,
  unusablePassword,
  verifyPassword,
} from '../../../src/passwords/hashers';

/** Django's (argon2-cffi's) order m,t,p; the argon2 package writes m,p,t. */
function djangoArgon2(phc: string): string {
  return `argon2${phc.replace(/\$m=(\d+),p=(\d+),t=(\d+)\$/, '$m=$1,t=$3,p=$2$')}`;
}

/** A Django-format PBKDF2 hash computed independently of the module under test. */
function djangoPbkdf2(raw: string, salt: string, iterations: number, digest: 'sha256' | 'sha1'): string {
  const size = digest === 'sha256' ? 32 : 20;
  const hash = pbkdf2Sync(raw, salt, iterations, size, digest).toString('base64');
  return `pbkdf2_${digest}$${iterations}$${salt}$${hash}`;
}

test('hashPassword writes argon2id at OWASP cost in Django format', async () => {
  const encoded = await hashPassword('correct horse battery staple');
  const m = /^argon2\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(encoded);
  assert.ok(m, encoded);
  assert.equal(Buffer.from(m[1]!, 'base64').length, PASSWORD_HASHER_PARAMS.saltLength);
  assert.equal(Buffer.from(m[2]!, 'base64').length, PASSWORD_HASHER_PARAMS.hashLength);
  assert.notEqual(await hashPassword('correct horse battery staple'), encoded, 'salts are random');
  // The PHC part is standard: the argon2 package itself accepts it.
  assert.equal(await argon2.verify(encoded.slice('argon2'.length), 'correct horse battery staple'), true);
});

test('argon2 roundtrip: right password valid without update, wrong password invalid', async () => {
  const encoded = await hashPassword('s3cret-Pässword');
  assert.deepEqual(await verifyPassword('s3cret-Pässword', encoded), { valid: true, mustUpdate: false });
  assert.equal((await verifyPassword('s3cret-password', encoded)).valid, false);
  assert.equal((await verifyPassword('', encoded)).valid, false);
});

test('Django pbkdf2_sha256 (260000 iterations) verifies and must be updated', async () => {
  const encoded = djangoPbkdf2('lemon-pie-42', 'aBcDeFgHiJkLmNoPqRsTuV', 260000, 'sha256');
  assert.deepEqual(await verifyPassword('lemon-pie-42', encoded), { valid: true, mustUpdate: true });
  assert.deepEqual(await verifyPassword('lemon-pie-43', encoded), { valid: false, mustUpdate: false });
});

test('Django pbkdf2_sha1 verifies and must be updated', async () => {
  const encoded = djangoPbkdf2('lemon-pie-42', 'saltsalt', 10000, 'sha1');
  assert.deepEqual(await verifyPassword('lemon-pie-42', encoded), { valid: true, mustUpdate: true });
  assert.equal((await verifyPassword('lemon-pie-4', encoded)).valid, false);
});

test("argon2id at Django's default params (m=102400,t=2,p=8) verifies and must be updated", async () => {
  const phc = await argon2.hash('little lemon', { type: argon2.argon2id, memoryCost: 102400, timeCost: 2, parallelism: 8 });
  const encoded = djangoArgon2(phc);
  assert.match(encoded, /^argon2\$argon2id\$v=19\$m=102400,t=2,p=8\$/);
  assert.deepEqual(await verifyPassword('little lemon', encoded), { valid: true, mustUpdate: true });
  assert.equal((await verifyPassword('little lemons', encoded)).valid, false);
});

test('legacy argon2i hashes, with and without a version field, verify and must be updated', async () => {
  const opts = { type: argon2.argon2i, memoryCost: 512, timeCost: 2, parallelism: 2 } as const;
  const v19 = djangoArgon2(await argon2.hash('old password', opts));
  assert.match(v19, /^argon2\$argon2i\$v=19\$m=512,t=2,p=2\$/);
  assert.deepEqual(await verifyPassword('old password', v19), { valid: true, mustUpdate: true });
  // Django 1.10 wrote argon2 v1.0 hashes with no `v=` segment.
  const v16 = djangoArgon2(await argon2.hash('old password', { ...opts, version: 0x10 })).replace('$v=16$', '$');
  assert.match(v16, /^argon2\$argon2i\$m=512,t=2,p=2\$/);
  assert.deepEqual(await verifyPassword('old password', v16), { valid: true, mustUpdate: true });
  assert.equal((await verifyPassword('old passwort', v16)).valid, false);
});

test('argon2id at our parameters but another hash length must be updated', async () => {
  const phc = await argon2.hash('pw', { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1, hashLength: 16 });
  // Parameters are accepted in any order (here the argon2 package's m,p,t).
  assert.match(phc, /\$m=19456,p=1,t=2\$/);
  assert.deepEqual(await verifyPassword('pw', `argon2${phc}`), { valid: true, mustUpdate: true });
});

test('unusable, empty, unknown, malformed and hostile stored values are invalid, never thrown', async () => {
  const good = await hashPassword('pw');
  const [, , , , salt, hash] = good.split('$');
  const pb = djangoPbkdf2('pw', 'salt', 1000, 'sha256');
  const cases: Array<string | null> = [
    null,
    '',
    '!',
    unusablePassword(),
    `!${good}`,
    'md5$salt$5ebe2294ecd0e0f08eab7690d2a6ee69',
    'bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
    'argon2',
    'argon2$',
    'pbkdf2_sha256',
    pb.replace('$1000$', '$20000000$'), // absurd iteration count
    pb.replace('$1000$', '$0$'),
    pb.replace('$1000$', '$-5$'),
    pb.replace('$1000$', '$1e3$'),
    pb.replace('$salt$', '$$'),
    pb.slice(0, -4), // truncated digest
    `${pb}$extra`,
    good.replace('m=19456', 'm=4194304'), // 4 GiB: refused without computing
    good.replace('t=2', 't=100000'),
    good.replace('p=1', 'p=16777215'),
    good.replace('m=19456', 'm=1'), // below argon2's minimum: the binding's error is swallowed
    good.replace('argon2id', 'argon3'),
    good.replace('v=19', 'v=20'),
    good.replace('m=19456,t=2,p=1', 'm=19456,t=2,p=1,p=1'),
    good.replace('m=19456,t=2,p=1', 'm=19456,t=2'),
    good.replace('m=19456,t=2,p=1', 'm=19456,t=2,p=1,x=1'),
    good.replace(salt!, 'c2FsdA'), // 4-byte salt
    good.replace(hash!, '*not-base64*'),
    `${good}$`,
  ];
  for (const encoded of cases) {
    const started = performance.now();
    assert.deepEqual(await verifyPassword('pw', encoded), { valid: false, mustUpdate: false }, String(encoded));
    assert.ok(performance.now() - started < 2000, `too slow for ${encoded}`);
  }
});

test('fakeVerify resolves and costs about one real verification', async () => {
  const encoded = await hashPassword('pw');
  await fakeVerify('warm-up'); // computes the dummy hash
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const reals: number[] = [];
  const fakes: number[] = [];
  // Interleaved rounds and medians: a burst of load (other test files run alongside) falls on both alike.
  for (let round = 0; round < 7; round++) {
    const t0 = performance.now();
    await verifyPassword('nope', encoded);
    reals.push(performance.now() - t0);
    const t1 = performance.now();
    assert.equal(await fakeVerify('nope'), undefined);
    fakes.push(performance.now() - t1);
  }
  const [real, fake] = [median(reals), median(fakes)];
  assert.ok(fake > real / 4 && fake < real * 4, `fake ${fake.toFixed(1)}ms vs real ${real.toFixed(1)}ms`);
});

test('a stored value that cannot be computed costs about one real verification too (#14, CVE-2024-39329)', async () => {
  const encoded = await hashPassword('pw');
  await fakeVerify('warm-up'); // computes the dummy hash
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const stored: (string | null)[] = [encoded, unusablePassword(), '', null, 'md5$salt$5ebe2294ecd0e0f08eab7690d2a6ee69', encoded.replace('m=19456', 'm=4194304')];
  const times = stored.map((): number[] => []);
  // Interleaved rounds, so that a burst of load on a shared machine falls on every kind alike.
  for (let round = 0; round < 9; round++) {
    for (const [i, value] of stored.entries()) {
      const t0 = performance.now();
      assert.deepEqual(await verifyPassword('nope', value), { valid: false, mustUpdate: false });
      times[i].push(performance.now() - t0);
    }
  }
  const real = median(times[0]);
  for (const [i, value] of stored.entries()) {
    if (i === 0) continue;
    const ms = median(times[i]);
    // Before the fix these took a tenth of a real verification or less: a factor of 3 still tells.
    assert.ok(ms > real / 3 && ms < real * 3, `${String(value).slice(0, 20)}: ${ms.toFixed(1)}ms vs a real hash ${real.toFixed(1)}ms`);
  }
});

test("unusablePassword is Django's '!' + 40 random alphanumerics", () => {
  const a = unusablePassword();
  assert.match(a, /^![A-Za-z0-9]{40}$/);
  assert.notEqual(unusablePassword(), a);
});

test('hashing runs off the event loop: a timer fires promptly during 4 hashes', async (t) => {
  await hashPassword('warm-up');
  const started = performance.now();
  const hashes = Promise.all([1, 2, 3, 4].map((i) => hashPassword(`password ${i}`)));
  const timerDelay = await new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - started), 0));
  await hashes;
  const total = performance.now() - started;
  // On the event loop, the timer would wait for all four hashes (timerDelay ≈ total). Compared with
  // the hashing's own time, not a fixed number of ms: other processes may hold the CPU a while.
  assert.ok(timerDelay < total / 4, `setTimeout(0) fired after ${timerDelay.toFixed(1)}ms of ${total.toFixed(1)}ms of hashing`);
  t.diagnostic(`timer after ${timerDelay.toFixed(1)}ms; 4 hashes took ${total.toFixed(1)}ms`);
});

test('PBKDF2 verification runs off the event loop too', async (t) => {
  const encoded = djangoPbkdf2('pw', 'salt', 260000, 'sha256');
  const started = performance.now();
  const checks = Promise.all([1, 2, 3, 4].map(() => verifyPassword('pw', encoded)));
  const timerDelay = await new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - started), 0));
  const results = await checks;
  const total = performance.now() - started;
  assert.ok(results.every((r) => r.valid));
  assert.ok(timerDelay < total / 4, `setTimeout(0) fired after ${timerDelay.toFixed(1)}ms of ${total.toFixed(1)}ms of verifying`);
  t.diagnostic(`timer after ${timerDelay.toFixed(1)}ms; 4 verifications took ${total.toFixed(1)}ms`);
});

test('hashingLoad counts the hashes running (one per core but one) and those waiting their turn, and both drop to 0 when done', async () => {
  const slots = Math.max(1, availableParallelism() - 1);
  assert.deepEqual(hashingLoad(), { running: 0, queued: 0 });
  const burst = Array.from({ length: slots + 3 }, (_, i) => hashPassword(`burst-${i}`));
  assert.deepEqual(hashingLoad(), { running: slots, queued: 3 });
  await Promise.all(burst);
  assert.deepEqual(hashingLoad(), { running: 0, queued: 0 });
});
