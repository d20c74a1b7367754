/** src/decimal.ts: DRF DecimalField's reading, digit counting and messages; exact cents. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decimalError, fromCents, parseDecimal, parsePythonInt, pySplit, pyStrip, toCents, type DecimalRules } from '../../src/decimal';

/** The menu item's price: DecimalField(max_digits=6, decimal_places=2, min_value=0). */
const PRICE: DecimalRules = { maxDigits: 6, decimalPlaces: 2, minimum: '0' };

const INVALID = 'A valid number is required.';
const TOTAL = 'Ensure that there are no more than 6 digits in total.';
const PLACES = 'Ensure that there are no more than 2 decimal places.';
const WHOLE = 'Ensure that there are no more than 4 digits before the decimal point.';
const MIN = 'Ensure this value is greater than or equal to 0.';

describe('decimalError with the price rules', () => {
  for (const ok of ['0', '0.00', '0.0', '5', '5.5', '5.50', '1234.5', '9999.99', '0.01', '.5', '5.', '+5.5', '00012.50', '1E+3', '1.5e1', '50e-2']) {
    test(`accepts ${JSON.stringify(ok)}`, () => {
      assert.equal(decimalError(ok, PRICE), null);
    });
  }

  const refused: [string, string][] = [
    ['12345.67', TOTAL],
    ['1234567', TOTAL],
    ['0.0000001', TOTAL], // 7 places count as 7 digits, checked before the places
    ['1.234', PLACES],
    ['1.230', PLACES], // trailing zeros count, as in Python's Decimal
    ['0.001', PLACES],
    ['99999', WHOLE],
    ['10000.0', WHOLE],
    ['0E+5', WHOLE], // zero with an exponent has as many whole digits as Python counts
    ['1E+4', WHOLE],
    ['1e1000000000', TOTAL], // an exponent of any size is a number, just a long one
    ['1e-1000000000', TOTAL],
    ['-1', MIN],
    ['-0.01', MIN],
    ['abc', INVALID],
    ['NaN', INVALID],
    ['nan', INVALID],
    ['sNaN', INVALID],
    ['Infinity', INVALID],
    ['-Infinity', INVALID],
    ['inf', INVALID],
    ['', INVALID],
    ['   ', INVALID],
    ['.', INVALID],
    ['1 0', INVALID],
    ['1,5', INVALID],
    ['0x10', INVALID],
    ['1e', INVALID],
    ['--1', INVALID],
    ['5.5.5', INVALID],
  ];
  for (const [text, message] of refused) {
    test(`refuses ${JSON.stringify(text)} with "${message}"`, () => {
      assert.equal(decimalError(text, PRICE), message);
    });
  }

  test('minus zero is not below zero', () => {
    assert.equal(decimalError('-0', PRICE), null);
    assert.equal(decimalError('-0.00', PRICE), null);
  });

  test('a string over 1000 characters is "String value too large." before anything else', () => {
    assert.equal(decimalError('1'.repeat(1001), PRICE), 'String value too large.');
    assert.equal(decimalError(` ${'1'.repeat(1000)} `, PRICE), TOTAL); // measured after stripping
  });

  test('reads text as Python\'s Decimal: whitespace stripped, underscores ignored, any Unicode digit', () => {
    assert.equal(decimalError('  5.5\n', PRICE), null);
    assert.equal(decimalError('\x1f5.5', PRICE), null); // Python strips \x1c-\x1f
    assert.equal(decimalError('1_000.5', PRICE), null);
    assert.equal(decimalError('١٢.٥', PRICE), null); // Arabic-Indic digits
    assert.equal(decimalError('１２', PRICE), null); // full-width digits
    assert.equal(decimalError('١٢٣٤٥', PRICE), WHOLE);
  });

  test('checks a maximum too, with DRF\'s message', () => {
    const rules: DecimalRules = { maxDigits: 5, decimalPlaces: 2, minimum: '1', maximum: '100.00' };
    assert.equal(decimalError('100', rules), null);
    assert.equal(decimalError('100.01', rules), 'Ensure this value is less than or equal to 100.00.');
    assert.equal(decimalError('0.99', rules), 'Ensure this value is greater than or equal to 1.');
    assert.equal(decimalError('1234.5', rules), 'Ensure that there are no more than 3 digits before the decimal point.');
  });
});

describe('parseDecimal', () => {
  test('gives Python\'s digits and exponent', () => {
    assert.deepEqual(parseDecimal('0.00'), { negative: false, digits: '0', exponent: -2 });
    assert.deepEqual(parseDecimal('00.50'), { negative: false, digits: '50', exponent: -2 });
    assert.deepEqual(parseDecimal('-1.0E+2'), { negative: true, digits: '10', exponent: 1 });
    assert.deepEqual(parseDecimal('1_0.0_5'), { negative: false, digits: '1005', exponent: -2 });
  });
  test('is null for what is not a finite number', () => {
    for (const text of ['', 'Inf', 'NaN', '1..2', '١.٢.٣', '+', 'e5']) assert.equal(parseDecimal(text), null, text);
  });
});

describe('Python\'s string helpers', () => {
  test('pyStrip strips what Python\'s str.strip strips, and keeps the byte-order mark', () => {
    assert.equal(pyStrip('\t\x1c 5 \x85\u3000'), '5');
    assert.equal(pyStrip('\ufeff5'), '\ufeff5');
  });
  test('pySplit splits on runs of whitespace, as str.split()', () => {
    assert.deepEqual(pySplit('  chicken \t soup\n'), ['chicken', 'soup']);
    assert.deepEqual(pySplit('   '), []);
  });
  test('parsePythonInt reads as int(): sign, whitespace, single underscores, Unicode digits', () => {
    assert.equal(parsePythonInt('2'), 2);
    assert.equal(parsePythonInt(' +2 '), 2);
    assert.equal(parsePythonInt('-3'), -3);
    assert.equal(parsePythonInt('007'), 7);
    assert.equal(parsePythonInt('1_0'), 10);
    assert.equal(parsePythonInt('٣'), 3);
    for (const bad of ['', ' ', '1.0', '2.5', 'abc', '1__0', '_1', '1_', '0x10', '1e3', 'last']) {
      assert.equal(parsePythonInt(bad), null, bad);
    }
  });
});

describe('cents', () => {
  test('toCents is exact: no binary float on the way', () => {
    assert.equal(toCents('5.5'), 550);
    assert.equal(toCents('0.1'), 10);
    assert.equal(toCents('0.29'), 29); // 0.29 * 100 is 28.999999999999996 in floating point
    assert.equal(toCents('1.15'), 115);
    assert.equal(toCents('9999.99'), 999999);
    assert.equal(toCents('1E+3'), 100000);
    assert.equal(toCents('50e-2'), 50);
    assert.equal(toCents('1.230'), 123);
    assert.equal(toCents('-0'), 0);
    assert.equal(toCents('-1.5'), -150);
  });
  test('toCents refuses to round', () => {
    assert.throws(() => toCents('1.234'), RangeError);
    assert.throws(() => toCents('abc'), RangeError);
  });
  test('fromCents renders two places, as DRF\'s quantized string', () => {
    assert.equal(fromCents(550), '5.50');
    assert.equal(fromCents(0), '0.00');
    assert.equal(fromCents(5), '0.05');
    assert.equal(fromCents(999999), '9999.99');
    assert.equal(fromCents(-150), '-1.50');
    assert.throws(() => fromCents(1.5), RangeError);
  });
});
