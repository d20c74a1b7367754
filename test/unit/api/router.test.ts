/**
 * Our Router (src/api/router.ts) against openapi-backend's own, differentially: for every path
 * and method of the spec and a few thousand generated requests (empty segments, encoded
 * slashes, trailing and doubled slashes, unknown methods, HEAD, odd case, very long paths), our
 * routing answers what a pristine `new OpenAPIRouter({ definition, ignoreTrailingSlashes: true })`
 * answers (the same operation or none, 404 or 405, the same path parameters), or what the
 * contract says where the two must differ: DIFFERENCES lists those, each with its reason, and
 * each must actually occur in the sample (a difference that no longer happens is stale).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { OpenAPIRouter, type Document, type Operation, type Request } from 'openapi-backend';
import { Backend } from '../../../src/api/backend';
import { RoutedRequest, type Router } from '../../../src/api/router';
import { MethodNotAllowed, NotFound } from '../../../src/errors';
import { loadSpec, PROJECT_ROOT } from '../../../src/spec';
import { referenceRouter } from '../../helpers/referenceRouter';

const SEED = 20_261_129;
const RUNS = 3000;
const spec = loadSpec();

let ours: Router;
let reference: OpenAPIRouter;
let definition: Document;

before(async () => {
  const backend = new Backend({ definition: structuredClone(spec.document) as never, quick: true });
  await backend.init();
  ours = backend.router;
  definition = backend.definition;
  // openapi-backend's router as it comes, given the spec's paths without their trailing slash (see the helper).
  reference = referenceRouter(definition);
});

/** What a router says of a request. */
interface Answer {
  readonly status: 200 | 404 | 405;
  readonly operationId?: string;
  /** The path parameters, or the error parsing them raised. */
  readonly params?: Readonly<Record<string, unknown>> | string;
}

function request(method: string, p: string): Request {
  return { method, path: p, headers: {} };
}

function answerOfReference(method: string, p: string): Answer {
  const req = request(method, p);
  const op = reference.matchOperation(req);
  if (!op) {
    try {
      reference.matchOperation(req, true);
    } catch (err) {
      // The library says which in its error's words: only this test reads them.
      return { status: (err as Error).message.startsWith('405') ? 405 : 404 };
    }
    assert.fail(`the reference matched nothing for ${method} ${p} but did not refuse it in strict mode`);
  }
  try {
    return { status: 200, operationId: op.operationId, params: reference.parseRequest(req, op).params };
  } catch (err) {
    return { status: 200, operationId: op.operationId, params: (err as Error).name };
  }
}

function answerOfOurs(method: string, p: string): Answer {
  const req = request(method, p);
  const op = ours.matchOperation(req);
  let routed: Answer;
  const [pathPart, query = ''] = p.split(/\?(.*)/s);
  try {
    const r = ours.route(method, pathPart, query, {});
    routed = { status: 200, operationId: r.operation.operationId, params: ours.parseRequest(r, r.operation).params };
  } catch (err) {
    assert.ok(err instanceof NotFound || err instanceof MethodNotAllowed, `route() raised ${String(err)}`);
    routed = { status: err instanceof MethodNotAllowed ? 405 : 404 };
  }
  // matchOperation, for a request routed elsewhere, agrees with route().
  assert.equal(op?.operationId, routed.operationId, `matchOperation and route disagree on ${method} ${p}`);
  if (op) assert.deepEqual(ours.parseRequest(req, op).params, routed.params, `parseRequest and route disagree on ${method} ${p}`);
  return routed;
}

const staticPaths = new Set(Object.keys(spec.document.paths).filter((p) => !p.includes('{')).map((p) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p)));

function pathOnly(p: string): string {
  const q = p.indexOf('?');
  const bare = q < 0 ? p : p.slice(0, q);
  return bare.startsWith('/') ? bare : `/${bare}`;
}

/** The segments of `p` the operation's path names as parameters: decoded, or as sent when they do not decode. */
function tolerantParams(op: Operation, p: string): Record<string, string> {
  const template = op.path.replace(/\/$/, '').split('/');
  const segments = pathOnly(p).replace(/\/$/, '').split('/');
  const out: Record<string, string> = {};
  template.forEach((part, i) => {
    const m = /^\{(.+)\}$/.exec(part);
    if (!m) return;
    try {
      out[m[1]] = decodeURIComponent(segments[i]);
    } catch {
      out[m[1]] = segments[i];
    }
  });
  return out;
}

interface Difference {
  readonly name: string;
  readonly reason: string;
  /** Whether the difference applies to this request, given the reference's answer. */
  applies(method: string, p: string, reference: Answer): boolean;
  /** What the contract says instead. */
  contract(method: string, p: string, reference: Answer): Answer;
}

/** Where our routing answers otherwise than openapi-backend's router, and why. The first that applies decides. */
const DIFFERENCES: readonly Difference[] = [
  {
    name: 'empty segment',
    reason:
      "#15: a path with an empty segment (`/auth/users//`, `/api//secret/`) names no operation, as no Django URL pattern matches it; the library drops every trailing slash and empty segments match its `[^/]*` parameters, so it answered GET /auth/users// with the user list",
    applies: (_m, p) => {
      const bare = pathOnly(p);
      const once = bare.length > 1 && bare.endsWith('/') ? bare.slice(0, -1) : bare;
      return once.includes('//') || (once.length > 1 && once.endsWith('/'));
    },
    contract: () => ({ status: 404 }),
  },
  {
    name: 'HEAD is GET',
    reason: "Django answers HEAD with the GET view (the body dropped); the library matches HEAD only where the spec declares `head`, which it does nowhere",
    applies: (m) => m.toLowerCase() === 'head',
    contract: (_m, p) => expected('GET', p),
  },
  {
    name: 'a static path decides first',
    reason:
      "Django tries its URL patterns in order, djoser's list actions (`users/set_password/`) before the detail route (`users/{username}/`): a path that exists as written answers 405 for a method it lacks; the library tries the templated paths next and answered GET /auth/users/set_password/ as userRetrieve",
    applies: (_m, p, ref) => ref.status === 200 && staticPaths.has(withoutOneSlash(pathOnly(p))) && (ours.getOperation(ref.operationId as string)?.path.includes('{') ?? false),
    contract: () => ({ status: 405 }),
  },
  {
    name: 'undecodable path parameter',
    reason: "the library's parseRequest throws URIError on a parameter that is not valid percent-encoding (`%ZZ`, `%C0%AF`); ours keeps it as sent, for validation or the object lookup to refuse with 404",
    applies: (_m, _p, ref) => ref.params === 'URIError',
    contract: (_m, p, ref) => ({ ...ref, params: tolerantParams(ours.getOperation(ref.operationId as string) as Operation, p) }),
  },
];

function withoutOneSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

const seen = new Map<string, number>(DIFFERENCES.map((d) => [d.name, 0]));

/** What the contract says of a request: the reference's answer, or the first listed difference's. */
function expected(method: string, p: string): Answer {
  const ref = answerOfReference(method, p);
  for (const d of DIFFERENCES) {
    if (d.applies(method, p, ref)) {
      seen.set(d.name, (seen.get(d.name) as number) + 1);
      return d.contract(method, p, ref);
    }
  }
  return ref;
}

function check(method: string, p: string): void {
  const want = expected(method, p);
  const got = answerOfOurs(method, p);
  assert.deepEqual(got, want, `${method} ${p.length > 200 ? `${p.slice(0, 200)}…` : p}`);
}

// ---------------------------------------------------------------------------------------
// Generated requests

const METHODS = ['GET', 'get', 'Get', 'HEAD', 'head', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'FOO'];
const SEGMENTS = ['', '1', '42', '0', '-1', 'abc', 'me', 'set_password', 'a%2Fb', '%2F', '%2f', '%ZZ', '%C0%AF', '%E2%82%AC', '%00', '..', '.', '%2e%2e', 'x'.repeat(5000), 'Bob', '%20', '+', "it's", '@'];
const operations = [...spec.operations.values()];

const segment = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SEGMENTS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))) });

/** A spec path with its parameters filled in, then damaged: slashes doubled or added, case changed, a segment added, a query. */
const fromSpec = fc
  .record({
    op: fc.constantFrom(...operations),
    values: fc.array(segment, { minLength: 2, maxLength: 2 }),
    trailing: fc.constantFrom('', '/', '//', '///'),
    damage: fc.constantFrom('none', 'none', 'none', 'double', 'upper', 'extra', 'leading', 'query', 'no-leading'),
    at: fc.nat(),
  })
  .map(({ op, values, trailing, damage, at }) => {
    let i = 0;
    let p = op.path.replace(/\{[^}]+\}/g, () => values[i++ % values.length]).replace(/\/$/, '') + trailing;
    const pos = p.length ? at % p.length : 0;
    switch (damage) {
      case 'double':
        p = `${p.slice(0, pos)}/${p.slice(pos)}`;
        break;
      case 'upper':
        p = p.slice(0, pos) + p.charAt(pos).toUpperCase() + p.slice(pos + 1);
        break;
      case 'extra':
        p = `${p.replace(/\/$/, '')}/extra/`;
        break;
      case 'leading':
        p = `//${p.slice(1)}`;
        break;
      case 'query':
        p = `${p}?page=2&a=%2F`;
        break;
      case 'no-leading':
        p = p.slice(1);
        break;
      default:
        break;
    }
    return p;
  });

const anyPath = fc.oneof(
  { weight: 3, arbitrary: fromSpec },
  { weight: 1, arbitrary: fc.webPath() },
  { weight: 1, arbitrary: fc.array(segment, { maxLength: 6 }).map((segs) => `/${segs.join('/')}`) },
  { weight: 1, arbitrary: fc.constantFrom('/', '', '//', `/${'a/'.repeat(3000)}`, `/api/${'x'.repeat(100_000)}`, '/api/menu-items/1/2', '/auth/users/a/b/') },
);

// ---------------------------------------------------------------------------------------

describe('our routing answers as openapi-backend does, or as the contract says where they differ', () => {
  test('every path and method of the spec, with one trailing slash and without', () => {
    for (const op of operations) {
      const p = op.path.replace(/\{[^}]+\}/g, 'x1');
      for (const candidate of [p, p.endsWith('/') ? p.slice(0, -1) : `${p}/`]) {
        check(op.method.toUpperCase(), candidate);
        assert.equal(answerOfOurs(op.method.toUpperCase(), candidate).operationId, op.operationId, `${op.method} ${candidate}`);
      }
    }
  });

  test(`${RUNS} generated requests (fixed seed)`, () => {
    fc.assert(
      fc.property(fc.constantFrom(...METHODS), anyPath, (method, p) => check(method, p)),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });

  test('each listed difference occurs in the sample (none is stale)', (t) => {
    for (const [name, count] of seen) assert.ok(count > 0, `the difference "${name}" never applied: remove it, or the routing changed`);
    t.diagnostic(`differences applied: ${JSON.stringify(Object.fromEntries(seen))}`);
  });
});

test("the library's router, given the spec as written, matches none of the paths declared with a trailing slash (why the reference gets them without)", () => {
  const asWritten = new OpenAPIRouter({ definition, ignoreTrailingSlashes: true });
  const withSlash = Object.keys(spec.document.paths).filter((p) => p.length > 1 && p.endsWith('/'));
  assert.ok(withSlash.length > 10);
  for (const p of withSlash) {
    const method = Object.keys(spec.document.paths[p]).find((k) => k !== 'parameters') as string;
    for (const candidate of [p, p.slice(0, -1)]) {
      assert.equal(asWritten.matchOperation(request(method, candidate.replace(/\{[^}]+\}/g, 'x'))), undefined, `${method} ${candidate}`);
    }
  }
});

describe('Router, through its public methods', () => {
  test('getOperations is the library\'s flattening, made once; getOperation finds each by id', () => {
    const fresh = new OpenAPIRouter({ definition }).getOperations();
    assert.deepEqual(ours.getOperations(), fresh);
    assert.equal(ours.getOperations(), ours.getOperations());
    for (const op of fresh) assert.deepEqual(ours.getOperation(op.operationId as string), op);
    assert.equal(ours.getOperation('noSuchOperation'), undefined);
  });

  test('route() raises NotFound or MethodNotAllowed (naming the method), and reads the path and query once', () => {
    assert.throws(() => ours.route('GET', '/nowhere/', '', {}), NotFound);
    assert.throws(() => ours.route('PATCH', '/api/secret/', '', {}), (err: unknown) => err instanceof MethodNotAllowed && /"PATCH"/.test((err as Error).message));
    const r = ours.route('GET', '/auth/users/a%2Fb%ZZ/', 'x=1&x=2&y', {});
    assert.ok(r instanceof RoutedRequest);
    assert.equal(r.operation.operationId, 'userRetrieve');
    assert.deepEqual(r.pathParams, { username: 'a%2Fb%ZZ' });
    assert.deepEqual(r.queryParams, { x: '2', y: '' });
    assert.deepEqual(ours.route('GET', '/auth/users/a%2Fb/', '', {}).pathParams, { username: 'a/b' });
  });

  test('parseRequest gives the declared query parameters only, and fresh objects each time (validation coerces them in place)', () => {
    const r = ours.route('GET', '/api/menu-items', 'page=1&page=3&search=x&evil=1', {});
    const a = ours.parseRequest(r, r.operation);
    const b = ours.parseRequest(r, r.operation);
    assert.deepEqual(a.query, { page: '3', search: 'x' });
    assert.notEqual(a.query, b.query);
    assert.notEqual(a.params, b.params);
    assert.deepEqual(ours.parseRequest(r).query, { page: '3', search: 'x', evil: '1' });
    const plain = ours.parseRequest({ method: 'GET', path: '/api/menu-items/7?ordering=-price', headers: {} }, ours.getOperation('menuItemsRetrieve'));
    assert.deepEqual([plain.params, plain.query], [{ id: '7' }, {}]);
  });

  test('matchOperation in strict mode raises our errors, never the library\'s strings', () => {
    assert.throws(() => ours.matchOperation(request('GET', '/nowhere'), true), NotFound);
    assert.throws(() => ours.matchOperation(request('DELETE', '/api/secret/'), true), MethodNotAllowed);
    assert.equal(ours.matchOperation(request('DELETE', '/api/secret/')), undefined);
  });
});

test('the installed openapi-backend is the version package.json pins exactly: a new one must be checked against this file first', () => {
  const pinned = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['openapi-backend'];
  assert.match(pinned, /^\d+\.\d+\.\d+$/, `package.json must pin openapi-backend exactly, not ${pinned}`);
  const installed = (JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve('openapi-backend')), 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(installed, pinned);
  assert.equal(installed, '5.21.2', 'the router was written and checked against 5.21.2');
});
