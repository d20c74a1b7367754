/**
 * `npm run bench`: starts the service (compiled, exactly as `npm start` runs it: the same
 * environment assignments and node flags) and, in the same run,
 * the bare node:http ceiling (bench/bare.ts) on the same SQLite file, loads each with
 * autocannon for the same scenarios one after the other, and prints req/s, p50/p99 latency,
 * the ratio to the ceiling and the service's RSS. Writes bench/results/latest.{json,md}.
 * BENCH_SECONDS (default 5) and BENCH_CONNECTIONS (default 10) tune the load.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { hashPassword } from '../src/passwords/hashers';
import { CONNECTIONS, ROOT, SECONDS, freePort, load, row, rssMb, startCommand, table, waitFor, type Scenario } from './lib';
/** BENCH_ONLY=<regexp>: run only the scenarios whose name matches (profiling one path). */
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : null;
/** BENCH_PROFILE=<dir>: run the service under `node --cpu-prof`, the profile written there on exit. */
const PROFILE_DIR = process.env.BENCH_PROFILE;
/** BENCH_NODE_ARGS: extra node flags for the service (such as --trace-gc), space-separated. */
const EXTRA_NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** BENCH_CEILING=0: load the service only (quicker when comparing changes to the service). */
const SKIP_CEILING = Boolean(PROFILE_DIR) || process.env.BENCH_CEILING === '0';
const SECRET = 'bench-secret-key-0123456789-0123456789-abcdef';
const PASSWORD = 'bench-pass-123';

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const dbFile = path.join(dataDir, 'db.sqlite3');
  const port = await freePort();
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    SECRET_KEY: SECRET,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    // Every limit far above what the benchmark sends: it measures the counting, not refusals.
    THROTTLE_RATES: 'anon=100000000/minute,default_user=100000000/minute,default_anon=100000000/minute,ten=100000000/minute,login=100000000/minute',
  };
  const started = Date.now();
  const profileArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`] : [];
  const start = startCommand();
  const ours = spawn(process.execPath, [...profileArgs, ...EXTRA_NODE_ARGS, ...start.args], { cwd: ROOT, env: { ...env, ...start.env }, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/openapi.json`);
  const startupMs = Date.now() - started;

  // Seed: one user, its DRF key and JWT, 100 menu items.
  const db = new Database(dbFile);
  db.prepare("INSERT INTO auth_user (username, password, email, is_active, is_staff, is_superuser, date_joined, first_name, last_name, tokens_valid_after) VALUES ('bench', ?, '', 1, 0, 0, ?, '', '', 0)").run(await hashPassword(PASSWORD), Date.now());
  const insert = db.prepare('INSERT INTO menu_items (title, price_cents, inventory) VALUES (?, ?, ?)');
  for (let i = 1; i <= 100; i++) insert.run(`Dish ${i}`, 100 + i * 7, i);
  db.close();
  const login = JSON.stringify({ username: 'bench', password: PASSWORD });
  const tokenKey = ((await (await fetch(`${base}/auth/token/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: login })).json()) as { auth_token: string }).auth_token;
  const access = ((await (await fetch(`${base}/api/token/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: login })).json()) as { access: string }).access;

  // The ceiling sends the same fixed headers as the service (security headers and the like).
  const sample = await fetch(`${base}/.well-known/jwks.json`);
  const perResponse = new Set(['date', 'content-length', 'content-type', 'connection', 'keep-alive', 'x-request-id']);
  const fixedHeaders = Object.fromEntries([...sample.headers].filter(([name]) => !perResponse.has(name)));
  const barePort = await freePort();
  const bare: ChildProcess = fork(path.join(__dirname, 'bare.ts'), [String(barePort), dbFile, SECRET], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
    env: { ...process.env, BARE_HEADERS: JSON.stringify(fixedHeaders) },
  });
  await new Promise((resolve) => bare.once('message', resolve));
  const bareBase = `http://127.0.0.1:${barePort}`;

  // The same service without throttles, to price the throttle check itself.
  const unthrottledPort = await freePort();
  // With the same node flags and environment as `npm start`, so that only the throttles differ.
  const nodeFlags = start.args.filter((a) => a.startsWith('--'));
  const unthrottled: ChildProcess = fork(path.join(__dirname, 'unthrottled.ts'), [String(unthrottledPort)], {
    execArgv: ['--import', 'tsx', ...nodeFlags],
    stdio: 'inherit',
    env: { ...env, ...start.env },
  });
  await new Promise((resolve) => unthrottled.once('message', resolve));

  const post = { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: login };
  const scenarios: Scenario[] = [
    { name: 'public GET (constant answer)', ours: { url: `${base}/.well-known/jwks.json` }, bare: { url: `${bareBase}/public` } },
    { name: 'GET /api/secret/ with a Token', ours: { url: `${base}/api/secret/`, headers: { authorization: `Token ${tokenKey}` } }, bare: { url: `${bareBase}/token`, headers: { authorization: `Token ${tokenKey}` } } },
    { name: 'GET /api/secret/ with a JWT', ours: { url: `${base}/api/secret/`, headers: { authorization: `Bearer ${access}` } }, bare: { url: `${bareBase}/jwt`, headers: { authorization: `Bearer ${access}` } } },
    { name: 'throttled GET under its limit (anon)', ours: { url: `${base}/api/throttle-check`, headers: {} }, bare: { url: `${bareBase}/throttled` } },
    {
      name: 'throttle cost: GET /api/throttle-check, ceiling = the same service unthrottled',
      ours: { url: `${base}/api/throttle-check` },
      bare: { url: `http://127.0.0.1:${unthrottledPort}/api/throttle-check` },
      barePid: unthrottled.pid,
    },
    { name: 'menu-item list (100 items)', ours: { url: `${base}/api/menu-items` }, bare: { url: `${bareBase}/menu` } },
    { name: 'login (password hashing bound)', ours: { url: `${base}/auth/token/login/`, ...post }, bare: { url: `${bareBase}/login`, ...post } },
  ];

  const rows: Record<string, string | number>[] = [];
  for (const s of scenarios) {
    if (ONLY && !ONLY.test(s.name)) continue;
    const a = await load(s.ours, ours.pid as number);
    const b = SKIP_CEILING ? a : await load(s.bare, (s.barePid ?? bare.pid) as number);
    rows.push({ ...row(s.name, a, b), ours_rss_mb: rssMb(ours.pid as number) });
  }
  const rss = rssMb(ours.pid as number);
  const exited = new Promise((resolve) => ours.once('exit', resolve));
  ours.kill('SIGTERM');
  await exited; // a profile is written on exit
  bare.kill('SIGTERM');
  unthrottled.kill('SIGTERM');

  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const result = { date: new Date().toISOString(), machine, seconds: SECONDS, connections: CONNECTIONS, startup_ms: startupMs, rss_mb_after: rss, rows };
  const md = [
    `Measured ${result.date.slice(0, 10)} on ${machine}; ${CONNECTIONS} connections, ${SECONDS} s per run, the service and the ceiling loaded one after the other in the same run.`,
    '',
    ...table(rows),
    '',
    `Service RSS after the run: ${rss} MB. Start-up to first answer: ${startupMs} ms.`,
  ].join('\n');
  console.log(md);
  if (ONLY || SKIP_CEILING) {
    console.log(`RSS after each scenario: ${rows.map((r) => `${r.scenario}: ${r.ours_rss_mb} MB`).join('; ')}`);
    console.log('(a partial or profiled run: bench/results left as they were)');
  } else {
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'latest.json'), JSON.stringify(result, null, 2) + '\n');
    fs.writeFileSync(path.join(__dirname, 'results', 'latest.md'), md + '\n');
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
