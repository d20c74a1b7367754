/** DRF's link helpers (src/hosts.ts): replace_query_param and remove_query_param, as DRF writes the URLs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeQueryParam, replaceQueryParam } from '../../src/hosts';

test('replaceQueryParam sets one value and re-encodes the query with its names sorted, as DRF does', () => {
  assert.equal(replaceQueryParam('http://h/api/menu-items?page_size=2&search=a+b&a=1&a=2', 'page', '3'), 'http://h/api/menu-items?a=1&a=2&page=3&page_size=2&search=a+b');
  assert.equal(replaceQueryParam('http://h/p?page=1&page=2', 'page', '3'), 'http://h/p?page=3');
  assert.equal(replaceQueryParam('http://h/p', 'page', '2'), 'http://h/p?page=2');
  // Python's quote_plus: `~` stays, `/` and `'` are escaped, a blank value is kept.
  assert.equal(replaceQueryParam("http://h/p?q=%7E/'&empty", 'page', '2'), 'http://h/p?empty=&page=2&q=~%2F%27');
});

test('removeQueryParam drops every value of the name, and the ? with the last one', () => {
  assert.equal(removeQueryParam('http://h/p?page=2&page_size=5', 'page'), 'http://h/p?page_size=5');
  assert.equal(removeQueryParam('http://h/p?page=2', 'page'), 'http://h/p');
  assert.equal(removeQueryParam('http://h/p', 'page'), 'http://h/p');
});

test('a fragment is kept after the query, as urlunsplit puts it', () => {
  assert.equal(replaceQueryParam('http://h/p?b=1#top', 'a', '2'), 'http://h/p?a=2&b=1#top');
  assert.equal(removeQueryParam('http://h/p?a=1#top', 'a'), 'http://h/p#top');
});
