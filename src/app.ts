/**
 * createApp(settings): the Koa application and what it needs. The ONLY place the middleware
 * order is written: recover (the error boundary, which also logs) → security headers →
 * allowed hosts (Django's ALLOWED_HOSTS: a JSON 400 before anything else, #14) → CORS → spec
 * and docs (one middleware) → dispatch (openapi-backend: route, authenticate, authorize,
 * throttle, read body, throttle by the body, validate, handle, respond).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import cors from '@koa/cors';
import Koa, { type Context, type Next } from 'koa';
import helmet from 'helmet';
import { createApi, type Api } from './api';
import type { Clock } from './clock';
import { handlers } from './handlers';
import { createLogger, type Logger } from './log';
import { Metrics, UNMATCHED } from './metrics';
import { render } from './render';
import { createServices, type Services } from './services';
import type { Settings } from './settings';
import { loadSpec, type Spec } from './spec';
import { docs } from './docs';
import { adminConsole } from './admin/serve';
import { allowedHosts } from './hosts';

export interface AppOptions {
  readonly logger?: Logger;
  /** Called with every answer of a declared operation, errors included (the tests check them against the spec). */
  readonly observeResponse?: (response: ObservedResponse) => void;
  /** The service's clock (src/clock.ts); the system clock when absent. */
  readonly clock?: Clock;
  readonly spec?: Spec;
}

export interface ObservedResponse {
  readonly operationId: string;
  readonly status: number;
  readonly body: unknown;
}

export interface App {
  readonly koa: Koa;
  readonly services: Services;
  readonly api: Api;
  /** The app's metrics when METRICS_PORT is set (main.ts serves them on their own listener), else null. */
  readonly metrics: Metrics | null;
  /** From now on every answer says Connection: close (the server is shutting down). */
  drain(): void;
  /** Closes the database and Redis connections. */
  close(): Promise<void>;
}

/** Builds the services (createServices: the database migrated, Redis when configured) and the application. */
export async function createApp(settings: Settings, options: AppOptions = {}): Promise<App> {
  const log = options.logger ?? createLogger(settings.logLevel);
  const spec = options.spec ?? loadSpec();
  const services = await createServices(settings, { logger: log, clock: options.clock, spec });
  try {
    const api = await createApi(spec, services, handlers);
    const koa = new Koa();
    koa.silent = true; // errors are logged by `recover`, once
    const draining = { now: false };
    const metrics = settings.metricsPort === null ? null : new Metrics({ pools: () => services.db.pools(), redis: services.redis, passwordChecks: services.passwordChecks });
    koa.use(recover(api, log, metrics, draining, options.observeResponse));
    koa.use(securityHeaders());
    koa.use(allowedHosts(settings.allowedHosts, settings.numProxies));
    if (settings.corsAllowedOrigins.length) koa.use(corsFor(settings.corsAllowedOrigins));
    koa.use(meta(spec));
    koa.use((ctx: Context) => api.dispatch(ctx));
    return {
      koa,
      services,
      api,
      metrics,
      drain() {
        draining.now = true;
      },
      close: () => services.close(),
    };
  } catch (err) {
    await services.close();
    throw err;
  }
}

/** An unmatched path is logged up to this many characters (a request line may be 16 kB long). */
const MAX_LOGGED_PATH = 256;
/** A path segment logged as it is: a short word. Anything else may be a secret and is logged as `*`. */
const PLAIN_SEGMENT = /^[A-Za-z._~-]{1,32}$/;

/**
 * An unmatched path as the log may keep it: no query string (Koa's ctx.path has none), and each
 * segment that is not a short word (a digit, a percent-escape, or over 32 characters) as `*`.
 * An unmatched path can still carry a secret: the front end's reset link
 * (`password/reset/confirm/<uid>/<token>`) opened on the API itself, a key pasted into a URL.
 */
export function loggablePath(path: string): string {
  return path
    .slice(0, MAX_LOGGED_PATH)
    .split('/')
    .map((segment) => (segment === '' || PLAIN_SEGMENT.test(segment) ? segment : '*'))
    .join('/');
}

/**
 * The request ids of the proxies that set one: a UUID (Envoy, Heroku, most tracers) or 32 hex
 * digits (nginx's $request_id). Nothing else is taken: an id is logged, and a DRF key (40 hex
 * digits), a JWT or a reset token never has these shapes.
 */
const INCOMING_REQUEST_ID = /^(?:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[0-9A-Fa-f]{32})$/;

/** The request's id: the X-Request-Id a proxy in front gave it, when it has one of those shapes; else a fresh UUID. */
function requestId(incoming: string | undefined): string {
  return incoming !== undefined && INCOMING_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
}

/**
 * The error boundary: every error becomes DRF's JSON; unexpected ones are logged with a stack.
 * Once the app drains, answers also tell the client to close the connection (the headers are
 * written after this returns, so requests already in flight get it too).
 */
function recover(api: Api, log: Logger, metrics: Metrics | null, draining: { readonly now: boolean }, observe?: (r: ObservedResponse) => void) {
  return async function recover(ctx: Context, next: Next): Promise<void> {
    const logging = log.isLevelEnabled('info');
    const started = logging || metrics ? process.hrtime.bigint() : 0n;
    const id = requestId(ctx.req.headers['x-request-id'] as string | undefined);
    ctx.res.setHeader('X-Request-Id', id);
    try {
      await next();
    } catch (err) {
      const out = render(err, api.authenticateHeader(ctx));
      if (metrics) metrics.refused(err);
      if (out.unexpected) log.error({ err, reqId: id, method: ctx.method, operation: api.operationId(ctx) }, 'unhandled error');
      ctx.status = out.status;
      ctx.set(out.headers);
      ctx.body = out.body;
    }
    if (draining.now) ctx.res.shouldKeepAlive = false;
    const operationId = api.operationId(ctx);
    if (observe && operationId) observe({ operationId, status: ctx.status, body: ctx.body });
    if (!logging && !metrics) return;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (metrics) metrics.observe(operationId ?? UNMATCHED, ctx.method, ctx.status, ms / 1000);
    if (logging) {
      // A matched request is logged by its operation and route template, never by the path
      // as sent (its parameters may be personal); an unmatched one by its path, every segment
      // that could be a secret masked (loggablePath). Never the query string.
      log.info(
        {
          reqId: id,
          method: ctx.method,
          operation: operationId,
          route: api.route(ctx),
          path: operationId ? undefined : loggablePath(ctx.path),
          status: ctx.status,
          ms: Math.round(ms * 10) / 10,
          user: api.userId(ctx),
          ip: api.clientAddress(ctx),
        },
        'request',
      );
    }
  };
}

/**
 * Security headers on every response, as helmet writes them, with a policy that allows
 * nothing: the API answers JSON only (/docs sets its own, looser policy for Swagger UI).
 * helmet's headers do not depend on the request, so they are computed once, at start-up,
 * and set in one call per response (running helmet per request cost 10-15% of a trivial GET).
 */
function securityHeaders() {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name] = String(value)),
    removeHeader: (name: string) => void delete headers[name],
  };
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
  })({} as never, res as never, (err?: unknown) => {
    if (err) throw err;
  });
  if (!headers['Content-Security-Policy']) throw new Error('helmet did not produce its headers synchronously');
  // Answers carry keys, JWTs and personal data: no cache keeps them (/docs' assets set their own).
  headers['Cache-Control'] = 'no-store';
  // Set on Node's response directly: they are plain strings, checked once here, so Koa's
  // per-header normalisation (a quarter of the header cost) is not needed.
  const entries = Object.entries(headers);
  for (const [name, value] of entries) {
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
  }
  return async function securityHeaders(ctx: Context, next: Next): Promise<void> {
    const res = ctx.res;
    for (let i = 0; i < entries.length; i++) res.setHeader(entries[i][0], entries[i][1]);
    await next();
  };
}

/** CORS for the origins in CORS_ALLOWED_ORIGINS only (none by default). */
function corsFor(origins: readonly string[]) {
  const allowed = new Set(origins);
  const originOf = (ctx: Context) => {
    const origin = ctx.get('Origin');
    return allowed.has('*') ? '*' : allowed.has(origin) ? origin : '';
  };
  const exposeHeaders = ['Retry-After', 'RateLimit', 'RateLimit-Policy', 'WWW-Authenticate', 'X-Request-Id'];
  const handle = cors({ origin: originOf, allowHeaders: ['Authorization', 'Content-Type'], exposeHeaders, maxAge: 600 });
  return async function corsFor(ctx: Context, next: Next): Promise<void> {
    if (ctx.method !== 'OPTIONS' || ctx.get('Access-Control-Request-Method')) return handle(ctx, next);
    // An OPTIONS that is not a pre-flight is the API's (its metadata, #15). @koa/cors leaves it
    // alone: an allowed origin gets its headers here, as on every other answer.
    ctx.vary('Origin');
    const origin = ctx.get('Origin') ? originOf(ctx) : '';
    if (origin) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Expose-Headers', exposeHeaders.join(','));
    }
    return next();
  };
}

/** GET /openapi.json, /openapi.yaml, /docs and /admin: the spec, its UI and the console, outside the API's own gate. */
function meta(spec: Spec) {
  const json = JSON.stringify(spec.publicDocument);
  const serveDocs = docs();
  const serveAdmin = adminConsole();
  return async function meta(ctx: Context, next: Next): Promise<void> {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const path = ctx.path;
    if (path.startsWith('/docs')) return serveDocs(ctx, next);
    if (path === '/admin' || path.startsWith('/admin/')) return serveAdmin(ctx, next);
    switch (path) {
      case '/openapi.json':
        ctx.type = 'application/json';
        ctx.body = json;
        return;
      case '/openapi.yaml':
        ctx.type = 'application/yaml';
        ctx.body = spec.yaml;
        return;
      default:
        return next();
    }
  };
}
