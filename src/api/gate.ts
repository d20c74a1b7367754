/**
 * The request gate: what runs between routing and the handler, as named stages in DRF's order
 * (APIView.initial, then the serializer):
 *
 *   authenticate → authorize → throttle → object → read body → validate
 *
 * Authentication, permissions and throttles come before the body is read: an anonymous request
 * with a broken body is 401, not 400, and a request the permissions refuse counts against no
 * throttle. The object the path names is found before the body is read too (DRF's
 * get_object()), so an unknown one is 404 whatever the body says. The throttles that count the
 * body (kind `email`) run once it is read, and validation comes last.
 *
 * Each operation's policies are resolved once, at start-up (`buildGates`, which raises
 * ImproperlyConfigured); a request's progress is a Passage. The stages that have nothing to do
 * for an operation return without a promise, so they cost no await.
 */
import type { Context } from 'koa';
import type { Operation } from 'openapi-backend';
import { clientAddress } from '../clientAddress';
import { AuthenticationFailed, ImproperlyConfigured, NotAuthenticated, NotFound, PermissionDenied } from '../errors';
import { objectLoaders, type ObjectLoader } from '../handlers/objects';
import { permissionFor } from '../policies/permissions';
import { checkThrottles, type LoginGuard } from '../policies/throttling';
import { LOGIN_SCOPE, type Authenticator, type OperationInfo, type Permission, type Principal, type RequestInfo, type Throttle } from '../policies/types';
import type { Services } from '../services';
import type { Spec } from '../spec';
import type { Backend } from './backend';
import type { BodyReader } from './readBody';
import type { RoutedRequest } from './router';
import { bodySchema, coerceBody, validationError } from './validate';

/** One operation's policies, resolved at start-up. */
export interface Gate {
  readonly info: OperationInfo;
  /** openapi-backend's operation (dereferenced): the body schemas, and what validateRequest validates. */
  readonly operation: Operation;
  readonly authenticators: readonly Authenticator[];
  readonly permission: Permission;
  /** The throttles that run before the body is read. */
  readonly throttles: readonly Throttle[];
  /** The throttles of kind `email`: they count the body, so they run once it is read. */
  readonly bodyThrottles: readonly Throttle[];
  readonly loginGuard: LoginGuard | null;
  /** WWW-Authenticate for this operation's 401s: its first scheme's. */
  readonly authenticateHeader: string;
  readonly loadObject: ObjectLoader | null;
  /** Whether the operation takes a body or parameters: without either there is nothing to validate. */
  readonly hasInput: boolean;
}

/**
 * Every operation's gate. Raises ImproperlyConfigured for a scheme without an authenticator, an
 * unknown role or group, a scope without a rate, an email-kind scope on an operation without a
 * body, or an x-object without a loader.
 */
export function buildGates(spec: Spec, services: Services, operations: ReadonlyMap<string, Operation>, authenticators: Readonly<Record<string, Authenticator>>, defaultAuthenticateHeader: string): ReadonlyMap<string, Gate> {
  const groups = new Set(spec.groups);
  const gates = new Map<string, Gate>();
  for (const info of spec.operations.values()) {
    const operation = operations.get(info.operationId) as Operation;
    const bodyScopes = info.throttles.filter((scope) => services.throttles.kindOf(scope) === 'email');
    if (bodyScopes.length > 0 && !operation.requestBody) {
      throw new ImproperlyConfigured(`${info.operationId}: x-throttle-scope lists ${bodyScopes.join(', ')}, of kind email, but the operation takes no body`);
    }
    const auths = info.schemes.map((s) => {
      const a = authenticators[s];
      if (!a) throw new ImproperlyConfigured(`security scheme ${s} has no authenticator`);
      return a;
    });
    gates.set(info.operationId, {
      info,
      operation,
      authenticators: auths,
      permission: permissionFor(info.roles, groups),
      throttles: info.throttles.filter((scope) => !bodyScopes.includes(scope)).map((scope) => services.throttles.throttle(scope)),
      bodyThrottles: bodyScopes.map((scope) => services.throttles.throttle(scope)),
      loginGuard: info.throttles.includes(LOGIN_SCOPE) ? services.throttles.loginGuard() : null,
      authenticateHeader: auths[0]?.authenticateHeader() ?? defaultAuthenticateHeader,
      loadObject: info.object ? loaderFor(info) : null,
      hasInput: Boolean(operation.requestBody || operation.parameters?.length),
    });
  }
  return gates;
}

function loaderFor(info: OperationInfo): ObjectLoader {
  const name = info.object?.load as string;
  const loader = objectLoaders[name];
  if (!loader) throw new ImproperlyConfigured(`${info.operationId}: x-object names ${JSON.stringify(name)}, which has no loader`);
  return loader;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One request's way through the gate: what each stage found, for the next stages and the handler. */
export class Passage {
  /** The request as the policies see it; authentication fills in the caller, reading the body the body. */
  readonly req: Mutable<RequestInfo>;
  /** The object the path names (`x-object`), once found and permission-checked. */
  object: unknown = undefined;
  /** RateLimit headers of the throttles that counted the request. */
  throttleHeaders: Record<string, string> | undefined = undefined;
  /** The body as read and coerced; undefined for an operation without one. */
  body: unknown = undefined;
  /** The body as sent (parsed), for the declared check; undefined for an operation without one. */
  sentBody: unknown = undefined;
  /** The body's schema as read (for the content type sent). */
  bodySchema: Readonly<Record<string, unknown>> | undefined = undefined;
  /** The path parameters, validated and coerced. */
  params: Readonly<Record<string, unknown>> = {};
  /** The declared query parameters, validated. */
  query: Readonly<Record<string, unknown>> = {};

  constructor(
    readonly gate: Gate,
    readonly request: RoutedRequest,
    ip: string,
  ) {
    this.req = { method: request.method, ip, headers: request.headers, params: request.pathParams, operation: gate.info, principal: null, auth: null };
  }

  /** The caller's user id, once authenticated. */
  get userId(): number | undefined {
    return this.req.principal?.id;
  }
}

/** The passage of a routed request, its client address read as NUM_PROXIES says. */
export function enter(gate: Gate, request: RoutedRequest, ctx: Context, numProxies: number | null): Passage {
  return new Passage(gate, request, clientAddress(ctx.req.socket.remoteAddress, ctx.req.headers['x-forwarded-for'], numProxies));
}

/** What the gate's later stages need besides the request. */
export interface Stages {
  readonly services: Services;
  readonly readBody: BodyReader;
  readonly backend: Backend;
}

/**
 * Runs the stages in order for a request that openapi-backend has authenticated (`security`:
 * its security handlers' results by scheme). Raises the first stage's refusal: AuthenticationFailed
 * (and its kinds), NotAuthenticated, PermissionDenied, Throttled, NotFound, the body's errors
 * (ParseError, UnsupportedMediaType, PayloadTooLarge), ValidationError.
 */
export async function pass(p: Passage, security: Readonly<Record<string, unknown>> | undefined, ctx: Context, stages: Stages): Promise<void> {
  authenticate(p, security);
  const authorized = authorize(p);
  if (authorized) await authorized;
  if (p.gate.throttles.length > 0) await throttle(p);
  if (p.gate.loadObject) await findObject(p, stages.services);
  if (p.gate.operation.requestBody) await readBody(p, ctx, stages.readBody);
  if (p.gate.hasInput) validate(p, stages.backend);
}

/** authenticate: the first scheme that claimed the credentials wins; a scheme's failure is its 401. */
export function authenticate(p: Passage, security: Readonly<Record<string, unknown>> | undefined): void {
  for (const a of p.gate.authenticators) {
    const result = security?.[a.scheme] as { error?: unknown; principal?: Principal; auth?: RequestInfo['auth'] } | null | undefined;
    if (result && typeof result === 'object' && 'error' in result && result.error) {
      if (result.error instanceof AuthenticationFailed) result.error.scheme = a.scheme;
      throw result.error;
    }
    if (result && result.principal) {
      p.req.principal = result.principal;
      p.req.auth = result.auth ?? null;
      return;
    }
  }
}

/**
 * authorize: an anonymous caller where the operation needs one authenticated is NotAuthenticated;
 * then the x-roles permission, whose refusal is NotAuthenticated for an anonymous caller and
 * PermissionDenied otherwise. Returns a promise only when the permission answers with one.
 */
export function authorize(p: Passage): Promise<void> | undefined {
  const { principal } = p.req;
  if (!principal && !p.gate.info.anonymous) throw new NotAuthenticated();
  const allowed = p.gate.permission.hasPermission(p.req);
  if (allowed === true) return undefined;
  if (allowed === false) throw refusal(principal);
  return allowed.then((yes) => {
    if (!yes) throw refusal(principal);
  });
}

function refusal(principal: Principal | null): NotAuthenticated | PermissionDenied {
  return principal ? new PermissionDenied() : new NotAuthenticated();
}

/** throttle: every throttle of the operation counts the request (Throttled when one refuses). */
export async function throttle(p: Passage): Promise<void> {
  p.throttleHeaders = await checkThrottles(p.gate.throttles, p.req);
}

/** object: the object the path names, as DRF's get_object(): NotFound when there is none, or when `self` refuses a hidden one. */
export async function findObject(p: Passage, services: Services): Promise<void> {
  const obj = await (p.gate.loadObject as ObjectLoader)(services, p.req.params);
  if (obj === undefined || obj === null) throw new NotFound();
  const { permission, info } = p.gate;
  if (permission.hasObjectPermission && !(await permission.hasObjectPermission(p.req, obj))) {
    throw info.object?.hidden ? new NotFound() : new PermissionDenied();
  }
  p.object = obj;
}

/** read body: the body, read now that the caller may send one and coerced as DRF's fields read it; then the throttles that count it. */
export async function readBody(p: Passage, ctx: Context, read: BodyReader): Promise<void> {
  const raw = await read(ctx);
  const schema = bodySchema(p.gate.operation as unknown as Record<string, unknown>, ctx.request.type || 'application/json');
  const body = coerceBody(schema, raw);
  p.sentBody = raw;
  p.bodySchema = schema;
  p.body = body;
  p.req.body = body;
  if (p.gate.bodyThrottles.length > 0) p.throttleHeaders = await checkThrottles(p.gate.bodyThrottles, p.req, p.throttleHeaders);
}

/**
 * validate: openapi-backend's validateRequest on the request with its body as read, and its
 * body as sent against the declared schemas (src/api/validate.ts); their Ajv errors raised in
 * DRF's words (NotFound for a bad path parameter, else ValidationError), the coerced path and
 * query parameters kept for the handler.
 */
export function validate(p: Passage, backend: Backend): void {
  const result = backend.validateRequest(p.request.withBody(p.body), p.gate.operation);
  const declared = p.gate.operation.requestBody ? (backend.declared.validateRequest(p.request.withBody(p.sentBody), p.gate.info.operationId).errors ?? []).filter((e) => e.instancePath.startsWith('/requestBody')) : [];
  if (result.errors || declared.length > 0) throw validationError(result.errors ?? [], declared, p.bodySchema);
  const coerced = result.coerced as { params?: Record<string, unknown>; query?: Record<string, unknown> } | undefined;
  p.params = coerced?.params ?? {};
  p.query = coerced?.query ?? {};
}
