import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dictionary } from '@zxcvbn-ts/language-common';
import { commonPasswords, quickRatio, validatePassword } from '../../../src/passwords/validators';

const SHORT = 'This password is too short. It must contain at least 8 characters.';
const COMMON = 'This password is too common.';
const NUMERIC = 'This password is entirely numeric.';
const similar = (name: string) => `The password is too similar to the ${name}.`;
const nobody = {};

test('a strong password passes every validator', () => {
  assert.deepEqual(validatePassword('Tr0ub4dor&3-lemon-grove', { username: 'alice', email: 'alice@example.com', first_name: 'Alice', last_name: 'Liddell' }), []);
});

test('common-password dictionary has at least 20,000 lowercased, trimmed entries', () => {
  assert.ok(dictionary['passwords-common'].length >= 20_000);
  const set = commonPasswords();
  assert.ok(set.size >= 20_000, `only ${set.size} entries`);
  assert.equal(commonPasswords(), set, 'built once');
  assert.ok(set.has('password') && set.has('qwerty') && set.has('letmein'));
});

test('MinimumLengthValidator: 8 code points', () => {
  assert.deepEqual(validatePassword('x7#Kq!z', nobody), [SHORT]);
  assert.deepEqual(validatePassword('x7#Kq!zP', nobody), []);
  // 7 astral characters are 14 UTF-16 units but 7 characters, as Python counts them.
  assert.ok(validatePassword('🍋🍋🍋🍋🍋🍋🍋', nobody).includes(SHORT));
});

test('CommonPasswordValidator compares lowercased and stripped', () => {
  assert.deepEqual(validatePassword('baseball', nobody), [COMMON]);
  assert.deepEqual(validatePassword('  BaseBall ', nobody), [COMMON]);
  assert.deepEqual(validatePassword('password', nobody), [COMMON]);
});

test('NumericPasswordValidator, together with the other messages in Django order', () => {
  assert.deepEqual(validatePassword('12345678', nobody), [COMMON, NUMERIC]);
  assert.deepEqual(validatePassword('1234', nobody), [SHORT, COMMON, NUMERIC]);
  assert.deepEqual(validatePassword('90817263544536', nobody), [NUMERIC]);
  assert.deepEqual(validatePassword('1234567a8901', nobody), []);
});

test('UserAttributeSimilarityValidator: each attribute with its verbose name', () => {
  assert.deepEqual(validatePassword('alice2024', { username: 'alice' }), [similar('username')]);
  assert.deepEqual(validatePassword('JohnSmithers!', { first_name: 'John Smithers' }), [similar('first name')]);
  assert.deepEqual(validatePassword('Liddell-Q7', { last_name: 'liddell' }), [similar('last name')]);
  // The email is split on \W+: "marguerite" alone is similar enough.
  assert.deepEqual(validatePassword('Marguerite!', { email: 'marguerite@example.com' }), [similar('email address')]);
  // Only the first similar attribute is reported, in Django's order (username first).
  assert.deepEqual(validatePassword('alice2024', { email: 'alice@example.com', username: 'alice' }), [similar('username')]);
  // Combined with other validators' messages, similarity comes first.
  assert.deepEqual(validatePassword('qzwlx', { username: 'qzwlx' }), [similar('username'), SHORT]);
  // Missing / empty / null attributes are skipped.
  assert.deepEqual(validatePassword('alice2024', { username: null, email: '' }), []);
});

test('similarity threshold is quick_ratio >= 0.7, as difflib computes it', () => {
  // Values cross-checked with Python's difflib.SequenceMatcher(a, b).quick_ratio().
  const r = (a: string, b: string) => quickRatio(Array.from(a), Array.from(b));
  assert.equal(r('alice2024', 'alice'), 0.7142857142857143);
  assert.equal(r('johnsmith', 'john.smith@example.com'), 0.5806451612903226);
  assert.equal(r('xyzpassword', 'john'), 0.13333333333333333);
  assert.equal(r('', ''), 1);
  // Whole value 0.58 and part "jqhn" 0.62 pass, but part "smxth" reaches 0.714:
  assert.equal(r('jqhnsmxth', 'jqhn.smxth@example.com'), 0.5806451612903226);
  assert.equal(r('jqhnsmxth', 'smxth'), 0.7142857142857143);
  assert.deepEqual(validatePassword('jqhnsmxth', { email: 'jqhn.smxth@example.com' }), [similar('email address')]);
  assert.deepEqual(validatePassword('jqhnsmxth', { email: 'jqhn@example.com' }), []);
});

test("Django 4's length-ratio shortcut and \\W+ split, edge cases included", () => {
  // 'ab' vs a 20-character password: 20 >= 10*2 and 2 < 0.35*20, so never compared.
  assert.deepEqual(validatePassword('ab'.repeat(10), { username: 'ab' }), []);
  assert.deepEqual(validatePassword('abcdefgh', { username: 'abcdefg' }), [similar('username')]);
  // A huge password against short values stays cheap.
  const started = performance.now();
  assert.deepEqual(validatePassword('x9'.repeat(50_000), { username: 'bob', email: 'b@o.b' }), []);
  assert.ok(performance.now() - started < 500);
  // As in Django: "john." splits into ["john", ""], and an empty password vs the empty part
  // is not skipped (0 < 0 is false) and has quick_ratio 1.0.
  assert.deepEqual(validatePassword('', { email: 'john.' }), [similar('email address'), SHORT]);
  assert.deepEqual(validatePassword('', { email: 'john' }), [SHORT]);
  // Non-ASCII letters are word characters; lowercasing applies to them too.
  assert.deepEqual(validatePassword('WÅHLBERG!', { last_name: 'Zoë-Wåhlberg' }), [similar('last name')]);
});
