import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp, type App } from '../../src/app';
import { loadSettings } from '../../src/settings';
import { ManualClock } from '../helpers/clock';
import { SECRET_KEY, freshDataDir, listUsers, manage, type Result } from './run';

const STRONG = 'Lemon-grove-42!';
const OTHER_STRONG = 'Citrus-orchard-77?';
const COMMANDS = ['migrate', 'createsuperuser', 'createuser', 'changepassword', 'listusers', 'creategroup', 'addtogroup', 'removefromgroup', 'createtoken', 'flushexpiredtokens', 'pruneaudit', 'help'];

/** A failure: the exit code, nothing on stdout, exactly one `Error: …` line on stderr. */
function assertFails(r: Result, code: number, message: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0]!, /^Error: /);
  assert.match(lines[0]!, message);
}

async function superuser(dataDir: string, username = 'admin', password = STRONG): Promise<void> {
  const r = await manage(dataDir, ['createsuperuser', '--noinput', '--username', username, '--email', `${username}@example.com`], { env: { SUPERUSER_PASSWORD: password } });
  assert.equal(r.code, 0, r.stderr);
}

const concurrency = 4;

describe('manage: help and the command line', { concurrency }, () => {
  for (const argv of [[], ['help'], ['--help'], ['-h']]) {
    test(`\`manage ${argv.join(' ')}\` lists every command and exits 0`, async () => {
      const r = await manage(freshDataDir(), argv);
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
      for (const name of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${name}\\b`, 'm'), name);
    });
  }

  test("a command's --help (and `help COMMAND`) shows its options", async () => {
    const dir = freshDataDir();
    for (const argv of [['createsuperuser', '--help'], ['help', 'createsuperuser']]) {
      const r = await manage(dir, argv);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: manage createsuperuser/);
      for (const option of ['--username NAME', '--email EMAIL', '--noinput', '--password-from-env VAR', '--help']) assert.ok(r.stdout.includes(option), option);
    }
  });

  test('help needs no valid settings', async () => {
    const r = await manage(freshDataDir(), ['help'], { env: { SECRET_KEY: 'short' } });
    assert.equal(r.code, 0);
  });

  test('an unknown command is a usage error: exit 2, one line', async () => {
    assertFails(await manage(freshDataDir(), ['frobnicate']), 2, /unknown command 'frobnicate'/);
  });

  test('an unknown option, a missing option value or a missing argument is a usage error (exit 2)', async () => {
    const dir = freshDataDir();
    assertFails(await manage(dir, ['listusers', '--bogus']), 2, /unknown option '--bogus'/);
    assertFails(await manage(dir, ['createuser', '--noinput', '--username']), 2, /option '--username' needs a value/);
    assertFails(await manage(dir, ['createtoken']), 2, /missing argument: USER/);
    assertFails(await manage(dir, ['addtogroup', 'alice']), 2, /missing argument: GROUP/);
    assertFails(await manage(dir, ['creategroup', 'a', 'b']), 2, /unexpected argument "b"/);
  });

  test('.env in the working directory is read, as by the server (the environment wins)', async () => {
    const dir = freshDataDir();
    fs.writeFileSync(path.join(dir, '.env'), 'JWT_ALGORITHM=HS999\nSECRET_KEY=short\n');
    const r = await manage(dir, ['listusers']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'ImproperlyConfigured: JWT_ALGORITHM must be HS256, RS256 or ES256, got "HS999"\n');
  });

  test('a bad setting is reported on one line as ImproperlyConfigured (exit 1)', async () => {
    const r = await manage(freshDataDir(), ['listusers'], { env: { SECRET_KEY: 'short' } });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'ImproperlyConfigured: SECRET_KEY must be at least 32 characters long\n');
  });
});

describe('manage: migrate', () => {
  test('migrate applies the migrations once, then has nothing to apply', async () => {
    const dir = freshDataDir();
    const first = await manage(dir, ['migrate']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Running migrations:\n {2}Applying 0001_initial\.\.\. OK\n {2}Applying 0002_username_key\.\.\. OK\n {2}Applying 0003_audit_and_key_prefix\.\.\. OK\n$/);
    const second = await manage(dir, ['migrate']);
    assert.equal(second.stdout, 'No migrations to apply.\n');
  });

  test('commands migrate a new database themselves', async () => {
    const dir = freshDataDir();
    const r = await manage(dir, ['listusers']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'No users.\n');
    assert.equal((await manage(dir, ['migrate'])).stdout, 'No migrations to apply.\n');
  });
});

describe('manage: users, groups and tokens', { concurrency }, () => {
  test('createsuperuser --noinput then createtoken prints a new 40-hex key each time', async () => {
    const dir = freshDataDir();
    const created = await manage(dir, ['createsuperuser', '--noinput', '--username', 'admin', '--email', 'admin@example.com'], { env: { SUPERUSER_PASSWORD: STRONG } });
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Superuser created successfully.\n');
    assert.equal(created.stderr, '');
    assert.ok(!created.stdout.includes(STRONG));

    const first = await manage(dir, ['createtoken', 'admin']);
    assert.equal(first.code, 0, first.stderr);
    const m = /^Generated token ([0-9a-f]{40}) for user admin\n$/.exec(first.stdout);
    assert.ok(m, first.stdout);
    const second = await manage(dir, ['createtoken', 'admin']);
    assert.ok(!second.stdout.includes(m[1]!), 'a new key each time');

    const [admin] = await listUsers(dir);
    assert.deepEqual(admin, { id: 1, username: 'admin', email: 'admin@example.com', is_staff: true, is_superuser: true, is_active: true, groups: [] });
  });

  test('listusers prints a table: id, username, email, staff, superuser, active, groups', async () => {
    const dir = freshDataDir();
    await superuser(dir);
    assert.equal((await manage(dir, ['createuser', '--noinput', '--username', 'courier', '--inactive'])).code, 0);
    assert.equal((await manage(dir, ['addtogroup', 'courier', 'Delivery crew'])).code, 0);
    assert.equal((await manage(dir, ['addtogroup', 'courier', 'Manager'])).code, 0);
    const r = await manage(dir, ['listusers']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'id  username  email              staff  superuser  active  groups',
        '1   admin     admin@example.com  yes    yes        yes',
        '2   courier                      no     no         no      Delivery crew, Manager',
        '',
      ].join('\n'),
    );
  });

  test('addtogroup then listusers shows the group; adding again changes nothing; removefromgroup removes it', async () => {
    const dir = freshDataDir();
    await superuser(dir, 'mario');
    const added = await manage(dir, ['addtogroup', 'mario', 'Manager']);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, "Added 'mario' to group 'Manager'.\n");
    assert.deepEqual((await listUsers(dir))[0]!.groups, ['Manager']);

    const again = await manage(dir, ['addtogroup', 'mario', 'Manager']);
    assert.equal(again.code, 0);
    assert.equal(again.stdout, "'mario' is already in group 'Manager'.\n");
    assert.deepEqual((await listUsers(dir))[0]!.groups, ['Manager']);

    const removed = await manage(dir, ['removefromgroup', 'mario', 'Manager']);
    assert.equal(removed.stdout, "Removed 'mario' from group 'Manager'.\n");
    assert.deepEqual((await listUsers(dir))[0]!.groups, []);
    const none = await manage(dir, ['removefromgroup', 'mario', 'Manager']);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, "'mario' is not in group 'Manager'.\n");
  });

  test('creategroup makes a group addtogroup can use; a taken or blank name fails', async () => {
    const dir = freshDataDir();
    await superuser(dir);
    const created = await manage(dir, ['creategroup', 'Chefs']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, "Group 'Chefs' created.\n");
    assert.equal((await manage(dir, ['addtogroup', 'admin', 'Chefs'])).code, 0);
    assert.deepEqual((await listUsers(dir))[0]!.groups, ['Chefs']);
    assertFails(await manage(dir, ['creategroup', 'Chefs']), 1, /group 'Chefs' already exists/);
    assertFails(await manage(dir, ['creategroup', 'Manager']), 1, /group 'Manager' already exists/);
    assertFails(await manage(dir, ['creategroup', '  ']), 1, /This field cannot be blank\./);
  });

  test('an unknown user or group is an error (exit 1, one line)', async () => {
    const dir = freshDataDir();
    await superuser(dir);
    assertFails(await manage(dir, ['createtoken', 'ghost']), 1, /^Error: user 'ghost' does not exist$/);
    assertFails(await manage(dir, ['addtogroup', 'ghost', 'Manager']), 1, /user 'ghost' does not exist/);
    assertFails(await manage(dir, ['removefromgroup', 'ghost', 'Manager']), 1, /user 'ghost' does not exist/);
    assertFails(await manage(dir, ['changepassword', 'ghost', '--noinput'], { env: { NEW_PASSWORD: STRONG } }), 1, /user 'ghost' does not exist/);
    assertFails(await manage(dir, ['addtogroup', 'admin', 'Waiters']), 1, /^Error: group 'Waiters' does not exist$/);
    // Names are exact, as Django's get_by_natural_key.
    assertFails(await manage(dir, ['createtoken', 'ADMIN']), 1, /user 'ADMIN' does not exist/);
  });

  test("invalid usernames are refused with Django's messages", async () => {
    const dir = freshDataDir();
    assertFails(await manage(dir, ['createuser', '--noinput', '--username', 'bad name']), 1, /Enter a valid username\. This value may contain only letters, numbers, and @\/\.\/\+\/-\/_ characters\./);
    assertFails(await manage(dir, ['createuser', '--noinput', '--username', 'x'.repeat(151)]), 1, /Ensure this value has at most 150 characters \(it has 151\)\./);
    assertFails(await manage(dir, ['createuser', '--noinput', '--username', '']), 1, /This field cannot be blank\./);
    assertFails(await manage(dir, ['createsuperuser', '--noinput', '--username', 'ok', '--email', 'not-an-email']), 1, /Enter a valid email address\./);
    assert.deepEqual(await listUsers(dir), []);
    // Letters of any script, digits and @.+-_ are fine; 150 characters is the limit.
    assert.equal((await manage(dir, ['createuser', '--noinput', '--username', 'José.o+b-c_d@e'])).code, 0);
    assert.equal((await manage(dir, ['createuser', '--noinput', '--username', 'y'.repeat(150)])).code, 0);
    assert.equal((await listUsers(dir)).length, 2);
  });

  test('a username taken in any letter case is refused', async () => {
    const dir = freshDataDir();
    await superuser(dir, 'Alice');
    for (const name of ['Alice', 'alice', 'ALICE']) {
      assertFails(await manage(dir, ['createuser', '--noinput', '--username', name]), 1, /^Error: That username is already taken\.$/);
    }
    assert.equal((await listUsers(dir)).length, 1);
  });

  test('createsuperuser --noinput needs --username and --email (usage errors, exit 2)', async () => {
    const dir = freshDataDir();
    assertFails(await manage(dir, ['createsuperuser', '--noinput', '--email', 'a@example.com']), 2, /You must use --username with --noinput\./);
    assertFails(await manage(dir, ['createsuperuser', '--no-input', '--username', 'a']), 2, /You must use --email with --noinput\./);
    // …or SUPERUSER_USERNAME / SUPERUSER_EMAIL, as Django's DJANGO_SUPERUSER_*.
    const r = await manage(dir, ['createsuperuser', '--noinput'], { env: { SUPERUSER_USERNAME: 'boss', SUPERUSER_EMAIL: 'boss@example.com', SUPERUSER_PASSWORD: STRONG } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await listUsers(dir))[0]!.username, 'boss');
  });

  test('without SUPERUSER_PASSWORD the superuser is created with an unusable password', async () => {
    const dir = freshDataDir();
    const r = await manage(dir, ['createsuperuser', '--noinput', '--username', 'admin', '--email', '']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Superuser created successfully.\n'admin' has no usable password: set one with changepassword.\n");
  });

  test("a weak SUPERUSER_PASSWORD is refused with Django's messages, and never printed", async () => {
    const dir = freshDataDir();
    const r = await manage(dir, ['createsuperuser', '--noinput', '--username', 'admin', '--email', 'admin@example.com'], { env: { SUPERUSER_PASSWORD: 'admin123' } });
    assertFails(r, 1, /the password in SUPERUSER_PASSWORD was refused: The password is too similar to the username\. This password is too common\.$/);
    assert.ok(!r.stderr.includes('admin123'));
    assert.deepEqual(await listUsers(dir), []);
  });

  test('createuser sets --staff and --inactive, never superuser; --password-from-env names the variable', async () => {
    const dir = freshDataDir();
    const r = await manage(dir, ['createuser', '--noinput', '--username', 'waiter', '--email', 'w@example.com', '--staff', '--password-from-env', 'WAITER_PW'], { env: { WAITER_PW: STRONG } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'User created successfully.\n');
    assert.equal((await manage(dir, ['createuser', '--noinput', '--username', 'off', '--inactive'])).code, 0);
    const users = await listUsers(dir);
    assert.deepEqual(users.map((u) => [u.username, u.is_staff, u.is_superuser, u.is_active]), [['waiter', true, false, true], ['off', false, false, false]]);
    assertFails(await manage(dir, ['createuser', '--noinput', '--username', 'nopw', '--password-from-env', 'MISSING_PW']), 1, /environment variable MISSING_PW is not set/);
  });

  test('flushexpiredtokens says how many it deleted', async () => {
    const r = await manage(freshDataDir(), ['flushexpiredtokens']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Deleted 0 expired outstanding tokens.\n');
  });
});

describe('manage: interactive prompts read from stdin when it is not a terminal', { concurrency }, () => {
  test("createsuperuser asks again after a mismatch and a refused password, as Django's", async () => {
    const dir = freshDataDir();
    const input = ['chef', 'Chef@Example.COM', 'one-pass-1!', 'other-pass-2!', 'qwerty', 'qwerty', 'N', STRONG, STRONG, ''].join('\n');
    const r = await manage(dir, ['createsuperuser'], { input });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Username \(leave blank to use '[^']+'\): \nEmail address: \nPassword: \nPassword \(again\): \n/);
    assert.match(r.stdout, /Bypass password validation and create user anyway\? \[y\/N\]: \n/);
    assert.match(r.stdout, /Superuser created successfully\.\n$/);
    assert.equal(
      r.stderr,
      [
        "Error: Your passwords didn't match.",
        'This password is too short. It must contain at least 8 characters.',
        'This password is too common.',
        '',
      ].join('\n'),
    );
    for (const secret of [STRONG, 'one-pass-1!', 'qwerty']) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'no password echoed');
    assert.deepEqual((await listUsers(dir)).map((u) => [u.username, u.email, u.is_superuser]), [['chef', 'Chef@example.com', true]]);
  });

  test('answering y to the bypass question keeps the weak password', async () => {
    const dir = freshDataDir();
    const r = await manage(dir, ['createsuperuser', '--username', 'weak', '--email', ''], { input: 'lemon\nlemon\ny\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/Password: /g)?.length, 1);
    assert.equal((await listUsers(dir)).length, 1);
  });

  test('a blank username takes the default (the system user), and a bad or taken one is asked again', async () => {
    const dir = freshDataDir();
    await superuser(dir, 'taken');
    const input = ['Taken', 'bad name', '', 'nobody@example.com', STRONG, STRONG, ''].join('\n');
    const r = await manage(dir, ['createuser'], { input, env: { LOGNAME: 'Chef' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/Username \(leave blank to use 'chef'\): /g)?.length, 3);
    assert.equal(r.stderr, 'Error: That username is already taken.\nError: Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.\n');
    assert.deepEqual((await listUsers(dir)).map((u) => [u.username, u.is_staff]), [['taken', true], ['chef', false]]);
  });

  test('input that ends before the last answer is an error, and nothing is created', async () => {
    const dir = freshDataDir();
    const r = await manage(dir, ['createsuperuser'], { input: 'chef\nchef@example.com\n' });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error: input ended before every question was answered (use --noinput to run without prompts)\n');
    assert.deepEqual(await listUsers(dir), []);
  });

  test('the command exits once it has its answers, even if stdin stays open', async () => {
    // A hang fails through manage()'s timeout; a wall-clock bound here would only measure load.
    const dir = freshDataDir();
    const r = await manage(dir, ['createsuperuser', '--username', 'open', '--email', ''], { input: `${STRONG}\n${STRONG}\n`, keepStdinOpen: true });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await listUsers(dir))[0]!.username, 'open');
  });

  test('changepassword allows 3 attempts, then aborts (exit 1)', async () => {
    const dir = freshDataDir();
    await superuser(dir, 'mario');
    const input = ['a-Long-pass-1', 'a-Long-pass-2', '12345678', '12345678', 'mario', 'mario', ''].join('\n');
    const r = await manage(dir, ['changepassword', 'mario'], { input });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Changing password for user 'mario'\n/);
    assert.match(r.stdout, /Passwords do not match\. Please try again\./);
    assert.match(r.stderr, /This password is entirely numeric\./);
    assert.match(r.stderr, /The password is too similar to the username\./);
    assert.match(r.stderr, /Error: Aborting password change for user 'mario' after 3 attempts\n$/);
  });

  test('changepassword --noinput reads NEW_PASSWORD and applies the validators', async () => {
    const dir = freshDataDir();
    await superuser(dir, 'mario');
    assertFails(await manage(dir, ['changepassword', 'mario', '--noinput']), 1, /environment variable NEW_PASSWORD is not set/);
    assertFails(await manage(dir, ['changepassword', 'mario', '--noinput'], { env: { NEW_PASSWORD: 'password' } }), 1, /This password is too common\./);
    const ok = await manage(dir, ['changepassword', 'mario', '--noinput'], { env: { NEW_PASSWORD: OTHER_STRONG } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "Password changed successfully for user 'mario'\n");
  });
});

describe('manage: the server sees what the CLI did', () => {
  const dataDir = freshDataDir();
  let app: App;
  let server: http.Server;
  let url: string;

  before(async () => {
    await superuser(dataDir, 'admin');
    // The same settings the CLI read: DATA_DIR alone decides the database.
    app = await createApp(loadSettings({ DATA_DIR: dataDir, SECRET_KEY, LOG_LEVEL: 'silent' }));
    server = http.createServer(app.koa.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await app.close();
  });

  const post = async (path: string, body: unknown) => {
    const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };

  test('a superuser created by the CLI logs in over HTTP (POST /api/token/)', async () => {
    const ok = await post('/api/token/', { username: 'admin', password: STRONG });
    assert.equal(ok.status, 200);
    assert.equal(typeof ok.body.access, 'string');
    assert.equal(typeof ok.body.refresh, 'string');
    assert.equal((await post('/api/token/', { username: 'admin', password: 'wrong-password' })).status, 401);
  });

  test('a key printed by createtoken authenticates requests', async () => {
    const r = await manage(dataDir, ['createtoken', 'admin']);
    const key = /token ([0-9a-f]{40}) /.exec(r.stdout)![1]!;
    const res = await fetch(`${url}/api/secret/`, { headers: { authorization: `Token ${key}` } });
    assert.equal(res.status, 200);
  });

  test('a user without a password cannot log in', async () => {
    assert.equal((await manage(dataDir, ['createuser', '--noinput', '--username', 'nopass'])).code, 0);
    assert.equal((await post('/api/token/', { username: 'nopass', password: '!' })).status, 401);
  });

  test('changepassword without LOGOUT_ON_PASSWORD_CHANGE keeps the keys and JWTs in use, as set_password does', async () => {
    const before = await post('/api/token/', { username: 'admin', password: STRONG });
    assert.equal(before.status, 200);
    const r = await manage(dataDir, ['changepassword', 'admin', '--noinput'], { env: { NEW_PASSWORD: STRONG } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await post('/api/token/refresh/', { refresh: before.body.refresh })).status, 200);
    const res = await fetch(`${url}/api/secret/`, { headers: { authorization: `Bearer ${before.body.access}` } });
    assert.equal(res.status, 200);
  });

  test('changepassword takes effect at once and, with LOGOUT_ON_PASSWORD_CHANGE, ends the sessions as the API does', async () => {
    const before = await post('/api/token/', { username: 'admin', password: STRONG });
    assert.equal(before.status, 200);
    const r = await manage(dataDir, ['changepassword', 'admin', '--noinput'], { env: { NEW_PASSWORD: OTHER_STRONG, LOGOUT_ON_PASSWORD_CHANGE: 'true' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await post('/api/token/', { username: 'admin', password: STRONG })).status, 401);
    assert.equal((await post('/api/token/', { username: 'admin', password: OTHER_STRONG })).status, 200);
    const refreshed = await post('/api/token/refresh/', { refresh: before.body.refresh });
    assert.equal(refreshed.status, 401);
    assert.equal(refreshed.body.detail, 'Token is blacklisted');
    const res = await fetch(`${url}/api/secret/`, { headers: { authorization: `Bearer ${before.body.access}` } });
    assert.equal(res.status, 401);
  });

  test('flushexpiredtokens deletes the expired refresh tokens, and only those', async () => {
    // A second instance on the same database whose clock is a minute behind, issuing refresh
    // tokens that last one second: by the command's (real) clock they expired 59 seconds ago.
    const behind = new ManualClock(Date.now() - 60_000);
    const shortLived = await createApp(loadSettings({ DATA_DIR: dataDir, SECRET_KEY, LOG_LEVEL: 'silent', REFRESH_TOKEN_LIFETIME: '1' }), { clock: behind });
    try {
      await shortLived.services.jwt.obtainPair(1);
    } finally {
      await shortLived.close();
    }
    const r = await manage(dataDir, ['flushexpiredtokens']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Deleted 1 expired outstanding token.\n');
    assert.equal((await manage(dataDir, ['flushexpiredtokens'])).stdout, 'Deleted 0 expired outstanding tokens.\n');
    // The day-long tokens of the main server are still there: it still refreshes them.
    const pair = await post('/api/token/', { username: 'admin', password: OTHER_STRONG });
    assert.equal((await post('/api/token/refresh/', { refresh: pair.body.refresh })).status, 200);
  });
});
