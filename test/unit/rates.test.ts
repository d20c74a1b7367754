/** The throttle rate syntax (src/rates.ts): DRF's `N/period`, and THROTTLE_RATES' overrides. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ImproperlyConfigured } from '../../src/errors';
import { parseRate, parseRatesOverride, parseWindows } from '../../src/rates';

describe('parseRate', () => {
  const valid: [string, number, number][] = [
    ['1/s', 1, 1],
    ['3/sec', 3, 1],
    ['3/second', 3, 1],
    ['3/seconds', 3, 1],
    ['10/m', 10, 60],
    ['10/min', 10, 60],
    ['10/minute', 10, 60],
    ['100/minutes', 100, 60],
    ['5/h', 5, 3600],
    ['5/hour', 5, 3600],
    ['1000/d', 1000, 86400],
    ['1000/day', 1000, 86400],
    [' 7/day ', 7, 86400],
  ];
  for (const [rate, points, durationSeconds] of valid) {
    test(`reads ${JSON.stringify(rate)} as ${points} per ${durationSeconds} s`, () => {
      assert.deepEqual(parseRate(rate), { points, durationSeconds });
    });
  }

  const invalid = ['abc', '', '0/minute', '-1/s', '5/fortnight', '5/', '/minute', '5', '1.5/s', '5/Minute', '5 / minute', '5/minute/2', '05/s', '1e3/s', '9999999999/s'];
  for (const rate of invalid) {
    test(`rejects ${JSON.stringify(rate)} with ImproperlyConfigured naming it`, () => {
      assert.throws(
        () => parseRate(rate),
        (err: unknown) => err instanceof ImproperlyConfigured && err.message.includes(JSON.stringify(rate)),
      );
    });
  }
});

describe('parseRatesOverride', () => {
  test('reads scopes, and joins the windows of one scope with +', () => {
    assert.deepEqual(parseRatesOverride('anon=100/minute,ten=3/second,login=5/minute+100/day'), {
      anon: ['100/minute'],
      ten: ['3/second'],
      login: ['5/minute', '100/day'],
    });
  });

  test('ignores whitespace and empty items, and reads an empty value as no overrides', () => {
    assert.deepEqual(parseRatesOverride(' anon = 2/min , , login=5/m + 100/d ,'), { anon: ['2/min'], login: ['5/m', '100/d'] });
    assert.deepEqual(parseRatesOverride(''), {});
  });

  test('keeps a scope called __proto__ as an ordinary key', () => {
    const parsed = parseRatesOverride('__proto__=1/s');
    assert.deepEqual(Object.keys(parsed), ['__proto__']);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  });

  const bad: [string, string][] = [
    ['anon', '"anon"'],
    ['=5/minute', '"=5/minute"'],
    ['a b=5/minute', '"a b=5/minute"'],
    ['ten=abc', '"abc"'],
    ['ten=10/fortnight', '"10/fortnight"'],
    ['login=5/minute+', '""'],
    ['ten=1/s,ten=2/s', 'given twice'],
    ['login=5/minute+10/min', 'same period'],
  ];
  for (const [value, named] of bad) {
    test(`rejects ${JSON.stringify(value)}, naming ${named}`, () => {
      assert.throws(
        () => parseRatesOverride(value),
        (err: unknown) => err instanceof ImproperlyConfigured && err.message.startsWith('THROTTLE_RATES') && err.message.includes(named),
      );
    });
  }
});

describe('parseWindows', () => {
  test('reads every window of a scope, in order', () => {
    assert.deepEqual(parseWindows('login', ['5/minute', '100/day']), [
      { points: 5, durationSeconds: 60 },
      { points: 100, durationSeconds: 86400 },
    ]);
  });

  const bad: [string, string[], RegExp][] = [
    ['a/b', ['1/s'], /"a\/b": a scope name is letters, digits/],
    ['ten', [], /"ten": no rate given/],
    ['ten', ['1/s', '2/sec'], /"ten": two windows of the same period/],
    ['ten', ['1/fortnight'], /"ten": Invalid throttle rate "1\/fortnight"/],
  ];
  for (const [scope, rates, message] of bad) {
    test(`rejects ${scope} = ${JSON.stringify(rates)} with ImproperlyConfigured naming the scope`, () => {
      assert.throws(() => parseWindows(scope, rates), (err: unknown) => err instanceof ImproperlyConfigured && message.test(err.message));
    });
  }
});
