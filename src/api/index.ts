/**
 * The API: openapi-backend set up from the spec, through its public API only. A request goes
 *
 *   route (Router.route: 404 and 405 decided here, before openapi-backend sees the request)
 *   → openapi-backend's security handlers (one per scheme, each an Authenticator)
 *   → the gate, in postSecurityHandler (src/api/gate.ts: authenticate → authorize → throttle →
 *     object → read body → validate)
 *   → the operation's handler, given a Call (for OPTIONS, src/api/metadata.ts, from the spec)
 *   → postResponseHandler, which writes the result.
 *
 * Boot checks raise ImproperlyConfigured before the server listens: an operation without a
 * handler (openapi-backend's strict mode refuses unknown ones), a scheme without an
 * authenticator, and the gate's own (buildGates).
 */
import type { Context } from 'koa';
import type { Context as OpenAPIContext, Operation } from 'openapi-backend';
import type { Ajv } from 'ajv';
import { ImproperlyConfigured, NotAuthenticated } from '../errors';
import type { Call, Handlers, OperationId } from '../handlers/types';
import { clientAddress } from '../clientAddress';
import { buildAbsoluteUri, replaceQueryParam, removeQueryParam } from '../hosts';
import { JwtAuthentication, TokenAuthentication } from '../policies/authentication';
import type { LoginGuard } from '../policies/throttling';
import type { Authenticator, RequestInfo } from '../policies/types';
import type { Services } from '../services';
import type { Spec } from '../spec';
import { Backend } from './backend';
import { buildGates, enter, pass, type Gate, type Passage, type Stages } from './gate';
import { negotiate } from './negotiate';
import { buildDescriptions, describe } from './metadata';
import { createBodyReader } from './readBody';
import { asRead, customizeAjv, prohibitUnsafeCharacters } from './validate';

export interface Api {
  /** Koa middleware: handles every request the spec declares, and 404/405 for the rest. */
  dispatch(ctx: Context): Promise<void>;
  /** The WWW-Authenticate value for a 401 of this request. */
  authenticateHeader(ctx: Context): string;
  /** The operation the request matched, if any. */
  operationId(ctx: Context): string | undefined;
  /** The authenticated caller's user id, if any. */
  userId(ctx: Context): number | undefined;
  /** The path template of the operation the request matched (`/api/menu-items/{id}`), if any. */
  route(ctx: Context): string | undefined;
  /** The client's canonical address, as the throttles count it (src/clientAddress.ts, NUM_PROXIES). */
  clientAddress(ctx: Context): string;
  readonly backend: Backend;
}

/** Where a request's Passage is kept on Koa's state. */
const PASSAGE = 'passage';
type State = { [PASSAGE]?: Passage };
const passageOf = (ctx: Context): Passage | undefined => (ctx.state as State)[PASSAGE];

export async function createApi(spec: Spec, services: Services, handlers: Handlers): Promise<Api> {
  const { settings, db } = services;
  const authenticators: Record<string, Authenticator> = {
    JWTAuth: new JwtAuthentication(db, services.jwt),
    TokenAuth: new TokenAuthentication(db, services.keys),
  };
  const defaultAuthenticateHeader = authenticators.JWTAuth.authenticateHeader();
  for (const [id, info] of spec.operations) {
    // OPTIONS is answered from the spec (src/api/metadata.ts); every other operation has its handler.
    if (info.method !== 'options' && !(id in handlers)) throw new ImproperlyConfigured(`operation ${id} has no handler`);
  }

  // A body is validated twice (src/api/gate.ts): as sent, against the schemas as declared, and as
  // read, against a copy in which each value has the one form it is read into (asRead) and every
  // string DRF reads with a CharField refuses NULs and lone surrogates.
  const backend = new Backend(
    {
      definition: structuredClone(spec.document) as never,
      strict: true,
      quick: true, // validators compile on first use: start-up stays well under a second
      coerceTypes: true,
      ajvOpts: { allErrors: true, verbose: true, strict: false },
      customizeAjv: (ajv) => customizeAjv(ajv as unknown as Ajv) as never,
    },
    (definition) => {
      asRead(definition);
      prohibitUnsafeCharacters(definition);
    },
  );
  await backend.init();
  const router = backend.router;
  const operations = new Map(router.getOperations().map((op): [string, Operation] => [op.operationId as string, op]));
  const gates = buildGates(spec, services, operations, authenticators, defaultAuthenticateHeader);
  const stages: Stages = { services, readBody: createBodyReader(settings.bodyLimitBytes), backend };

  backend.register({
    postSecurityHandler: (c: OpenAPIContext, ctx: Context) => pass(passageOf(ctx) as Passage, c.security, ctx, stages),
    // The gate has refused an unauthenticated caller already: this only keeps strict mode from answering in its own words.
    unauthorizedHandler: async () => {
      throw new NotAuthenticated();
    },
    postResponseHandler: async (c: OpenAPIContext, ctx: Context) => {
      const result = c.response as { status: number; body?: unknown; headers?: Record<string, string> };
      ctx.status = result.status;
      const throttleHeaders = passageOf(ctx)?.throttleHeaders;
      // Our own names and values (RateLimit, RateLimit-Policy): straight to Node's response.
      if (throttleHeaders) for (const name in throttleHeaders) ctx.res.setHeader(name, throttleHeaders[name]);
      if (result.headers) ctx.set(result.headers);
      if (result.status !== 204) {
        // Koa would look the JSON type up (mime-types) for every object body: it is always this.
        if (!ctx.res.hasHeader('Content-Type')) ctx.res.setHeader('Content-Type', 'application/json; charset=utf-8');
        ctx.body = result.body ?? {};
      }
    },
  });

  for (const [id, description] of buildDescriptions(spec, gates)) {
    backend.register(id, (_c: OpenAPIContext, ctx: Context) => describe(description, passageOf(ctx) as Passage, services));
  }
  for (const [id, handler] of Object.entries(handlers) as [OperationId, Handlers[OperationId]][]) {
    backend.register(id, (_c: OpenAPIContext, ctx: Context) => (handler as (c: Call<OperationId>) => Promise<unknown>)(new KoaCall(id, passageOf(ctx) as Passage, services, ctx)));
  }

  for (const a of Object.values(authenticators)) {
    // The authenticator's promise as it is (null: not its scheme); openapi-backend awaits it.
    backend.registerSecurityHandler(a.scheme, (_c: OpenAPIContext, ctx: Context) => a.authenticate((passageOf(ctx) as Passage).req));
  }

  return {
    backend,
    authenticateHeader: (ctx) => passageOf(ctx)?.gate.authenticateHeader ?? defaultAuthenticateHeader,
    operationId: (ctx) => passageOf(ctx)?.gate.info.operationId,
    userId: (ctx) => passageOf(ctx)?.userId,
    route: (ctx) => passageOf(ctx)?.gate.info.path,
    clientAddress: (ctx) => passageOf(ctx)?.req.ip ?? clientAddress(ctx.req.socket.remoteAddress, ctx.req.headers['x-forwarded-for'], settings.numProxies),
    async dispatch(ctx) {
      // NotFound and MethodNotAllowed are raised here: openapi-backend only sees requests that match.
      const request = router.route(ctx.method, ctx.path, ctx.querystring, ctx.headers as never);
      const passage = enter(gates.get(request.operation.operationId as string) as Gate, request, ctx, settings.numProxies);
      (ctx.state as State)[PASSAGE] = passage;
      negotiate(ctx.req.headers.accept);
      await backend.handleRequest(request, ctx);
    },
  };
}


/** A Call made from a Koa context: what a handler may know of the request, and no more. */
class KoaCall implements Call<OperationId> {
  readonly req: RequestInfo;
  readonly body: never;
  readonly params: never;
  readonly query: never;
  readonly object: unknown;
  readonly loginGuard: LoginGuard | null;
  readonly #ctx: Context;

  constructor(
    readonly operationId: OperationId,
    passage: Passage,
    readonly services: Services,
    ctx: Context,
  ) {
    this.req = passage.req;
    this.body = (passage.body ?? {}) as never;
    this.params = passage.params as never;
    this.query = passage.query as never;
    this.object = passage.object;
    this.loginGuard = passage.gate.loginGuard;
    this.#ctx = ctx;
  }

  cookie(name: string): string | undefined {
    return this.#ctx.cookies.get(name);
  }

  buildAbsoluteUri(location: string): string {
    return buildAbsoluteUri(this.#ctx, location);
  }

  urlWithQueryParam(name: string, value: string | null): string {
    // DRF's request.build_absolute_uri(): this request's path and query string as sent.
    const { path, querystring } = this.#ctx;
    const url = buildAbsoluteUri(this.#ctx, querystring ? `${path}?${querystring}` : path);
    return value === null ? removeQueryParam(url, name) : replaceQueryParam(url, name, value);
  }
}
