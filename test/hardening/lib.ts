/**
 * What the hardening tests share: real server processes (`node --import tsx src/main.ts`, so
 * main.ts's timeouts and signal handling are the ones under test), raw sockets, a throwaway
 * redis-server, a database of their own (SQLite file, or a PostgreSQL schema when
 * TEST_DATABASE_URL is set), a digest of the database to prove a refused write changed
 * nothing, JWT forging with node:crypto only, and the shapes every error body must have.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDatabase, type Database, type Knex } from '../../src/data/db';
import { hashKey } from '../../src/services/accounts';
import { hashPassword } from '../../src/passwords/hashers';
import { PROJECT_ROOT } from '../../src/spec';
import { freshDatabaseUrl } from '../helpers/database';

export const SECRET_KEY = 'hardening-secret-key-0123456789abcdefghijklmnop';
export const PASSWORD = 'lemon-pass-123';
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Every scope at a rate no test reaches, for tests that are about something else. */
export const NO_THROTTLES =
  'default_anon=100000/minute,default_user=100000/minute,anon=100000/minute,user=100000/minute,ten=100000/minute,login=100000/minute,login_username=100000/minute,register=100000/minute,password_reset=100000/minute,mail_address=100000/minute';

/**
 * Ports for servers that another process opens (a spawned server, redis-server), safe while test
 * files run concurrently. A port the kernel picked (listen(0)) and we closed again may be picked
 * again by anyone's listen(0) before our child binds it; so these come from below the kernel's
 * ephemeral range (Linux 32768-60999, macOS 49152-65535), where no listen(0) lands, and each is
 * claimed by a lock file created exclusively in the temp folder: two test processes never share
 * one. A test process's locks go when it exits; those of a process that died are taken over.
 */
const PORTS = { first: 20_000, count: 10_000 } as const;
const PORT_LOCKS = path.join(os.tmpdir(), 'little-lemon-test-ports');
const claimedPorts: string[] = [];
process.on('exit', () => {
  for (const file of claimedPorts) fs.rmSync(file, { force: true });
});

/** Claims the lock of `port` for this process: true when it was free (or its owner is gone). */
function claimPort(port: number): boolean {
  const file = path.join(PORT_LOCKS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      claimedPorts.push(file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(file, 'utf8'));
      // 0: its owner is between creating and writing the file; our own pid: taken already.
      if (!(owner > 0) || owner === process.pid || processAlive(owner)) return false;
      fs.rmSync(file, { force: true }); // its owner died without cleaning up
    }
  }
  return false;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether nothing listens on 127.0.0.1:`port` now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 that this test process alone may give to a server it starts (see PORTS). */
export async function freePort(): Promise<number> {
  fs.mkdirSync(PORT_LOCKS, { recursive: true });
  for (let tries = 0; tries < 200; tries++) {
    const port = PORTS.first + crypto.randomInt(PORTS.count);
    if (claimPort(port) && (await bindable(port))) return port;
  }
  throw new Error(`no free port from ${PORTS.first} to ${PORTS.first + PORTS.count - 1}`);
}

// ---------------------------------------------------------------------------------------
// A database of our own, for spawned servers (they open it themselves).

export interface OwnDatabase {
  /** DATABASE_URL for the server. */
  readonly url: string;
  /**
   * The test's own connection to the same database, through the data layer: its repositories
   * write users and keys as the server does (insertUser, insertKey).
   */
  readonly data: Database;
  /** The same connection's knex: for reading tables as they are, and for simulating data the repositories would not write. */
  readonly db: Knex;
  readonly isPostgres: boolean;
  drop(): Promise<void>;
}

/**
 * A SQLite file in `dir`, or a fresh schema in TEST_DATABASE_URL's PostgreSQL (the server
 * reaches it through 127.0.0.1:`pgPort` when given, the test directly). Not migrated: the
 * server does that.
 */
export async function ownDatabase(dir: string, pgPort?: number): Promise<OwnDatabase> {
  const { databaseUrl, drop } = await freshDatabaseUrl(process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite', dir);
  const url = new URL(databaseUrl);
  if (pgPort && url.protocol.startsWith('postgres')) {
    url.hostname = '127.0.0.1';
    url.port = String(pgPort);
  }
  // Opened on first use: on SQLite the server creates the file and the schema.
  let data: Database | null = null;
  const open = () => (data ??= openDatabase(databaseUrl));
  return {
    url: pgPort && url.protocol.startsWith('postgres') ? url.toString() : databaseUrl,
    isPostgres: databaseUrl.startsWith('postgres'),
    get data() {
      return open();
    },
    get db() {
      return open().knex;
    },
    async drop() {
      await data?.destroy();
      await drop();
    },
  };
}

let cachedHash: Promise<string> | null = null;

/** Creates a user through the data layer, as the server would; returns its id. The default password is PASSWORD. */
export async function insertUser(db: Database, user: { username: string; password?: string; email?: string; isStaff?: boolean; groups?: string[] }): Promise<number> {
  const hash = user.password === undefined ? await (cachedHash ??= hashPassword(PASSWORD)) : await hashPassword(user.password);
  const { id } = await db.users.create({ username: user.username, password: hash, email: user.email ?? `${user.username}@example.com`, isStaff: user.isStaff ?? false, dateJoined: Date.now() });
  for (const name of user.groups ?? []) {
    const group = await db.users.findGroup(name);
    if (!group) throw new Error(`no group ${name}`);
    await db.users.addMember(id, group.id);
  }
  return id;
}

/** A DRF key for the user, stored (hashed) through the data layer as the server does. */
export async function insertKey(db: Database, userId: number): Promise<string> {
  const key = crypto.randomBytes(20).toString('hex');
  await db.keys.create({ keyHash: hashKey(key), userId, created: Date.now() });
  return key;
}

// ---------------------------------------------------------------------------------------
// The state of the database, to prove that a refused request wrote nothing.

const DIGESTED: Record<string, string[]> = {
  auth_user: ['id', 'username', 'username_key', 'email', 'password', 'is_active', 'is_staff', 'is_superuser', 'last_login', 'tokens_valid_after'],
  auth_group: ['id', 'name'],
  auth_user_groups: ['user_id', 'group_id'],
  // last_used is written in the background by authentication, by design: left out.
  authtoken_token: ['id', 'key_hash', 'user_id'],
  token_blacklist_outstandingtoken: ['id', 'jti', 'user_id'],
  token_blacklist_blacklistedtoken: ['id', 'token_id'],
  menu_items: ['id', 'title', 'price_cents', 'inventory'],
};

export interface DbState {
  readonly counts: Record<string, number>;
  readonly digest: string;
}

/** Row counts of every table, and a digest of their contents. */
export async function dbState(db: Knex): Promise<DbState> {
  const counts: Record<string, number> = {};
  const hash = crypto.createHash('sha256');
  for (const [table, columns] of Object.entries(DIGESTED)) {
    const rows = (await db(table).select(columns).orderBy(columns.slice(0, 2))) as Record<string, unknown>[];
    counts[table] = rows.length;
    for (const r of rows) hash.update(JSON.stringify(columns.map((c) => (typeof r[c] === 'boolean' ? Number(r[c]) : r[c]))));
  }
  return { counts, digest: hash.digest('hex') };
}

// ---------------------------------------------------------------------------------------
// Spawned servers.

export interface Spawned {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Every stdout line so far (pino's JSON). */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until a stdout line matches. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts `node --import tsx src/main.ts` with `env` on a free port and waits for /healthz. */
export async function spawnServer(env: Record<string, string>): Promise<Spawned> {
  const port = await freePort();
  const base: Record<string, string | undefined> = { ...process.env };
  delete base.NODE_TEST_CONTEXT;
  delete base.NODE_OPTIONS;
  // cwd is the data folder, so that no .env of the developer's slips into the configuration
  const cwd = env.DATA_DIR ?? os.tmpdir();
  const child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(PROJECT_ROOT, 'src/main.ts')], {
    cwd,
    env: {
      ...base,
      SECRET_KEY,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      REDIS_URL: '',
      EMAIL_URL: '',
      THROTTLE_KEY_PREFIX: `hard-${crypto.randomBytes(5).toString('hex')}`,
      ...(env.DATA_DIR ? { DATABASE_URL: `sqlite:${path.join(env.DATA_DIR, 'db.sqlite3')}` } : {}),
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const lines = (sink: string[], onLine?: (l: string) => void) => {
    let partial = '';
    return (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) {
        sink.push(l);
        onLine?.(l);
      }
    };
  };
  child.stdout?.on(
    'data',
    lines(stdout, (l) => {
      for (const w of [...waiters]) {
        if (w.re.test(l)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(l);
        }
      }
    }),
  );
  child.stderr?.on('data', lines(stderr));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited at start-up: ${stderr.join('\n')}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 20_000) throw new Error(`server on ${port} did not start: ${stderr.join('\n')}`);
    await sleep(50);
  }
  return {
    url,
    port,
    child,
    stdout,
    stderr,
    exited,
    waitForLog(re, timeoutMs = 10_000) {
      const seen = stdout.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no log line matching ${re}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
      });
    },
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * How many connections wait in the accept queue of the server listening on 127.0.0.1:`port`,
 * as Linux reports it (/proc/net/tcp: a listening socket's rx_queue is its accept backlog);
 * null where that cannot be read.
 */
export function acceptQueue(port: number): number | null {
  let table: string;
  try {
    table = fs.readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return null;
  }
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[3] === '0A') return parseInt(f[4].split(':')[1], 16);
  }
  return null;
}

/**
 * Waits until the server on `port` has accepted every connection made to it so far (its accept
 * queue is empty), so that a test can signal it knowing they are all its own: a server starved
 * of CPU by other processes may take far longer than usual. Without /proc (not Linux), waits
 * `fallbackMs` instead.
 */
export async function acceptedAll(port: number, timeoutMs = 10_000, fallbackMs = 250): Promise<void> {
  if (acceptQueue(port) === null) return sleep(fallbackMs);
  const deadline = Date.now() + timeoutMs;
  while ((acceptQueue(port) ?? 0) > 0) {
    if (Date.now() > deadline) throw new Error(`the server on ${port} left connections unaccepted for ${timeoutMs} ms`);
    await sleep(5);
  }
}

// ---------------------------------------------------------------------------------------
// Raw HTTP over a socket: what fetch will not send, and what the server does to the connection.

export interface RawReply {
  /** 0 when the server closed the connection without answering. */
  readonly status: number;
  readonly head: string;
  readonly body: string;
  /** The server closed (or reset) the connection. */
  readonly closed: boolean;
  readonly ms: number;
}

/**
 * Writes `data` on a new connection and reads until the server closes it or `timeoutMs` passes.
 * `onWritten` is called once the connection is open and every part is handed to the kernel:
 * from then on the request is the server's, whether or not it has read it yet.
 */
export function rawRequest(port: number, data: string | Buffer | (string | Buffer)[], timeoutMs = 5000, onWritten?: () => void): Promise<RawReply> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : 0, head, body: rest.join('\r\n\r\n'), closed, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      const parts = Array.isArray(data) ? data : [data];
      parts.forEach((part, i) => socket.write(part, i === parts.length - 1 && onWritten ? () => onWritten() : undefined));
    });
  });
}

// ---------------------------------------------------------------------------------------
// A throwaway redis-server.

export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const r: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) return;
      const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      child = c;
      children.add(c);
      c.once('exit', () => children.delete(c));
      for (let i = 0; i < 200; i++) {
        const up = await new Promise<boolean>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => {
            s.end();
            resolve(true);
          });
          s.on('error', () => resolve(false));
        });
        if (up) return;
        await sleep(25);
      }
      throw new Error('redis-server did not start');
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      const gone = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      await gone;
    },
  };
  await r.start();
  return r;
}

// ---------------------------------------------------------------------------------------
// JWTs made by hand (node:crypto only, so the tests do not share the server's library).

export const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');
export type Claims = Record<string, unknown>;

export function jwtSign(header: Claims, payload: Claims, sign: (input: string) => Buffer | string): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = sign(input);
  return `${input}.${typeof sig === 'string' ? sig : sig.toString('base64url')}`;
}

export const hmac = (key: string | Buffer, alg: 'sha256' | 'sha384' | 'sha512' = 'sha256') => (input: string) => crypto.createHmac(alg, key).update(input).digest();
export const rsaSign = (key: crypto.KeyObject) => (input: string) => crypto.sign('sha256', Buffer.from(input), key);

export function claims(type: 'access' | 'refresh', userId: number, extra: Claims = {}): Claims {
  const now = Math.floor(Date.now() / 1000);
  return { token_type: type, exp: now + 300, iat: now, jti: crypto.randomBytes(16).toString('hex'), user_id: userId, ...extra };
}

export function decodePart(token: string, i: 0 | 1): Claims {
  return JSON.parse(Buffer.from(token.split('.')[i], 'base64url').toString('utf8')) as Claims;
}

/** A fresh key pair written as PEM files. */
export function keyFiles(dir: string, type: 'rsa' | 'ec' = 'rsa') {
  const { privateKey, publicKey } = type === 'rsa' ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }) : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateFile = path.join(dir, `${type}-private.pem`);
  const publicFile = path.join(dir, `${type}-public.pem`);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  fs.writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(publicFile, publicPem);
  return { privateFile, publicFile, publicPem, privateKey, publicKey };
}

export const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), `hardening-${prefix}-`));

// ---------------------------------------------------------------------------------------
// Shapes.

/** `{"detail": string, "code"?: string, "messages"?: [...]}` (DRF / simplejwt). */
export function isDetail(body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const b = body as Record<string, unknown>;
  if (typeof b.detail !== 'string') return false;
  return Object.keys(b).every((k) => ['detail', 'code', 'messages'].includes(k));
}

/** DRF field errors: `{"field": ["message", ...], ...}`. */
export function isFieldErrors(body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const entries = Object.entries(body as Record<string, unknown>);
  return entries.length > 0 && entries.every(([, v]) => Array.isArray(v) && v.length > 0 && v.every((m) => typeof m === 'string'));
}

/** Nothing of the server's insides: no stack frames, file paths, SQL or driver names. */
export function assertNoInternals(text: string, what = 'body'): void {
  for (const re of [/\bat [\w.<>]+ \(/, /node_modules/, /\/work\/|\/src\/|\.ts:\d+/, /\b(select|insert into|update|delete from)\b.*\b(from|values|set|where)\b/i, /SqliteError|knex|pg_|sqlite_|ECONNREFUSED|stack/i]) {
    assert.doesNotMatch(text, re, `${what} reveals internals: ${text.slice(0, 300)}`);
  }
}

/** Minimal multipart/form-data body. */
export function multipart(fields: Record<string, string>, boundary = `----hardening${crypto.randomBytes(6).toString('hex')}`): { body: Buffer; contentType: string } {
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  return { body: Buffer.from(`${parts.join('')}--${boundary}--\r\n`, 'utf8'), contentType: `multipart/form-data; boundary=${boundary}` };
}

// ---------------------------------------------------------------------------------------
// An injected database failure: a trigger that aborts one insert, so a test gets a genuine SQL
// error (a 500, with the SQL and its bindings in the error) on demand, on SQLite and PostgreSQL.

export async function failInsertsWhere(db: Knex, table: string, column: string, value: string): Promise<() => Promise<void>> {
  const name = `hardening_fail_${table}`;
  if (db.client.config.client === 'pg') {
    await db.raw(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger AS $$ BEGIN IF NEW.${column} = '${value}' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await db.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
    return async () => {
      await db.raw(`DROP TRIGGER IF EXISTS ${name} ON ${table}`);
      await db.raw(`DROP FUNCTION IF EXISTS ${name}()`);
    };
  }
  await db.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} WHEN NEW.${column} = '${value}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
  return async () => {
    await db.raw(`DROP TRIGGER IF EXISTS ${name}`);
  };
}
