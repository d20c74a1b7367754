import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BLANK, INVALID_EMAIL, INVALID_USERNAME, cleanUsername, emailErrors, groupNameErrors, usernameErrors } from '../../src/cli/fields';
import { normalizeEmail } from '../../src/services/users';

test("usernames: the API's rule (letters, digits, marks of any script and @/./+/-/_), at most 150 code points", () => {
  for (const ok of ['alice', 'a.b@c+d-e_f', 'José', 'Jose\u0301', 'Ωμέγα', '名字', '١٢٣', 'हिन्दी', 'x'.repeat(150)]) {
    assert.deepEqual(usernameErrors(ok), [], ok);
  }
  for (const bad of ['a b', 'a/b', 'a:b', 'a!b', 'tab\there', '🍋', 'admin\u034f', 'admin\ufe0f', '\u0301admin', 'ad\u200bmin', '\u3164']) {
    assert.deepEqual(usernameErrors(bad), [INVALID_USERNAME], bad);
  }
  assert.deepEqual(usernameErrors('x'.repeat(151)), ['Ensure this value has at most 150 characters (it has 151).']);
  assert.deepEqual(usernameErrors('x '.repeat(80)), [INVALID_USERNAME, 'Ensure this value has at most 150 characters (it has 160).']);
  assert.deepEqual(usernameErrors(''), [BLANK]);
});

test('usernames are stripped and NFKC-normalised, as Django normalize_username', () => {
  assert.equal(cleanUsername('  alice \n'), 'alice');
  assert.equal(cleanUsername('ｆｕｌｌ'), 'full');
  assert.equal(cleanUsername('ﬁne'), 'fine');
});

test("emails: Django's EmailValidator cases", () => {
  for (const ok of ['', 'email@here.com', 'weirder-email@here.and.there.com', 'email@[127.0.0.1]', 'email@[2001:dB8::1]', 'example@valid-----hyphens.com', 'test@domain.with.idn.tld.उदाहरण.परीक्षा', 'email@localhost', '"test@test"@example.com', 'a+b@x.co']) {
    assert.deepEqual(emailErrors(ok), [], ok);
  }
  for (const bad of ['abc', 'abc@', 'abc@bar', 'a @x.cz', 'abc@.com', 'something@@somewhere.com', 'email@127.0.0.1', 'email@[127.0.0.256]', 'example@invalid-.com', 'trailingdot@shouldfail.com.', 'test@example.com\n\n<script src="x.js">']) {
    assert.deepEqual(emailErrors(bad), [INVALID_EMAIL], JSON.stringify(bad));
  }
  const long = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`; // 260 characters, each part valid
  assert.deepEqual(emailErrors(long), [`Ensure this value has at most 254 characters (it has ${long.length}).`]);
});

test('normalizeEmail (the API\'s, which the commands share) strips and lowercases the domain only, as BaseUserManager.normalize_email', () => {
  assert.equal(normalizeEmail(' Chef@Example.COM '), 'Chef@example.com');
  assert.equal(normalizeEmail('no-at-sign'), 'no-at-sign');
});

test('group names: not blank, at most 150 characters', () => {
  assert.deepEqual(groupNameErrors('Manager'), []);
  assert.deepEqual(groupNameErrors(''), [BLANK]);
  assert.deepEqual(groupNameErrors('g'.repeat(151)), ['Ensure this value has at most 150 characters (it has 151).']);
});
