/**
 * The README's examples, run as written: the curl walk-through (bash, against the service as it
 * ships, started by `npm start`) and the SDK snippet (type-checked under `strict`, then run with
 * tsx). Every answer the README shows is compared with what the command printed.
 *
 * The shown answers: in the shell block, the `# ` lines right under a command; in the SDK
 * snippet, the `// ` lines right under a `console.log(...)`. `...` in a shown answer stands for a
 * key or a token (any run of characters other than quotes and white space).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/spec';
import { builtProject, childEnv, freePort, run, tempDir, waitForHttp, type Proc } from '../ops/lib';

const README = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
const ADMIN_PASSWORD = 'choose-a-long-one-42';

/** The first fenced block of `lang` after the heading `heading`. */
function block(heading: string, lang: string): string {
  const at = README.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `README has no "${heading}" heading`);
  const open = README.indexOf('```' + lang + '\n', at);
  assert.ok(open >= 0, `no \`\`\`${lang} block under "${heading}"`);
  const start = open + lang.length + 4;
  return README.slice(start, README.indexOf('\n```', start) + 1);
}

interface Step {
  readonly line: number;
  readonly code: string;
  readonly shown: string[];
}

/**
 * Splits a shell block into commands (a line and its `\` continuations), each with the `# `
 * lines right under it. Comments after a blank line or another comment are prose.
 */
function shellSteps(text: string): Step[] {
  const lines = text.split('\n');
  const steps: Step[] = [];
  let current: { line: number; code: string; shown: string[] } | null = null;
  let inShown = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === '') {
      inShown = false;
      continue;
    }
    if (raw.startsWith('#')) {
      if (inShown && current) current.shown.push(raw.replace(/^# ?/, ''));
      continue;
    }
    let code = raw;
    const start = i;
    while (code.endsWith('\\') && i + 1 < lines.length) code = `${code}\n${lines[++i]}`;
    current = { line: start + 1, code, shown: [] };
    steps.push(current);
    inShown = true;
  }
  return steps;
}

/** A shown answer as a pattern: literal, but `...` matches a token and white space is loose. */
function shownPattern(shown: string): RegExp {
  const parts = shown
    .trim()
    .split('...')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'));
  return new RegExp(`^${parts.join('[^"\'\\s]*')}$`);
}

function compare(where: string, shown: string[], printed: string): void {
  const expected = shown.join('\n');
  const actual = printed.trim();
  assert.match(actual.replace(/\s+/g, ' '), shownPattern(expected.replace(/\s+/g, ' ')), `${where}: the README shows\n${expected}\nbut it printed\n${actual}`);
}

let project: string;
const servers: Proc[] = [];

/** A fresh service (its own data folder) started as it ships; returns its URL and environment. */
async function freshServer(): Promise<{ url: string; env: Record<string, string>; dir: string }> {
  const dir = tempDir('readme');
  const port = await freePort();
  const env = childEnv({
    PORT: String(port),
    DATA_DIR: path.join(dir, 'data'),
    DATABASE_URL: `sqlite:${path.join(dir, 'data', 'db.sqlite3')}`,
    MAIL_DIR: path.join(dir, 'data', 'mail'),
    LOG_LEVEL: 'warn',
  });
  const server = run('npm', ['start'], { cwd: project, env });
  servers.push(server);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, server);
  return { url, env, dir };
}

before(() => {
  project = builtProject();
});

after(async () => {
  for (const s of servers) await s.stop('SIGTERM');
});

test('the curl walk-through runs as written and prints what the README shows', async () => {
  const steps = shellSteps(block("## The course's flows, with curl", 'sh'));
  assert.ok(steps.filter((s) => s.shown.length > 0).length >= 20, 'the walk-through shows fewer answers than expected');
  const { url, env, dir } = await freshServer();
  // Its own folder, laid out as the one `npm start` runs in: data/mail is where the mail goes.
  fs.symlinkSync(path.join(project, 'dist'), path.join(dir, 'dist'));
  fs.symlinkSync(path.join(project, 'node_modules'), path.join(dir, 'node_modules'));
  fs.copyFileSync(path.join(project, 'package.json'), path.join(dir, 'package.json'));
  fs.copyFileSync(path.join(project, 'openapi.yaml'), path.join(dir, 'openapi.yaml'));
  const marker = (n: number) => `@@readme-step-${n}@@`;
  const script = ['set -u', ...steps.flatMap((s, n) => [`printf '\\n${marker(n)}\\n'`, s.code])].join('\n');
  const { DATA_DIR: _d, MAIL_DIR: _m, ...rest } = env;
  const result = spawnSync('bash', ['-c', script], {
    cwd: dir,
    env: { ...rest, DATA_DIR: 'data', B: url },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(result.status, 0, `bash exited ${result.status}: ${result.stderr}`);
  const out = result.stdout;
  let checked = 0;
  steps.forEach((s, n) => {
    const from = out.indexOf(`${marker(n)}\n`);
    assert.ok(from >= 0, `README line ${s.line} never ran`);
    const to = n + 1 < steps.length ? out.indexOf(`\n${marker(n + 1)}\n`, from) : out.length;
    if (s.shown.length === 0) return;
    compare(`README walk-through, line ${s.line} (${s.code.split('\n')[0]})`, s.shown, out.slice(from + marker(n).length + 1, to));
    checked++;
  });
  assert.ok(checked >= 20);
});

test('the SDK snippet type-checks under strict and runs as written, printing what the README shows', async () => {
  const source = block('## The typed client (SDK)', 'ts');
  // Where the package can import itself by name (package.json's exports), beside its build.
  const work = fs.mkdtempSync(path.join(PROJECT_ROOT, 'dist', 'readme-'));
  try {
    const file = path.join(work, 'client.mts');
    fs.writeFileSync(file, source);
    const tsc = spawnSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', file],
      { cwd: PROJECT_ROOT, encoding: 'utf8' },
    );
    assert.equal(tsc.status, 0, `the README's SDK snippet does not type-check:\n${tsc.stdout}${tsc.stderr}`);

    const { url, env } = await freshServer();
    execFileSync('npm', ['run', '-s', 'manage', '--', 'createsuperuser', '--noinput', '--username', 'admin', '--email', 'admin@example.com'], {
      cwd: project,
      env: { ...env, SUPERUSER_PASSWORD: ADMIN_PASSWORD },
      stdio: 'ignore',
    });
    const ran = spawnSync(process.execPath, ['--import', 'tsx', file], {
      cwd: PROJECT_ROOT,
      env: { ...childEnv({}), B: url, ADMIN_PASSWORD },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(ran.status, 0, `the README's SDK snippet failed:\n${ran.stderr}`);

    // Each console.log's output, in order, against the `// ` lines right under it.
    const shown: string[][] = [];
    const lines = source.split('\n');
    lines.forEach((line, i) => {
      if (!/^\s*console\.log\(/.test(line)) return;
      const mine: string[] = [];
      for (let j = i + 1; j < lines.length && /^\s*\/\/ /.test(lines[j]); j++) mine.push(lines[j].replace(/^\s*\/\/ /, '').replace(/\s{2,}\(.*\)$/, ''));
      shown.push(mine);
    });
    assert.ok(shown.length >= 5 && shown.every((s) => s.length > 0), 'every console.log in the snippet shows its output');
    // Node prints each logged value on its own lines; split the output by value, not by line.
    const printed = splitLogged(ran.stdout);
    assert.equal(printed.length, shown.length, `the snippet printed ${printed.length} values, the README shows ${shown.length}:\n${ran.stdout}`);
    shown.forEach((s, n) => compare(`README SDK snippet, console.log #${n + 1}`, s, printed[n]));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

/** Splits console.log output into its values: a value continues while brackets are open. */
function splitLogged(stdout: string): string[] {
  const values: string[] = [];
  let current = '';
  let depth = 0;
  for (const line of stdout.split('\n')) {
    if (line === '' && depth === 0) continue;
    current += (current ? '\n' : '') + line;
    for (const ch of line.replace(/'(?:[^'\\]|\\.)*'/g, '')) {
      if (ch === '{' || ch === '[') depth++;
      else if (ch === '}' || ch === ']') depth--;
    }
    if (depth === 0) {
      values.push(current);
      current = '';
    }
  }
  return values;
}
