/**
 * The forms openapi.yaml declares for request values agree with DRF's reading of them (#15):
 * each string a declared pattern accepts is one DRF's field reads as a valid value, and each
 * value DRF reads that is written in the plain form the spec offers (ASCII digits, no exponent,
 * no underscore, ASCII spaces around it) matches the pattern. So the standard keywords say what
 * x-decimal and the integer bounds say, for every tool that reads only them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decimalError, parsePythonInt, type DecimalRules } from '../../../src/decimal';
import { asRead } from '../../../src/api/validate';
import { loadSpec } from '../../../src/spec';

const schemas = loadSpec().document.components.schemas;

/** The declared form of `name` with the given type. */
function form(name: string, type: string): Record<string, unknown> {
  const found = (schemas[name].anyOf as Record<string, unknown>[]).find((f) => f.type === type);
  assert.ok(found, `${name} declares no ${type} form`);
  return found;
}

/** As a validator without the u flag compiles it, and with it: the same meaning is asked of both. */
function patterns(source: unknown): RegExp[] {
  assert.equal(typeof source, 'string');
  return [new RegExp(source as string), new RegExp(source as string, 'u')];
}

const SPACE = [' ', '\t', '\n', '\r', '\f', '\v'];
const DIGITS = '0123456789'.split('');
/** Text made of what a decimal or an integer may be written with, and a few things it may not. */
const text = (extra: string[]) => fc.array(fc.constantFrom(...DIGITS, ...DIGITS, '.', '+', '-', ...extra), { maxLength: 9 }).map((a) => a.join(''));
const padded = (inner: fc.Arbitrary<string>) =>
  fc.tuple(fc.array(fc.constantFrom(...SPACE), { maxLength: 2 }), inner, fc.array(fc.constantFrom(...SPACE), { maxLength: 2 })).map(([a, b, c]) => a.join('') + b + c.join(''));

test('PriceInput: the string pattern accepts exactly the plain decimals DRF reads as valid prices', () => {
  const string = form('PriceInput', 'string');
  const rules = string['x-decimal'] as DecimalRules;
  const [plain, unicode] = patterns(string.pattern);
  fc.assert(
    fc.property(padded(text([])), (s) => {
      const drf = decimalError(s, rules) === null;
      assert.equal(plain.test(s), drf, `${JSON.stringify(s)}: DRF ${drf ? 'accepts' : 'refuses'} it`);
      assert.equal(unicode.test(s), plain.test(s));
    }),
    { numRuns: 20000 },
  );
  // Forms DRF reads that the spec does not offer: the pattern refuses them, and so does the service.
  for (const s of ['1e2', '1E+1', '1_0', '\u0661', '\u00a05', '5\u2003', 'NaN', 'Infinity']) assert.equal(plain.test(s), false, s);
  for (const s of ['0', '-0', '-0.00', '+5.5', '.5', '5.', '0012.50', '9999.99', ' 7 ']) assert.equal(plain.test(s), true, s);
});

test('PriceInput: the number form has the bounds of the decimal', () => {
  const number = form('PriceInput', 'number');
  const rules = form('PriceInput', 'string')['x-decimal'] as DecimalRules;
  assert.equal(decimalError(String(number.minimum), rules), null);
  assert.equal(decimalError(String(number.maximum), rules), null);
  assert.notEqual(decimalError(String((number.maximum as number) + 0.01), rules), null);
  assert.notEqual(decimalError(String((number.minimum as number) - 0.01), rules), null);
});

test('InventoryInput: the string pattern accepts exactly the plain integers DRF reads within the bounds', () => {
  const integer = form('InventoryInput', 'integer');
  const [plain, unicode] = patterns(form('InventoryInput', 'string').pattern);
  /** DRF's IntegerField: int() of the text once a trailing ".0…" is dropped, then the bounds. */
  const drf = (s: string) => {
    const n = parsePythonInt(s.replace(/\.0*\s*$/, ''));
    return n !== null && n >= (integer.minimum as number) && n <= (integer.maximum as number);
  };
  fc.assert(
    fc.property(padded(text([])), (s) => {
      assert.equal(plain.test(s), drf(s), `${JSON.stringify(s)}: DRF ${drf(s) ? 'accepts' : 'refuses'} it`);
      assert.equal(unicode.test(s), plain.test(s));
    }),
    { numRuns: 20000 },
  );
  for (let n = 0; n <= 40000; n += 1) assert.equal(plain.test(String(n)), n <= 32767, String(n));
  for (const s of ['1_000', '\u0661', '1e3', '0x10', '5 .0']) assert.equal(plain.test(s), false, s);
});

test('every anyOf of the request schemas lists typed forms, and the service reads each into its first', () => {
  const copy = structuredClone(loadSpec().document);
  asRead(copy);
  const read = copy.components.schemas;
  assert.deepEqual({ type: read.PriceInput.type, decimal: Boolean(read.PriceInput['x-decimal']), pattern: read.PriceInput.pattern }, { type: 'string', decimal: true, pattern: undefined });
  assert.equal(read.InventoryInput.type, 'integer');
  assert.equal(read.TitleInput.type, 'string');
  assert.equal(JSON.stringify(read).includes('"anyOf"'), false, 'an anyOf is left in the definition as read');
});
