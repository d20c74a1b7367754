/** Query strings (src/api/query.ts): one parse, read as Python's parse_qs and the WHATWG form parser read them. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromWire, parseQs, parseQuery, quotePlus, unquotePlus, urlencodeSorted } from '../../../src/api/query';

describe('parseQuery: one value per name, the last one (Django QueryDict.get)', () => {
  test('a repeated name counts by its last value; a bare name is empty; empty fields are skipped', () => {
    assert.deepEqual(parseQuery('page=1&page=3&&search&=x&a=b=c'), { page: '3', search: '', '': 'x', a: 'b=c' });
    assert.deepEqual(parseQuery(''), {});
  });

  test('+ is a space, %XX a byte of UTF-8; what does not decode is U+FFFD, a stray % stays', () => {
    assert.deepEqual(parseQuery('q=a+b%2Bc&e=%E2%82%AC&bad=%C0%AF&stray=100%&zz=%ZZ'), { q: 'a b+c', e: '€', bad: '\ufffd\ufffd', stray: '100%', zz: '%ZZ' });
  });

  test('reads an ASCII query as the WHATWG form parser does (URLSearchParams, last value per name)', () => {
    // Not beyond ASCII: Node's URLSearchParams reads a character there as its low byte once a `%` is present.
    const chars = fc.constantFrom('a', 'b', '=', '&', '+', '%', '2', 'F', 'Z', 'C', '0', ' ', '%2', '%41', '%C3%A9', '%FF', '%E2%82');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 30 }).map((parts) => parts.join('')), (qs) => {
        const expected = Object.fromEntries(new URLSearchParams(qs));
        assert.deepEqual(parseQuery(qs), expected, qs);
      }),
      { seed: 1129, numRuns: 2000 },
    );
  });

  test('characters beyond ASCII are text, as Python reads a str: only %XX are bytes', () => {
    assert.deepEqual(parseQuery('q=é%FF&e=€'), { q: 'é\ufffd', e: '€' });
  });

  test('a name __proto__ changes no prototype', () => {
    const parsed = parseQuery('__proto__=x&constructor=y');
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});

describe('fromWire: the query as Node read it (a byte per character) decoded as UTF-8, as Django decodes QUERY_STRING', () => {
  test('raw UTF-8 bytes become their characters, bytes that are not UTF-8 U+FFFD, ASCII stays as it is', () => {
    const wire = (bytes: number[]) => Buffer.from(bytes).toString('latin1');
    assert.equal(fromWire(wire([0x71, 0x3d, 0xc3, 0xa9])), 'q=é');
    assert.equal(fromWire(wire([0x71, 0x3d, 0xe9])), 'q=\ufffd');
    assert.equal(parseQuery(fromWire(`${wire([0x71, 0x3d, 0xc3, 0xa9])}%FF`)).q, 'é\ufffd');
    const ascii = 'page=2&search=%C3%A9';
    assert.equal(fromWire(ascii), ascii);
  });
});

describe("parseQs: Python's parse_qs(keep_blank_values=True)", () => {
  test('every value per name, names in first-seen order', () => {
    assert.deepEqual([...parseQs('b=1&a=2&b=3&c')], [['b', ['1', '3']], ['a', ['2']], ['c', ['']]]);
  });
});

describe('unquotePlus and quotePlus: Python quoting', () => {
  test('unquote_plus', () => {
    assert.equal(unquotePlus('%E2%82%AC+x'), '€ x');
    assert.equal(unquotePlus('%ZZ%4'), '%ZZ%4');
    assert.equal(unquotePlus('caf%C3%A9%FF'), 'café\ufffd');
    assert.equal(unquotePlus('é%A9'), 'é\ufffd');
  });

  test("quote_plus: everything but letters, digits and _.-~ escaped, a space as +", () => {
    assert.equal(quotePlus("a b/c~é!*'()_.-"), 'a+b%2Fc~%C3%A9%21%2A%27%28%29_.-');
    fc.assert(fc.property(fc.string(), (s) => assert.equal(unquotePlus(quotePlus(s.replace(/[\ud800-\udfff]/g, ''))), s.replace(/[\ud800-\udfff]/g, ''))), { seed: 1129 });
  });

  test('urlencode(sorted(...), doseq=True): names by code point, each value its own field', () => {
    const params = new Map([['b', ['2', '1']], ['\uff21', ['x']], ['\u{10000}', ['y']], ['a', ['']]]);
    assert.equal(urlencodeSorted(params), 'a=&b=2&b=1&%EF%BC%A1=x&%F0%90%80%80=y');
  });
});
