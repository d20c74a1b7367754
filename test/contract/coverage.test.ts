/** scripts/contract-coverage.ts: the table, the missing pairs, and the exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countPairs, coverageOf, operationsOf, toMarkdown, UsageError } from '../../scripts/contract-coverage';
import { PROJECT_ROOT } from '../../src/spec';

const SPEC = `
openapi: 3.0.3
info: { title: t, version: '1' }
paths:
  /a/:
    get:
      operationId: getA
      responses: { '200': { description: ok }, '401': { description: no }, default: { description: other } }
    post:
      operationId: postA
      responses: { '201': { description: made }, '400': { description: bad } }
`;

test('operationsOf lists each operation with its numeric statuses, in order (default left out)', () => {
  const ops = operationsOf({ paths: { '/a/': { get: { operationId: 'getA', responses: { '401': {}, '200': {}, default: {} } } } } });
  assert.deepEqual(ops, [{ operationId: 'getA', method: 'GET', path: '/a/', statuses: [200, 401] }]);
});

test('countPairs counts lines across files and names a malformed line', () => {
  const counts = countPairs([{ name: 'a', text: 'getA 200\ngetA 200\n\n' }, { name: 'b', text: 'postA 201\n' }]);
  assert.deepEqual([...counts], [['getA 200', 2], ['postA 201', 1]]);
  assert.throws(() => countPairs([{ name: 'c', text: 'getA 200\ngetA two\n' }]), (err: unknown) => err instanceof UsageError && /c:2/.test(err.message));
});

test('coverageOf finds the declared pairs never produced and the produced pairs never declared', () => {
  const ops = [{ operationId: 'getA', method: 'GET', path: '/a/', statuses: [200, 401] }];
  const c = coverageOf(ops, new Map([['getA 200', 3], ['getA 503', 1], ['gone 200', 1]]));
  assert.deepEqual(c.missing, ['getA 401']);
  assert.deepEqual(c.undeclared, ['getA 503', 'gone 200']);
  const md = toMarkdown(c);
  assert.match(md, /1 of 2 declared/);
  assert.match(md, /\| getA \| `GET \/a\/` \| 3 \| ✗ \| ‼ 1 \|/);
  assert.match(md, /## Declared, never produced \(1\)\n\n- `getA 401`/);
});

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts/contract-coverage.ts'), ...args], { encoding: 'utf8', cwd: PROJECT_ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the script exits 1 listing what is missing, 0 when all is produced, and writes the Markdown', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coverage-'));
  try {
    const spec = path.join(dir, 'openapi.yaml');
    fs.writeFileSync(spec, SPEC);
    fs.writeFileSync(path.join(dir, 'one.txt'), 'getA 200\npostA 201\n');
    fs.writeFileSync(path.join(dir, 'two.txt'), 'getA 401\n');
    const out = path.join(dir, 'report', 'contract.md');

    const partial = run(['--spec', spec, '--out', out, path.join(dir, 'one.txt')]);
    assert.equal(partial.status, 1, partial.stderr);
    assert.match(partial.stderr, /2 declared pair\(s\) never produced:\n {2}getA 401\n {2}postA 400/);
    assert.match(fs.readFileSync(out, 'utf8'), /^# Contract coverage/);

    fs.appendFileSync(path.join(dir, 'two.txt'), 'postA 400\n');
    const full = run(['--spec', spec, path.join(dir, 'one.txt'), path.join(dir, 'two.txt')]);
    assert.equal(full.status, 0, full.stderr);
    assert.match(full.stdout, /4 of 4 declared/);

    const usage = run(['--spec', spec, path.join(dir, 'missing.txt')]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /no such coverage file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
