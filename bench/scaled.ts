/**
 * `npm run bench:scaled`: the scaled-out path. Starts the service as `npm start` runs it on
 * PostgreSQL (a fresh schema in BENCH_DATABASE_URL) with its throttles in Redis (BENCH_REDIS_URL),
 * and beside it bench/bareScaled.ts, a bare node:http + pg + ioredis ceiling doing the same
 * work; loads both, one after the other in the same run, with an authenticated GET
 * /api/secret/ (a DRF key, then a JWT), and prints req/s, latency, CPU µs per request and the
 * ratio. Writes bench/results/scaled.{json,md}. BENCH_SECONDS and BENCH_CONNECTIONS as in run.ts.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshDatabaseUrl } from '../test/helpers/database';
import { CONNECTIONS, ROOT, SECONDS, freePort, load, row, rssMb, startCommand, table, waitFor, type Scenario } from './lib';

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'bench-secret-key-0123456789-0123456789-abcdef';
const PASSWORD = 'bench-pass-123-scaled';

async function main(): Promise<void> {
  process.env.TEST_DATABASE_URL = DATABASE_URL;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scaled-'));
  const { databaseUrl, drop } = await freshDatabaseUrl('PostgreSQL', scratch);
  const prefix = `bench-${crypto.randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const start = startCommand();
  const ours = spawn(process.execPath, start.args, {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      ...start.env,
      DATA_DIR: scratch,
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      THROTTLE_KEY_PREFIX: prefix,
      SECRET_KEY: SECRET,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      // Every limit far above what the benchmark sends: it measures the counting, not refusals.
      THROTTLE_RATES: 'default_user=100000000/minute,default_anon=100000000/minute,login=100000000/minute,register=100000000/minute',
    },
  });
  const base = `http://127.0.0.1:${port}`;
  let bare: ChildProcess | undefined;
  try {
    await waitFor(`${base}/healthz`, 20_000);
    const json = { 'content-type': 'application/json' };
    const login = JSON.stringify({ username: 'bench', password: PASSWORD });
    const created = await fetch(`${base}/auth/users/`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'bench', password: PASSWORD, email: 'bench@example.com' }) });
    if (created.status !== 201) throw new Error(`register: ${created.status} ${await created.text()}`);
    const tokenKey = ((await (await fetch(`${base}/auth/token/login/`, { method: 'POST', headers: json, body: login })).json()) as { auth_token: string }).auth_token;
    const access = ((await (await fetch(`${base}/api/token/`, { method: 'POST', headers: json, body: login })).json()) as { access: string }).access;

    const sample = await fetch(`${base}/api/secret/`, { headers: { authorization: `Token ${tokenKey}` } });
    if (sample.status !== 200) throw new Error(`GET /api/secret/ answered ${sample.status}`);
    const perResponse = new Set(['date', 'content-length', 'content-type', 'connection', 'keep-alive', 'x-request-id']);
    const fixedHeaders = Object.fromEntries([...sample.headers].filter(([name]) => !perResponse.has(name)));
    const barePort = await freePort();
    bare = fork(path.join(__dirname, 'bareScaled.ts'), [String(barePort), databaseUrl, REDIS_URL, SECRET, prefix], {
      execArgv: ['--import', 'tsx'],
      stdio: 'inherit',
      env: { ...process.env, BARE_HEADERS: JSON.stringify(fixedHeaders) },
    });
    await new Promise((resolve) => bare?.once('message', resolve));
    const bareBase = `http://127.0.0.1:${barePort}`;

    const scenarios: Scenario[] = [
      { name: 'GET /api/secret/ with a Token (PostgreSQL + Redis)', ours: { url: `${base}/api/secret/`, headers: { authorization: `Token ${tokenKey}` } }, bare: { url: `${bareBase}/token`, headers: { authorization: `Token ${tokenKey}` } } },
      { name: 'GET /api/secret/ with a JWT (PostgreSQL + Redis)', ours: { url: `${base}/api/secret/`, headers: { authorization: `Bearer ${access}` } }, bare: { url: `${bareBase}/jwt`, headers: { authorization: `Bearer ${access}` } } },
    ];
    const rows: Record<string, string | number>[] = [];
    for (const s of scenarios) {
      const a = await load(s.ours, ours.pid as number);
      const b = await load(s.bare, bare.pid as number);
      if (a.non2xx || b.non2xx) throw new Error(`${s.name}: ${a.non2xx} and ${b.non2xx} answers were not 2xx`);
      rows.push(row(s.name, a, b));
    }
    const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
    const rss = rssMb(ours.pid as number);
    const md = [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; PostgreSQL and Redis on the same machine; ${CONNECTIONS} connections, ${SECONDS} s per run, the service and the ceiling loaded one after the other in the same run.`,
      '',
      ...table(rows),
      '',
      `Service RSS after the run: ${rss} MB.`,
    ].join('\n');
    console.log(md);
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'scaled.json'), JSON.stringify({ date: new Date().toISOString(), machine, rows, rss_mb_after: rss }, null, 2) + '\n');
    fs.writeFileSync(path.join(__dirname, 'results', 'scaled.md'), md + '\n');
  } finally {
    ours.kill('SIGTERM');
    bare?.kill('SIGTERM');
    await new Promise((resolve) => ours.once('exit', resolve));
    await drop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
