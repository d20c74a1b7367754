/**
 * Routing through openapi-backend's public router API, computed once. Router extends
 * OpenAPIRouter and overrides its public methods: getOperations and getOperation answer from
 * the list made once, matchOperation from a route table (a Map for static paths, one
 * precompiled pattern per templated path), and parseRequest from what `route` read once per
 * request (the library rebuilds its operation list and a RegExp per operation on every call,
 * and parses a request twice, three times when it validates it: a quarter of the CPU of a
 * trivial GET, measured).
 *
 * The contract where it differs from the library's own router (test/unit/api/router.test.ts
 * lists each difference): one trailing slash is optional, but a path with an empty segment
 * (`/auth/users//`) matches nothing; a path that exists with other methods only is 405 even
 * when a templated path would take the method (Django tries its URL patterns in order: the
 * first that matches the path decides); HEAD is answered as GET; a path parameter that is not
 * valid percent-encoding is kept as sent, for validation to refuse.
 */
import { OpenAPIRouter, type Document, type Operation, type ParsedRequest, type Request } from 'openapi-backend';
import { MethodNotAllowed, NotFound } from '../errors';
import { fromWire, parseQuery } from './query';

type Headers = Request['headers'];
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * A request as `Router.route` read it, once: the operation it matched, its path parameters and
 * its query. openapi-backend is handed this object, and the router's public methods answer from
 * it instead of parsing again. Immutable; `withBody` makes the copy that carries a body.
 */
export class RoutedRequest implements Request {
  constructor(
    readonly method: string,
    /** The path as sent, without the query. */
    readonly path: string,
    readonly headers: Headers,
    /** The query string as sent, without the `?`. */
    readonly query: string,
    readonly body: unknown,
    readonly operation: Operation,
    /** The path parameters, percent-decoded (text that does not decode is kept as sent). */
    readonly pathParams: Readonly<Record<string, string>>,
    /** Every query parameter, the last value of a repeated one (src/api/query.ts). */
    readonly queryParams: Readonly<Record<string, string>>,
  ) {}

  /** The same request carrying `body` (the body as read, to validate). */
  withBody(body: unknown): RoutedRequest {
    return new RoutedRequest(this.method, this.path, this.headers, this.query, body, this.operation, this.pathParams, this.queryParams);
  }
}

/** ParsedRequest with one shape for every request. */
class Parsed implements ParsedRequest {
  /** Cookie parameters are not validated: handlers read cookies through Call.cookie. */
  readonly cookies: Record<string, string> = {};
  constructor(
    readonly method: string,
    readonly path: string,
    readonly headers: Headers,
    readonly query: Record<string, string>,
    readonly params: Record<string, string>,
    readonly requestBody: unknown,
  ) {}
}

/** The operations of one templated path. */
interface Template {
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly literalLength: number;
  readonly byMethod: ReadonlyMap<string, Operation>;
}

/** What the table says of a method and path: the operation and its path parameters, or the status (with Allow for 405). */
type Found =
  | { readonly operation: Operation; readonly params: Readonly<Record<string, string>> }
  | { readonly status: 404 }
  | { readonly status: 405; readonly allow: string };

const NOT_FOUND: Found = { status: 404 };

/** DRF's APIView.http_method_names: the order of Allow. */
const METHOD_ORDER = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'];

/** The Allow header of a path with these (lower-case) methods, as DRF writes it: its order, HEAD with GET. */
export function allowHeader(methods: Iterable<string>): string {
  const all = new Set(methods);
  if (all.has('get')) all.add('head');
  return METHOD_ORDER.filter((m) => all.has(m))
    .map((m) => m.toUpperCase())
    .join(', ');
}

function methodNotAllowed(byMethod: ReadonlyMap<string, Operation>): Found {
  return { status: 405, allow: allowHeader(byMethod.keys()) };
}

export class Router extends OpenAPIRouter {
  private readonly operations: Operation[];
  private readonly byId: ReadonlyMap<string, Operation>;
  private readonly statics = new Map<string, Map<string, Operation>>();
  private readonly templates: Template[] = [];
  private readonly templateOf = new Map<Operation, Template>();
  private readonly queryNames = new Map<Operation, readonly string[]>();

  constructor(opts: { definition: Document }) {
    super({ definition: opts.definition, ignoreTrailingSlashes: true });
    // The library's own flattening (path-level parameters and the global security merged in), once.
    this.operations = super.getOperations();
    this.byId = new Map(this.operations.map((op) => [op.operationId as string, op]));
    const templated = new Map<string, Map<string, Operation>>();
    for (const op of this.operations) {
      const p = withoutTrailingSlash(op.path);
      const target = p.includes('{') ? templated : this.statics;
      const byMethod = target.get(p) ?? new Map<string, Operation>();
      byMethod.set(op.method, op);
      target.set(p, byMethod);
      this.queryNames.set(op, declaredQueryNames(op));
    }
    for (const [p, byMethod] of templated) {
      const source = p
        .split(/(\{[^}]+\})/)
        .map((part) => (part.startsWith('{') ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('');
      const template = {
        pattern: new RegExp(`^${source}$`),
        names: [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
        literalLength: p.replace(/\{[^}]+\}/g, '').length,
        byMethod,
      };
      this.templates.push(template);
      for (const op of byMethod.values()) this.templateOf.set(op, template);
    }
    // The most specific (longest literal part) first, as the library orders them; ties in spec order.
    this.templates.sort((a, b) => b.literalLength - a.literalLength);
  }

  /**
   * Routes a request (`path` and `query` as Node read them from the wire): the RoutedRequest to
   * hand to openapi-backend. Raises NotFound when no
   * operation has the path (an empty segment included), MethodNotAllowed when the path exists
   * with other methods only.
   */
  route(method: string, path: string, query: string, headers: Headers): RoutedRequest {
    const found = this.find(method, path);
    if ('status' in found) throw found.status === 405 ? new MethodNotAllowed(method, found.allow) : new NotFound();
    return new RoutedRequest(method, path, headers, query, undefined, found.operation, found.params, query === '' ? NO_PARAMS : parseQuery(fromWire(query)));
  }

  /** The operation for `method path`; HEAD is GET. */
  private find(method: string, rawPath: string): Found {
    const lower = method.toLowerCase();
    const m = lower === 'head' ? 'get' : lower;
    const p = normalisePath(rawPath);
    if (p === null) return NOT_FOUND;
    const exact = this.statics.get(p);
    if (exact) {
      const op = exact.get(m);
      return op ? { operation: op, params: NO_PARAMS } : methodNotAllowed(exact);
    }
    // Django's first URL pattern that matches the path answers the 405, with its view's methods.
    let first: Template | null = null;
    for (const t of this.templates) {
      const match = t.pattern.exec(p);
      if (match === null) continue;
      const op = t.byMethod.get(m);
      if (op) return { operation: op, params: paramsOf(t, match) };
      first ??= t;
    }
    return first ? methodNotAllowed(first.byMethod) : NOT_FOUND;
  }

  /** The operation a request matches: a RoutedRequest's own, else the table's (strict: NotFound or MethodNotAllowed when none). */
  override matchOperation(req: Request): Operation | undefined;
  override matchOperation(req: Request, strict: boolean): Operation;
  override matchOperation(req: Request, strict?: boolean): Operation | undefined {
    if (req instanceof RoutedRequest) return req.operation;
    const found = this.find(req.method, pathOf(req));
    if ('operation' in found) return found.operation;
    if (!strict) return undefined;
    throw found.status === 405 ? new MethodNotAllowed(req.method, found.allow) : new NotFound();
  }

  /** Every operation, flattened once (the same array each time: read it, do not change it). */
  override getOperations(): Operation[] {
    return this.operations;
  }

  override getOperation(operationId: string): Operation | undefined {
    return this.byId.get(operationId);
  }

  /**
   * The request as openapi-backend reads it. With an operation: its path parameters, and only
   * the query parameters it declares (Django views ignore the others); each call gets objects of
   * its own, since validation coerces them in place. A RoutedRequest is not parsed again.
   */
  override parseRequest(req: Request, operation?: Operation): ParsedRequest {
    const routed = req instanceof RoutedRequest ? req : null;
    const all = routed ? routed.queryParams : parseQuery(queryOf(req));
    const path = routed ? routed.path : pathOf(req);
    if (!operation) return new Parsed(req.method.toLowerCase(), path, req.headers, all, {}, req.body);
    const query: Record<string, string> = {};
    for (const name of this.queryNames.get(operation) ?? declaredQueryNames(operation)) if (Object.hasOwn(all, name)) query[name] = all[name];
    const params = routed && routed.operation === operation ? { ...routed.pathParams } : this.paramsFor(operation, path);
    return new Parsed(req.method.toLowerCase(), path, req.headers, query, params, req.body);
  }

  /** The path parameters of `path` by the operation's template; {} when it does not match. */
  private paramsFor(operation: Operation, path: string): Record<string, string> {
    const template = this.templateOf.get(operation);
    const p = normalisePath(path);
    const match = template && p !== null ? template.pattern.exec(p) : null;
    return template && match ? { ...paramsOf(template, match) } : {};
  }
}

function paramsOf(template: Template, match: RegExpExecArray): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < template.names.length; i++) {
    const raw = match[i + 1];
    try {
      out[template.names[i]] = decodeURIComponent(raw);
    } catch {
      out[template.names[i]] = raw; // not valid percent-encoding: validation refuses it as it stands
    }
  }
  return out;
}

function withoutTrailingSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * The path as the table holds paths: a leading slash, one trailing slash dropped (it is
 * optional). Null when a segment is empty (`//` anywhere, or two trailing slashes): such a path
 * names no operation, as no Django URL pattern matches it (#15).
 */
function normalisePath(raw: string): string | null {
  const p = withoutTrailingSlash(raw.charCodeAt(0) === 47 /* / */ ? raw : `/${raw}`);
  return p.includes('//') || (p.length > 1 && p.endsWith('/')) ? null : p;
}

/** The path of a request not routed here, without its query (the library accepts both in `path`). */
function pathOf(req: Request): string {
  const mark = req.path.indexOf('?');
  return mark < 0 ? req.path : req.path.slice(0, mark);
}

/** The query string of a request not routed here: `req.query` when a string, else after the path's `?`. */
function queryOf(req: Request): string {
  if (typeof req.query === 'string') return req.query.charCodeAt(0) === 63 /* ? */ ? req.query.slice(1) : req.query;
  if (req.query && typeof req.query === 'object') return new URLSearchParams(req.query as Record<string, string>).toString();
  const mark = req.path.indexOf('?');
  return mark < 0 ? '' : req.path.slice(mark + 1);
}

/** The query parameters an operation declares. */
function declaredQueryNames(operation: Operation): readonly string[] {
  const names: string[] = [];
  for (const param of operation.parameters ?? []) {
    const p = param as { in?: string; name?: string };
    if (p.in === 'query' && p.name !== undefined) names.push(p.name);
  }
  return names;
}
