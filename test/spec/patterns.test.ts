/**
 * Every `pattern` the served spec declares means the same with and without the `u` flag (#15
 * item 3). JSON Schema says a pattern is an ECMA-262 regular expression, and tools compile it
 * either way: Ajv with `u`, orval's zod output without, where `\p{L}` is `p{L}` literally (the
 * former username pattern rejected `mario` and accepted `L{}`). Each pattern is compiled both
 * ways and must give the same answer on every sample string.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server';

const SAMPLES = [
  '',
  ' ',
  'mario',
  'Mario_1.@+-',
  'admin',
  '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b',
  '9944B09199C62BCF9418AD846DD0E4BBDFC6EE4B',
  '5.50',
  '-1',
  'José',
  'Ünïcödé',
  'e\u0301',
  'Ελένη',
  '山田',
  'L{}',
  'p{L}',
  '\\p{L}',
  'N{1}',
  '🍋',
  '😀x',
  'x😀',
  '\u{1F468}\u200D\u{1F373}',
  'a\u00A0b',
  'tab\there',
  'line\nbreak',
];

/** Why `source` means something else with the `u` flag than without it, or null. */
function disagreement(source: string): string | null {
  let plain: RegExp;
  let unicode: RegExp;
  try {
    plain = new RegExp(source);
  } catch (err) {
    return `does not compile without u: ${(err as Error).message}`;
  }
  try {
    unicode = new RegExp(source, 'u');
  } catch (err) {
    return `does not compile with u: ${(err as Error).message}`;
  }
  const differ = SAMPLES.filter((s) => plain.test(s) !== unicode.test(s));
  return differ.length ? `differs on ${differ.map((s) => JSON.stringify(s)).join(', ')}` : null;
}

/** Every string-valued `pattern` in the document, with its JSON pointer. */
function patterns(node: unknown, where = ''): [string, string][] {
  if (node === null || typeof node !== 'object') return [];
  const found: [string, string][] = [];
  for (const [key, value] of Object.entries(node)) {
    const here = `${where}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (key === 'pattern' && typeof value === 'string') found.push([here, value]);
    else found.push(...patterns(value, here));
  }
  return found;
}

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.close();
});

test('the samples tell a Unicode-only pattern apart: the former username pattern, `.` and `\\@` (an escape u refuses) disagree', () => {
  assert.match(disagreement('^[\\p{L}\\p{N}\\p{M}_.@+-]+$') ?? '', /"mario".*"L\{\}"|"L\{\}".*"mario"|differs on .*"mario"/);
  assert.match(disagreement('^.$') ?? '', /"🍋"/);
  assert.match(disagreement('^[a-z\\@]+$') ?? '', /does not compile with u/);
  assert.equal(disagreement('^[0-9a-f]{40}$'), null);
});

test('every pattern the served spec declares means the same with and without the u flag', async () => {
  const r = await server.request('GET', '/openapi.json');
  assert.equal(r.status, 200);
  const found = patterns(r.body);
  // The walk reaches the declared patterns (TokenKey's at least).
  assert.ok(found.some(([where]) => where === '/components/schemas/TokenKey/pattern'), JSON.stringify(found));
  const bad = found.map(([where, source]) => [where, source, disagreement(source)]).filter(([, , why]) => why !== null);
  assert.deepEqual(bad, []);
});
