/**
 * Path → operation matching, computed once. openapi-backend's own router rebuilds its
 * operation list and a RegExp per operation on every request (measured: a quarter of the CPU
 * of a trivial GET); this table does the same matching with a Map for static paths and one
 * precompiled pattern per templated path. `installRouteTable` swaps it into an initialised
 * OpenAPIBackend; nothing else in the project knows about it.
 */
import type { OpenAPIBackend, Operation } from 'openapi-backend';

type Match = { operation: Operation } | { status: 404 | 405 };

interface TemplateRoute {
  readonly pattern: RegExp;
  readonly literalLength: number;
  readonly byMethod: ReadonlyMap<string, Operation>;
}

export class RouteTable {
  private readonly statics = new Map<string, Map<string, Operation>>();
  private readonly templates: TemplateRoute[] = [];

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
        .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('');
      this.templates.push({ pattern: new RegExp(`^${source}$`), literalLength: p.replace(/\{[^}]+\}/g, '').length, byMethod });
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
}

/** A trailing slash is optional, as openapi-backend's `ignoreTrailingSlashes`. */
function normalisePath(p: string): string {
  let out = p.startsWith('/') ? p : `/${p}`;
  while (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out;
}

/** Replaces the router's per-request operation walk with the table. Call after `api.init()`. */
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
  return table;
}
