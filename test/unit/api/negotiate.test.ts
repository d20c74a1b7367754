/**
 * negotiate(): which Accept headers admit JSON, range by range as DRF's _MediaType.match reads
 * them (type and subtype, the wildcard matching anything; parameters and q-values ignored).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate } from '../../../src/api/negotiate';
import { NotAcceptable } from '../../../src/errors';

const admits = (accept: string | undefined): boolean => {
  try {
    negotiate(accept);
    return true;
  } catch (err) {
    assert.ok(err instanceof NotAcceptable);
    return false;
  }
};

test('admit JSON: the wildcard ranges and application/json, in any case, with any parameters, anywhere in the list', () => {
  for (const accept of [
    undefined, '*/*', 'application/json', 'application/*', '*/json', 'Application/JSON', 'application/json;q=0', 'application/json; charset=utf-8',
    ' application/json ', '\tapplication/json\t;q=1', 'text/html, application/json', 'text/html,*/*;q=0.8', 'text/html ,\t*/* ', 'a/b,c/d,application/*;level=1',
  ]) assert.equal(admits(accept), true, JSON.stringify(accept));
});

test('admit no JSON: other types, near misses, malformed ranges, an empty header', () => {
  for (const accept of [
    '', ' ', 'text/html', 'text/*', 'application/xml', 'application/jsonx', 'application/json/x', 'xapplication/json', 'application/json-patch+json',
    'text/json', 'json', 'application', 'application / json', '*', ',', 'text/html;q=*/*', 'text/plain; x="application/json"',
  ]) assert.equal(admits(accept), false, JSON.stringify(accept));
});
