/**
 * openapi-backend, set up from the spec: routing by operationId, the security handlers, our
 * gate (authorize, throttle, the x-object lookup), body reading, validation and the response.
 * The order of the stages is openapi-backend's: route → authenticate → postSecurityHandler
 * (authorize, throttle, find the object, read the body, the throttles that count the body) →
 * validate → handler → postResponseHandler.
 * Boot checks raise ImproperlyConfigured before the server listens.
 */
import type { Context } from 'koa';
import OpenAPIBackend, { type Context as OpenAPIContext, type Request as OpenAPIRequest } from 'openapi-backend';
import type { Ajv } from 'ajv';
import { clientAddress } from '../clientAddress';
import { ImproperlyConfigured, MethodNotAllowed, NotAuthenticated, NotFound, PermissionDenied } from '../errors';
import { objectLoaders, type ObjectLoader } from '../handlers/objects';
import type { Handlers, OperationId, Call } from '../handlers/types';
import { buildAbsoluteUri } from '../hosts';
import { JwtAuthentication, TokenAuthentication } from '../policies/authentication';
import { permissionFor } from '../policies/permissions';
import { checkThrottles, type LoginGuard } from '../policies/throttling';
import { LOGIN_SCOPE, type Authenticator, type OperationInfo, type Permission, type RequestInfo, type Throttle } from '../policies/types';
import { createBodyReader } from './readBody';
import { bodySchema, coerceBody, customizeAjv, prohibitUnsafeCharacters, validationError } from './validate';
import { installRouteTable } from './router';
import type { Services } from '../services';
import type { Spec } from '../spec';

/** Per-operation policies, resolved once at start-up. */
interface Gate {
  readonly info: OperationInfo;
  readonly authenticators: readonly Authenticator[];
  readonly permission: Permission;
  readonly throttles: readonly Throttle[];
  /** The throttles of kind `email`: they count the body, so they run once it is read. */
  readonly bodyThrottles: readonly Throttle[];
  readonly loginGuard: LoginGuard | null;
  readonly authenticateHeader: string;
  readonly loadObject: ObjectLoader | null;
}

export interface RequestState {
  gate?: Gate;
  req?: RequestInfo;
  object?: unknown;
  throttleHeaders?: Record<string, string>;
}

export interface Api {
  /** Koa middleware: handles every request the spec declares (and 404/405 for the rest). */
  dispatch(ctx: Context): Promise<void>;
  /** The WWW-Authenticate value for a 401 of this request. */
  authenticateHeader(ctx: Context): string;
  /** The operation the request matched, if any. */
  operationId(ctx: Context): string | undefined;
  readonly backend: OpenAPIBackend;
}

export async function createApi(spec: Spec, services: Services, handlers: Handlers): Promise<Api> {
  const { settings, db } = services;
  const authenticators: Record<string, Authenticator> = {
    JWTAuth: new JwtAuthentication(db, services.jwt),
    TokenAuth: new TokenAuthentication(db, services.keys),
  };
  const defaultAuthenticateHeader = authenticators.JWTAuth.authenticateHeader();
  const groups = new Set(spec.groups);

  const gates = new Map<string, Gate>();
  for (const info of spec.operations.values()) {
    const bodyScopes = info.throttles.filter((scope) => services.throttles.kindOf(scope) === 'email');
    if (bodyScopes.length > 0 && !spec.document.paths[info.path][info.method].requestBody) {
      throw new ImproperlyConfigured(`${info.operationId}: x-throttle-scope lists ${bodyScopes.join(', ')}, of kind email, but the operation takes no body`);
    }
    const auths = info.schemes.map((s) => {
      const a = authenticators[s];
      if (!a) throw new ImproperlyConfigured(`security scheme ${s} has no authenticator`);
      return a;
    });
    gates.set(info.operationId, {
      info,
      authenticators: auths,
      permission: permissionFor(info.roles, groups),
      throttles: info.throttles.filter((scope) => !bodyScopes.includes(scope)).map((scope) => services.throttles.throttle(scope)),
      bodyThrottles: bodyScopes.map((scope) => services.throttles.throttle(scope)),
      loginGuard: info.throttles.includes(LOGIN_SCOPE) ? services.throttles.loginGuard() : null,
      authenticateHeader: auths[0]?.authenticateHeader() ?? defaultAuthenticateHeader,
      loadObject: info.object ? loaderFor(info) : null,
    });
  }
  for (const id of spec.operations.keys()) {
    if (!(id in handlers)) throw new ImproperlyConfigured(`operation ${id} has no handler`);
  }

  const readBody = createBodyReader(settings.bodyLimitBytes);
  const hasInput = new Set<string>();
  for (const info of spec.operations.values()) {
    const item = spec.document.paths[info.path];
    const op = item[info.method];
    if (op.requestBody || op.parameters?.length || item.parameters?.length) hasInput.add(info.operationId);
  }
  const definition = structuredClone(spec.document);
  prohibitUnsafeCharacters(definition);
  const backend = new OpenAPIBackend({
    definition: definition as never,
    strict: true,
    quick: true, // validators compile on first use: start-up stays well under a second
    // Operations with neither parameters nor a body have nothing to validate: skip Ajv for them.
    validate: (c: OpenAPIContext) => hasInput.has(c.operation?.operationId as string),
    coerceTypes: true,
    ajvOpts: { allErrors: true, verbose: true, strict: false },
    customizeAjv: (ajv) => customizeAjv(ajv as unknown as Ajv) as never,
  });

  const state = (ctx: Context): RequestState => ctx.state as RequestState;
  /** Made once per request, when the operation is known; authentication fills in the caller. */
  const requestInfo = (ctx: Context, gate: Gate, params: Record<string, string>): Mutable<RequestInfo> => ({
    method: ctx.method,
    ip: clientAddress(ctx.req.socket.remoteAddress, ctx.req.headers['x-forwarded-for'], settings.numProxies),
    headers: ctx.headers,
    params,
    operation: gate.info,
    principal: null,
    auth: null,
  });

  backend.register({
    notFound: async () => {
      throw new NotFound();
    },
    methodNotAllowed: async (_c: OpenAPIContext, ctx: Context) => {
      throw new MethodNotAllowed(ctx.method);
    },
    postRoutingHandler: async (c: OpenAPIContext, ctx: Context) => {
      if (!c.operation) return;
      const s = state(ctx);
      const gate = gates.get(c.operation.operationId as string) as Gate;
      s.gate = gate;
      s.req = requestInfo(ctx, gate, (c.request.params ?? {}) as Record<string, string>);
    },
    postSecurityHandler: async (c: OpenAPIContext, ctx: Context) => {
      const s = state(ctx);
      const gate = s.gate as Gate;
      const req = s.req as Mutable<RequestInfo>;
      // 1. authenticate: the first scheme that claimed the header wins; its failure is a 401.
      for (const a of gate.authenticators) {
        const result = c.security?.[a.scheme] as { error?: unknown; principal?: RequestInfo['principal']; auth?: RequestInfo['auth'] } | null | undefined;
        if (result && typeof result === 'object' && 'error' in result && result.error) throw result.error;
        if (result && result.principal) {
          req.principal = result.principal;
          req.auth = result.auth ?? null;
          break;
        }
      }
      const principal = req.principal;
      // 2. authorize
      if (!principal && !gate.info.anonymous) throw new NotAuthenticated();
      const allowed = gate.permission.hasPermission(req);
      if (!(allowed === true || (allowed !== false && (await allowed)))) throw principal ? new PermissionDenied() : new NotAuthenticated();
      // 3. throttle
      if (gate.throttles.length > 0) s.throttleHeaders = await checkThrottles(gate.throttles, req);
      // 4. the object the path names, as DRF's get_object(): 404 before any body error
      if (gate.loadObject) {
        const obj = await gate.loadObject(services, req.params);
        if (obj === undefined || obj === null) throw new NotFound();
        if (gate.permission.hasObjectPermission && !(await gate.permission.hasObjectPermission(req, obj))) {
          throw gate.info.object?.hidden ? new NotFound() : new PermissionDenied();
        }
        state(ctx).object = obj;
      }
      // 5. read the body, now that the caller may send one
      const operation = c.operation as unknown as Record<string, unknown>;
      if (operation.requestBody) {
        const raw = await readBody(ctx);
        const body = coerceBody(bodySchema(operation, ctx.request.type || 'application/json'), raw);
        (c.request as { requestBody?: unknown }).requestBody = body;
        (ctx.state.openapiRequest as OpenAPIRequest).body = body as never;
        req.body = body;
        // 6. the throttles that count the body (an address to mail), now that there is one
        if (gate.bodyThrottles.length > 0) s.throttleHeaders = await checkThrottles(gate.bodyThrottles, req, s.throttleHeaders);
      }
    },
    unauthorizedHandler: async () => {
      throw new NotAuthenticated();
    },
    validationFail: async (c: OpenAPIContext) => {
      throw validationError(c.validation.errors ?? []);
    },
    postResponseHandler: async (c: OpenAPIContext, ctx: Context) => {
      const result = c.response as { status: number; body?: unknown; headers?: Record<string, string> };
      ctx.status = result.status;
      const throttleHeaders = state(ctx).throttleHeaders;
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

  for (const [id, handler] of Object.entries(handlers) as [OperationId, Handlers[OperationId]][]) {
    backend.register(id, (c: OpenAPIContext, ctx: Context) => {
      const s = state(ctx);
      const gate = s.gate as Gate;
      const req = s.req as RequestInfo;
      const call: Call<OperationId> = {
        operationId: id,
        req,
        body: ((c.request as { requestBody?: unknown }).requestBody ?? {}) as never,
        params: (c.request.params ?? {}) as never,
        query: flatQuery(c.request.query),
        services,
        ctx,
        buildAbsoluteUri: (location) => buildAbsoluteUri(ctx, location),
        loginGuard: gate.loginGuard,
        object: s.object,
      };
      return (handler as (c: Call<OperationId>) => Promise<unknown>)(call);
    });
  }

  for (const a of Object.values(authenticators)) {
    // The authenticator's promise as it is (null: not its scheme); openapi-backend awaits it.
    backend.registerSecurityHandler(a.scheme, (_c: OpenAPIContext, ctx: Context) => a.authenticate(state(ctx).req as RequestInfo));
  }

  await backend.init();
  installRouteTable(backend);

  return {
    backend,
    authenticateHeader: (ctx) => state(ctx).gate?.authenticateHeader ?? defaultAuthenticateHeader,
    operationId: (ctx) => state(ctx).gate?.info.operationId,
    async dispatch(ctx) {
      const request: OpenAPIRequest = {
        method: ctx.method,
        path: ctx.path,
        headers: ctx.headers as OpenAPIRequest['headers'],
        query: ctx.querystring,
        body: undefined,
      };
      ctx.state.openapiRequest = request;
      await backend.handleRequest(request, ctx);
    },
  };
}

function loaderFor(info: OperationInfo): ObjectLoader {
  const name = info.object?.load as string;
  const loader = objectLoaders[name];
  if (!loader) throw new ImproperlyConfigured(`${info.operationId}: x-object names ${JSON.stringify(name)}, which has no loader`);
  return loader;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Query values as single strings, the last one winning (Django's QueryDict.get). */
function flatQuery(query: unknown): Partial<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!query) return out;
  for (const [k, v] of Object.entries(query as Record<string, unknown>)) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (typeof last === 'string' || typeof last === 'number') out[k] = String(last);
  }
  return out;
}
