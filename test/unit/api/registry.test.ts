/** The registry of the spec's extensions (src/api/registry.ts): each value checked, each place found. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ImproperlyConfigured } from '../../../src/errors';
import {
  checkExtensions,
  EXTENSIONS,
  extensionsIn,
  read,
  X_DECIMAL,
  X_GROUP,
  X_GROUPS,
  X_OBJECT,
  X_PROHIBIT_CHARS,
  X_ROLES,
  X_THROTTLE_KINDS,
  X_THROTTLE_RATES,
  X_THROTTLE_SCOPE,
  X_TRIM,
  type Extension,
} from '../../../src/api/registry';

function refuses(extension: Extension, value: unknown, message: RegExp = new RegExp(`^/here must be`)): void {
  assert.throws(() => extension.read(value, '/here'), (err: unknown) => err instanceof ImproperlyConfigured && message.test(err.message), `${extension.name} accepted ${JSON.stringify(value)}`);
}

describe('each extension reads its value or refuses it, naming where it stands', () => {
  test('x-roles: a non-empty list of names', () => {
    assert.deepEqual(X_ROLES.read(['admin', 'Manager'], '/here'), ['admin', 'Manager']);
    for (const value of [[], 'admin', [''], [1], null]) refuses(X_ROLES, value);
  });

  test('x-object: a loader name and an optional hidden flag', () => {
    assert.deepEqual(X_OBJECT.read({ load: 'user', hidden: true }, '/here'), { load: 'user', hidden: true });
    assert.deepEqual(X_OBJECT.read({ load: 'menuItem' }, '/here'), { load: 'menuItem', hidden: false });
    for (const value of [{}, { load: 1 }, { load: 'user', hidden: 'yes' }, ['user'], 'user']) refuses(X_OBJECT, value);
  });

  test('x-groups: distinct names; x-group: one name', () => {
    assert.deepEqual(X_GROUPS.read(['Manager', 'Delivery crew'], '/here'), ['Manager', 'Delivery crew']);
    for (const value of [[], ['Manager', 'Manager'], 'Manager']) refuses(X_GROUPS, value);
    assert.equal(X_GROUP.read('Manager', '/here'), 'Manager');
    for (const value of ['', ['Manager'], null]) refuses(X_GROUP, value);
  });

  test('x-throttle-scope: one scope, or a list of scopes (empty: none)', () => {
    assert.deepEqual(X_THROTTLE_SCOPE.read('ten', '/here'), ['ten']);
    assert.deepEqual(X_THROTTLE_SCOPE.read(['anon', 'login'], '/here'), ['anon', 'login']);
    assert.deepEqual(X_THROTTLE_SCOPE.read([], '/here'), []);
    for (const value of ['', [''], { ten: 1 }, 10]) refuses(X_THROTTLE_SCOPE, value);
  });

  test('x-throttle-rates: a rate or a list of windows per scope, in the rate syntax', () => {
    assert.deepEqual(X_THROTTLE_RATES.read({ ten: '10/minute', login: ['5/minute', '100/day'] }, '/here'), { ten: ['10/minute'], login: ['5/minute', '100/day'] });
    refuses(X_THROTTLE_RATES, ['10/minute']);
    refuses(X_THROTTLE_RATES, { ten: [] }, /^\/here\/ten must be a rate or a list of rates/);
    refuses(X_THROTTLE_RATES, { ten: '10/fortnight' }, /"10\/fortnight"/);
  });

  test('x-throttle-kinds: a known kind per scope', () => {
    assert.deepEqual(X_THROTTLE_KINDS.read({ anon: 'anon', mail: 'email' }, '/here'), { anon: 'anon', mail: 'email' });
    refuses(X_THROTTLE_KINDS, { anon: 'per_ip' }, /x-throttle-kinds\.anon: unknown kind "per_ip"/);
    refuses(X_THROTTLE_KINDS, ['anon']);
  });

  test('x-decimal: digits and places as counts, bounds as decimal strings', () => {
    const rules = { maxDigits: 6, decimalPlaces: 2, minimum: '0' };
    assert.deepEqual(X_DECIMAL.read(rules, '/here'), rules);
    for (const value of [{ maxDigits: 6 }, { maxDigits: 2, decimalPlaces: 3 }, { maxDigits: 6, decimalPlaces: 2, minimum: 0 }, { maxDigits: 6, decimalPlaces: 2, maximum: 'lots' }, { maxDigits: -1, decimalPlaces: 0 }]) {
      refuses(X_DECIMAL, value);
    }
  });

  test('x-trim: a boolean; x-prohibit-chars: true', () => {
    assert.equal(X_TRIM.read(false, '/here'), false);
    refuses(X_TRIM, 'no');
    assert.equal(X_PROHIBIT_CHARS.read(true, '/here'), true);
    refuses(X_PROHIBIT_CHARS, false);
  });

  test('read() gives undefined when the node does not carry the extension, and names the key when it is malformed', () => {
    assert.equal(read(X_ROLES, {}, '/paths/~1a/get'), undefined);
    assert.throws(() => read(X_ROLES, { 'x-roles': [] }, '/paths/~1a/get'), (err: Error) => /^\/paths\/~1a\/get\/x-roles must be/.test(err.message));
  });
});

test('every extension is registered once, with its places, meaning, what it builds, and a text unless internal', () => {
  assert.equal(EXTENSIONS.size, 10);
  for (const [name, e] of EXTENSIONS) {
    assert.equal(e.name, name);
    assert.match(name, /^x-[a-z-]+$/);
    assert.ok(e.places.length > 0 && e.meaning && e.builds, name);
    assert.equal(e.doc === null, e.internal, `${name}: an internal extension has no text, every other one has`);
  }
  assert.deepEqual([...EXTENSIONS.values()].filter((e) => e.internal).map((e) => e.name), ['x-prohibit-chars']);
});

describe('extensionsIn finds every x- key with its place', () => {
  const document = {
    'x-roles': ['authenticated'],
    info: { title: 't', 'x-logo': {} },
    paths: {
      '/a/{id}': {
        'x-note': 1,
        parameters: [{ name: 'id', in: 'path', schema: { type: 'integer', 'x-trim': false } }],
        get: {
          'x-roles': ['anyone'],
          'x-throttle-scope': 'ten',
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { 'x-field': { type: 'string', 'x-trim': false } } } } } },
          responses: { '200': { description: 'ok', 'x-extra': true } },
        },
      },
    },
    components: {
      schemas: {
        Price: { type: 'string', 'x-decimal': { maxDigits: 6, decimalPlaces: 2 }, example: { 'x-not-an-extension': 1 } },
        List: { type: 'array', items: { allOf: [{ type: 'string', 'x-trim': true }] } },
      },
    },
  };
  const found = extensionsIn(document).map(({ name, place, where }) => `${where} ${name} ${place}`);

  test('at the root, on path items, on operations, and on schemas at any depth', () => {
    assert.deepEqual(found.sort(), [
      '/components/schemas/List/items/allOf/0/x-trim x-trim schema',
      '/components/schemas/Price/x-decimal x-decimal schema',
      '/info/x-logo x-logo null',
      '/paths/~1a~1{id}/get/requestBody/content/application~1json/schema/properties/x-field/x-trim x-trim schema',
      '/paths/~1a~1{id}/get/responses/200/x-extra x-extra null',
      '/paths/~1a~1{id}/get/x-roles x-roles operation',
      '/paths/~1a~1{id}/get/x-throttle-scope x-throttle-scope operation',
      '/paths/~1a~1{id}/parameters/0/schema/x-trim x-trim schema',
      '/paths/~1a~1{id}/x-note x-note path item',
      '/x-roles x-roles root',
    ]);
  });

  test('a property named x-… is a name, and examples are data: neither is an extension', () => {
    assert.ok(!found.some((f) => f.includes(' x-field ') || f.includes('x-not-an-extension')));
  });
});

describe('checkExtensions', () => {
  const base = { openapi: '3.0.3', 'x-groups': ['Manager'], paths: { '/a': { get: { 'x-roles': ['anyone'], 'x-group': 'Manager' } } } };

  test('accepts registered extensions in their places', () => {
    assert.doesNotThrow(() => checkExtensions(base));
  });

  const cases: [string, unknown, RegExp][] = [
    ['an unknown one', { ...base, 'x-throttle': ['ten'] }, /^\/x-throttle: unknown extension x-throttle/],
    ['one out of its place', { ...base, paths: { '/a': { 'x-roles': ['anyone'] } } }, /^\/paths\/~1a\/x-roles: x-roles belongs on root or operation, not path item/],
    ['one where no extension belongs', { ...base, info: { 'x-group': 'Manager' } }, /^\/info\/x-group: x-group belongs on operation, not here/],
    ['an internal one', { ...base, components: { schemas: { S: { type: 'string', 'x-prohibit-chars': true } } } }, /x-prohibit-chars is added by the service/],
    ['a malformed one', { ...base, paths: { '/a': { get: { 'x-object': 'user' } } } }, /^\/paths\/~1a\/get\/x-object must be/],
  ];
  for (const [what, document, message] of cases) {
    test(`refuses ${what} with ImproperlyConfigured naming it`, () => {
      assert.throws(() => checkExtensions(document), (err: unknown) => err instanceof ImproperlyConfigured && message.test(err.message));
    });
  }
});
