/**
 * Path → operation matching and request parsing, computed once. openapi-backend's own router
 * rebuilds its operation list and a RegExp per operation on every request, and parses each
 * request twice (measured: a quarter of the CPU of a trivial GET); this table does the same
 * matching with a Map for static paths and one precompiled pattern per templated path, and
 * parses a request once. `installRouteTable` swaps it into an initialised OpenAPIBackend;
 * nothing else in the project knows about it.
 */
import type { OpenAPIBackend, Operation, ParsedRequest, Request } from 'openapi-backend';

type Match = { operation: Operation } | { status: 404 | 405 };

interface TemplateRoute {
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly literalLength: number;
  readonly byMethod: ReadonlyMap<string, Operation>;
}

export class RouteTable {
  private readonly statics = new Map<string, Map<string, Operation>>();
  private readonly templates: TemplateRoute[] = [];
  private readonly byTemplate = new Map<string, TemplateRoute>();

  constructor(operations: readonly Operation[]) {
    const templated = new Map<string, Map<string, Operation>>();
    for (const op of operations) {
      const p = normalisePath(op.path);
      const target = p.includes('{') ? templated : this.statics;
      const byMethod = target.get(p) ?? new Map<string, Operation>();
      byMethod.set(op.method, op);
      target.set(p, byMethod);
    }
    for (const [p, byMethod] of templated) {
      const source = p
        .split(/(\{[^}]+\})/)
        .map((part) => (part.startsWith('{') ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('');
      const route = {
        pattern: new RegExp(`^${source}$`),
        names: [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
        literalLength: p.replace(/\{[^}]+\}/g, '').length,
        byMethod,
      };
      this.templates.push(route);
      for (const op of byMethod.values()) this.byTemplate.set(op.path, route);
    }
    // Most specific (longest literal part) first, as openapi-backend orders them.
    this.templates.sort((a, b) => b.literalLength - a.literalLength);
  }

  /** The operation for `method path`; a path that exists with other methods only is 405. */
  match(method: string, rawPath: string): Match {
    const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
    const p = normalisePath(rawPath.split('?')[0]);
    const exact = this.statics.get(p);
    if (exact) {
      const op = exact.get(m);
      return op ? { operation: op } : { status: 405 };
    }
    let pathMatched = false;
    for (const t of this.templates) {
      if (!t.pattern.test(p)) continue;
      const op = t.byMethod.get(m);
      if (op) return { operation: op };
      pathMatched = true;
    }
    return { status: pathMatched ? 405 : 404 };
  }

  /** The decoded path parameters of `rawPath` for the operation's templated path. */
  params(operationPath: string, rawPath: string): Record<string, string> {
    const route = this.byTemplate.get(operationPath);
    const m = route?.pattern.exec(normalisePath(rawPath.split('?')[0]));
    const out: Record<string, string> = {};
    if (!route || !m) return out;
    route.names.forEach((name, i) => {
      try {
        out[name] = decodeURIComponent(m[i + 1]);
      } catch {
        out[name] = m[i + 1]; // not valid percent-encoding: validation refuses it as it stands
      }
    });
    return out;
  }
}

/** A trailing slash is optional, as openapi-backend's `ignoreTrailingSlashes`. */
function normalisePath(p: string): string {
  let out = p.startsWith('/') ? p : `/${p}`;
  while (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out;
}

/** Query string → object; a repeated key counts by its last value, as Django's QueryDict.get(). */
function parseQuery(qs: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (qs === '') return out;
  for (const [k, v] of new URLSearchParams(qs)) out[k] = v;
  return out;
}

/** The query parameters an operation declares (others are ignored, as Django views ignore them). */
function declaredQueryNames(operation: Operation): readonly string[] {
  const names: string[] = [];
  for (const param of operation.parameters ?? []) {
    const p = param as { in?: string; name?: string };
    if (p.in === 'query' && p.name !== undefined) names.push(p.name);
  }
  return names;
}

/** What parseRequest reads from a request once, whatever the operation. */
interface Parsed {
  /** The request these were read from: openapi-backend parses a copy (the coerced request) too. */
  readonly from: Request;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, unknown>;
}

const PARSED = Symbol('parsed');

/** Replaces the router's per-request operation walk and double parsing. Call after `api.init()`. */
export function installRouteTable(api: OpenAPIBackend): RouteTable {
  const router = api.router;
  const operations = router.getOperations();
  const byId = new Map(operations.map((op) => [op.operationId as string, op]));
  const table = new RouteTable(operations);
  router.getOperations = () => operations;
  router.getOperation = (id: string) => byId.get(id);
  router.matchOperation = ((req: { method: string; path: string }, strict?: boolean) => {
    const found = table.match(req.method, req.path);
    if ('operation' in found) return found.operation;
    if (!strict) return undefined;
    throw new Error(found.status === 405 ? '405-methodNotAllowed' : '404-notFound');
  }) as typeof router.matchOperation;
  const queryNames = new Map(operations.map((op) => [op, declaredQueryNames(op)]));
  // The parts of a request that do not depend on the operation are parsed once per request
  // (openapi-backend asks twice, three times for a validated request).
  router.parseRequest = ((req: Request & { [PARSED]?: Parsed }, operation?: Operation): ParsedRequest => {
    let base = req[PARSED];
    if (base === undefined || base.from !== req) {
      const query = typeof req.query === 'string' ? parseQuery(req.query.charCodeAt(0) === 63 /* ? */ ? req.query.slice(1) : req.query) : { ...(req.query ?? {}) };
      base = { from: req, method: req.method.toLowerCase(), path: normalisePath(req.path.split('?')[0]), query };
      req[PARSED] = base;
    }
    let query: Record<string, unknown> = base.query;
    if (operation) {
      query = {};
      for (const name of queryNames.get(operation) ?? declaredQueryNames(operation)) if (Object.hasOwn(base.query, name)) query[name] = base.query[name];
    }
    return {
      method: base.method,
      path: base.path,
      // Node hands headers over in lower case already; no operation declares cookie parameters.
      headers: req.headers,
      query,
      cookies: {},
      params: operation && operation.path.includes('{') ? table.params(operation.path, req.path) : {},
      requestBody: req.body,
    } as ParsedRequest;
  }) as typeof router.parseRequest;
  return table;
}
