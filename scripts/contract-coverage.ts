/**
 * Contract coverage: which of the statuses that openapi.yaml declares did the test suite make
 * the server actually answer?
 *
 *   CONTRACT_COVERAGE_FILE=$PWD/coverage/contract.txt npm test
 *   npm run contract:coverage -- --out coverage/contract.md coverage/contract.txt
 *
 * Reads the spec and one or more coverage files (lines `operationId status`, appended by
 * test/helpers/server.ts for every answer), prints a table of every operation × declared
 * status, writes it as Markdown to `--out` when given, and exits 1 listing the declared pairs
 * that were never produced (0 when every one was; 2 for a usage or input error).
 * A pair produced but not declared is listed too: the tests fail on those already.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

export interface Operation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  /** Declared statuses, ascending (`default` and ranges such as `4XX` are not pairs one can produce). */
  readonly statuses: readonly number[];
}

export interface Coverage {
  readonly operations: readonly Operation[];
  /** `operationId status` → how many answers the suite produced. */
  readonly produced: ReadonlyMap<string, number>;
  /** Declared pairs never produced, as `operationId status`. */
  readonly missing: readonly string[];
  /** Produced pairs the spec does not declare (an unknown operationId included). */
  readonly undeclared: readonly string[];
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The operations of a parsed OpenAPI document, in the spec's order. */
export function operationsOf(document: { paths?: Record<string, Record<string, unknown>> }): Operation[] {
  const out: Operation[] = [];
  for (const [p, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method] as { operationId?: string; responses?: Record<string, unknown> } | undefined;
      if (!op) continue;
      if (!op.operationId) throw new UsageError(`${method.toUpperCase()} ${p} has no operationId`);
      const statuses = Object.keys(op.responses ?? {})
        .filter((s) => /^[1-5]\d\d$/.test(s))
        .map(Number)
        .sort((a, b) => a - b);
      out.push({ operationId: op.operationId, method: method.toUpperCase(), path: p, statuses });
    }
  }
  return out;
}

/** Counts the `operationId status` lines of coverage files' texts. Throws UsageError naming a malformed line. */
export function countPairs(texts: readonly { name: string; text: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { name, text } of texts) {
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      if (!line) return;
      const m = /^(\S+) ([1-5]\d\d)$/.exec(line);
      if (!m) throw new UsageError(`${name}:${i + 1}: expected "operationId status", got ${JSON.stringify(line)}`);
      const key = `${m[1]} ${m[2]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
  }
  return counts;
}

export function coverageOf(operations: readonly Operation[], produced: ReadonlyMap<string, number>): Coverage {
  const declared = new Set(operations.flatMap((op) => op.statuses.map((s) => `${op.operationId} ${s}`)));
  const missing = [...declared].filter((pair) => !produced.has(pair));
  const undeclared = [...produced.keys()].filter((pair) => !declared.has(pair)).sort();
  return { operations, produced, missing, undeclared };
}

/** The report as Markdown: one row per operation, one column per status declared or produced. */
export function toMarkdown(c: Coverage): string {
  const known = new Set(c.operations.map((op) => op.operationId));
  const producedStatuses = [...c.produced.keys()].filter((pair) => known.has(pair.split(' ')[0])).map((pair) => Number(pair.split(' ')[1]));
  const columns = [...new Set([...c.operations.flatMap((op) => op.statuses), ...producedStatuses])].sort((a, b) => a - b);
  const total = c.operations.reduce((n, op) => n + op.statuses.length, 0);
  const lines = [
    '# Contract coverage',
    '',
    `${total - c.missing.length} of ${total} declared (operation, status) pairs were produced by the test suite.`,
    'A cell shows how many answers had that status: ✗ = declared but never produced; ‼ = produced but not declared; blank = not declared.',
    '',
    `| operation | request | ${columns.join(' | ')} |`,
    `| --- | --- | ${columns.map(() => '---:').join(' | ')} |`,
  ];
  for (const op of c.operations) {
    const cells = columns.map((s) => {
      const count = c.produced.get(`${op.operationId} ${s}`);
      if (!op.statuses.includes(s)) return count ? `‼ ${count}` : '';
      return count ? String(count) : '✗';
    });
    lines.push(`| ${op.operationId} | \`${op.method} ${op.path}\` | ${cells.join(' | ')} |`);
  }
  lines.push('');
  if (c.missing.length) {
    lines.push(`## Declared, never produced (${c.missing.length})`, '', ...c.missing.map((p) => `- \`${p}\``), '');
  }
  if (c.undeclared.length) {
    lines.push(`## Produced, not declared (${c.undeclared.length})`, '', ...c.undeclared.map((p) => `- \`${p}\` (${c.produced.get(p)}×)`), '');
  }
  return lines.join('\n');
}

interface Args {
  spec: string;
  out: string | null;
  files: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { spec: path.resolve(__dirname, '..', 'openapi.yaml'), out: null, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--spec' || a === '--out') {
      const value = argv[++i];
      if (!value) throw new UsageError(`${a} needs a path`);
      if (a === '--spec') args.spec = value;
      else args.out = value;
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option ${a}`);
    } else {
      args.files.push(a);
    }
  }
  if (args.files.length === 0) throw new UsageError('no coverage file given');
  return args;
}

function main(argv: readonly string[]): number {
  let args: Args;
  let coverage: Coverage;
  try {
    args = parseArgs(argv);
    const operations = operationsOf(YAML.parse(fs.readFileSync(args.spec, 'utf8')));
    const texts = args.files.map((name) => {
      if (!fs.existsSync(name)) throw new UsageError(`${name}: no such coverage file (run the tests with CONTRACT_COVERAGE_FILE=${name})`);
      return { name, text: fs.readFileSync(name, 'utf8') };
    });
    coverage = coverageOf(operations, countPairs(texts));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`contract-coverage: ${err.message}`);
    console.error('usage: contract-coverage [--spec openapi.yaml] [--out report.md] COVERAGE_FILE...');
    return 2;
  }
  const markdown = toMarkdown(coverage);
  console.log(markdown);
  if (args.out) {
    fs.mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
    fs.writeFileSync(args.out, markdown);
    console.log(`wrote ${args.out}`);
  }
  if (coverage.missing.length) {
    console.error(`contract-coverage: ${coverage.missing.length} declared pair(s) never produced:\n${coverage.missing.map((p) => `  ${p}`).join('\n')}`);
    return 1;
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
