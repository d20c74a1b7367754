/**
 * Starts the real service on a free port, with its own fresh database, and speaks HTTP to it.
 * SQLite in a temporary folder by default; with TEST_DATABASE_URL=postgres://… each server
 * gets its own PostgreSQL schema. Every answer of a declared operation is checked against
 * the spec (its status must be declared, its body match the schema), so an undeclared status
 * or shape fails the test that caused it, and so is every request (requestContract.ts: one the
 * server accepts must validate, one that validates must not get a 400 naming an allowed field); with CONTRACT_COVERAGE_FILE set, each
 * `operationId status` produced is appended there for the coverage report.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp, type App } from '../../src/app';
import type { Clock } from '../../src/clock';
import { createServer } from '../../src/server';
import { createLogger } from '../../src/log';
import { hashPassword } from '../../src/passwords/hashers';
import { loadSettings } from '../../src/settings';
import { CONFIGURED_KIND, freshDatabaseUrl } from './database';
import { requestViolation, sentBody } from './requestContract';

export interface Reply {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON ('' when empty). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export interface RequestOptions {
  /** Sent as JSON unless `form` or `raw` is given. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Sent as is, with `contentType`. */
  raw?: string | Buffer;
  contentType?: string;
  /** `Authorization: Token <token>` */
  token?: string;
  /** `Authorization: Bearer <jwt>` */
  jwt?: string;
  headers?: Record<string, string>;
}

export interface NewUser {
  username: string;
  password?: string;
  email?: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
  isActive?: boolean;
  groups?: string[];
}

export interface TestServer {
  readonly url: string;
  readonly app: App;
  readonly dataDir: string;
  readonly mailDir: string;
  request(method: string, path: string, options?: RequestOptions): Promise<Reply>;
  /** Creates a user through the data layer (no HTTP, no throttles); returns its id. Default password: "lemon-pass-123". */
  createUser(user: NewUser): Promise<number>;
  /** A DRF token key for an existing user (through POST /auth/token/login/). */
  tokenFor(username: string, password?: string): Promise<string>;
  /** A JWT pair (through POST /api/token/). */
  jwtFor(username: string, password?: string): Promise<{ access: string; refresh: string }>;
  /** The mail messages written so far, oldest first. */
  mails(): string[];
  close(): Promise<void>;
}

export const DEFAULT_PASSWORD = 'lemon-pass-123';
let passwordHash: Promise<string> | null = null;

/**
 * Starts a server; `env` overrides settings (e.g. { THROTTLE_RATES: 'anon=3/second' }), and
 * `options.clock` replaces the service's clock (src/clock.ts; a ManualClock from ./clock), so a
 * test moves time instead of sleeping. The server runs in this process, so the clock object is
 * the one the service reads.
 */
export async function startServer(env: Record<string, string> = {}, options: { clock?: Clock } = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'little-lemon-test-'));
  const mailDir = path.join(dataDir, 'mail');
  const { databaseUrl, drop: dropSchema } = await freshDatabaseUrl(CONFIGURED_KIND, dataDir);
  const settings = loadSettings({
    SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    MAIL_DIR: mailDir,
    LOG_LEVEL: 'silent',
    // Each server counts on its own unless a test shares a prefix between servers on purpose.
    THROTTLE_KEY_PREFIX: `test-${crypto.randomBytes(6).toString('hex')}`,
    ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    ...env,
  });
  const violations: string[] = [];
  const app: App = await createApp(settings, {
    clock: options.clock,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    observeResponse: (r) => {
      const problem = contractViolation(app, r.operationId, r.status, r.body);
      if (problem) violations.push(problem);
      if (process.env.CONTRACT_COVERAGE_FILE) fs.appendFileSync(process.env.CONTRACT_COVERAGE_FILE, `${r.operationId} ${r.status}\n`);
    },
  });
  const server = createServer(app.koa.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const request = async (method: string, p: string, options: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | Buffer | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    } else if (options.raw !== undefined) {
      if (options.contentType) headers['content-type'] = options.contentType;
      body = options.raw;
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    if (options.token) headers.authorization = `Token ${options.token}`;
    if (options.jwt) headers.authorization = `Bearer ${options.jwt}`;
    const res = await fetch(url + p, { method, headers, body });
    const text = await res.text();
    if (violations.length) throw new Error(`the server broke its spec: ${violations.splice(0).join('; ')}`);
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : '';
    } catch {
      // not JSON: keep the text
    }
    // The request side (#15): what the server accepts, the spec allows, and the other way round.
    const sent = sentBody(headers, body);
    const refused = await requestViolation(method, p, headers, sent, res.status, parsed);
    if (refused) throw new Error(`the server and its spec disagree on a request: ${refused}`);
    return { status: res.status, headers: res.headers, body: parsed, text };
  };

  const ts: TestServer = {
    url,
    app,
    dataDir,
    mailDir,
    request,
    async createUser(user) {
      const { users } = app.services.db;
      const password = user.password === undefined ? await (passwordHash ??= hashPassword(DEFAULT_PASSWORD)) : await hashPassword(user.password);
      const { id } = await users.create({ ...user, password, email: user.email ?? '', dateJoined: app.services.clock.now() });
      for (const name of user.groups ?? []) {
        const group = await users.findGroup(name);
        if (!group) throw new Error(`no group ${name}`);
        await users.addMember(id, group.id);
      }
      return id;
    },
    async tokenFor(username, password = DEFAULT_PASSWORD) {
      const r = await request('POST', '/auth/token/login/', { json: { username, password } });
      if (r.status !== 200) throw new Error(`login of ${username} failed: ${r.status} ${r.text}`);
      return r.body.auth_token as string;
    },
    async jwtFor(username, password = DEFAULT_PASSWORD) {
      const r = await request('POST', '/api/token/', { json: { username, password } });
      if (r.status !== 200) throw new Error(`JWT login of ${username} failed: ${r.status} ${r.text}`);
      return r.body as { access: string; refresh: string };
    },
    mails() {
      if (!fs.existsSync(mailDir)) return [];
      return fs
        .readdirSync(mailDir)
        .sort()
        .map((f) => fs.readFileSync(path.join(mailDir, f), 'utf8'));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
      await dropSchema();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return ts;
}

/** Why this answer breaks the spec, or null: an undeclared status, or a body that does not match. */
function contractViolation(app: App, operationId: string, status: number, body: unknown): string | null {
  const backend = app.api.backend;
  const operation = backend.router.getOperation(operationId) as { responses?: Record<string, { content?: unknown }> } | undefined;
  const declared = operation?.responses?.[String(status)] ?? operation?.responses?.default;
  if (!declared) return `${operationId} answered ${status}, which its responses do not declare`;
  if (!declared.content || status === 204) return null;
  const check = backend.validator.validateResponse(body, operationId, status);
  return check.errors?.length ? `${operationId} ${status}: ${JSON.stringify(check.errors)}` : null;
}
