/**
 * The spec, read once: the document openapi-backend serves and validates with, and what our
 * vendor extensions (src/api/registry.ts) declare about each operation (OperationInfo).
 * Mistakes in the extensions stop start-up (ImproperlyConfigured), never a request.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { checkExtensions, read, X_GROUP, X_GROUPS, X_OBJECT, X_ROLES, X_THROTTLE_KINDS, X_THROTTLE_RATES, X_THROTTLE_SCOPE } from './api/registry';
import { ImproperlyConfigured } from './errors';
import { BUILT_IN_ROLES } from './policies/permissions';
import { LOGIN_SCOPE, type OperationInfo, type ThrottleKind } from './policies/types';

export const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/** The folder holding package.json and openapi.yaml (from src/ or from dist/src/). */
export const PROJECT_ROOT = findRoot(__dirname);

function findRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'openapi.yaml')) && fs.existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) throw new ImproperlyConfigured(`openapi.yaml not found above ${dir}`);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SpecDocument = Record<string, any>;

export interface Spec {
  /** The YAML text, as written. */
  readonly yaml: string;
  /** The parsed document, with its $refs, as written. */
  readonly document: SpecDocument;
  /** The document served at /openapi.json and /docs: each operation's description also states its roles and throttles. */
  readonly publicDocument: SpecDocument;
  readonly operations: ReadonlyMap<string, OperationInfo>;
  /** The root `x-groups`: the groups that exist. */
  readonly groups: readonly string[];
  /** The root `x-throttle-rates`, each scope as a list of windows. */
  readonly throttleRates: Readonly<Record<string, readonly string[]>>;
  /** The root `x-throttle-kinds`: the kind of each scope listed (the others are `scoped`). */
  readonly throttleKinds: Readonly<Record<string, ThrottleKind>>;
}

/** Reads and checks openapi.yaml. Raises ImproperlyConfigured for a bad extension. */
export function loadSpec(file = path.join(PROJECT_ROOT, 'openapi.yaml')): Spec {
  const yaml = fs.readFileSync(file, 'utf8');
  const document = YAML.parse(yaml) as SpecDocument;
  checkExtensions(document);
  const operations = new Map<string, OperationInfo>();
  const globalSecurity = (document.security ?? []) as Record<string, string[]>[];
  const globalRoles = read(X_ROLES, document, '');
  const globalThrottles = read(X_THROTTLE_SCOPE, document, '') ?? [];
  const groups = read(X_GROUPS, document, '') ?? [];
  const schemes = Object.keys(document.components?.securitySchemes ?? {});

  for (const [p, item] of Object.entries<SpecDocument>(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `/paths/${p.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}`;
      const id = op.operationId as string | undefined;
      if (!id) throw new ImproperlyConfigured(`${method.toUpperCase()} ${p} has no operationId`);
      if (operations.has(id)) throw new ImproperlyConfigured(`operationId ${id} is used twice`);
      const security = (op.security ?? globalSecurity) as Record<string, string[]>[];
      const opSchemes = [...new Set(security.flatMap((req) => Object.keys(req)))];
      for (const s of opSchemes) {
        if (!schemes.includes(s)) throw new ImproperlyConfigured(`${id}: unknown security scheme ${s}`);
      }
      const anonymous = security.length === 0 || security.some((req) => Object.keys(req).length === 0);
      const ownRoles = read(X_ROLES, op, where);
      const roles = ownRoles ?? globalRoles;
      // Fail closed: an operation open to anonymous callers must say who may call it.
      if (!roles || (anonymous && !ownRoles)) {
        throw new ImproperlyConfigured(`${id}: x-roles must be declared (a non-empty list) on every operation open to anonymous callers`);
      }
      const object = read(X_OBJECT, op, where) ?? null;
      // The `self` role is decided on the object: without one it would let every caller in.
      if (roles.includes('self') && !object) throw new ImproperlyConfigured(`${id}: x-roles has self but no x-object to check it on`);
      const group = read(X_GROUP, op, where) ?? null;
      if (group !== null && !groups.includes(group)) throw new ImproperlyConfigured(`${id}: x-group names ${JSON.stringify(group)}, a group x-groups does not declare`);
      const throttles = read(X_THROTTLE_SCOPE, op, where) ?? globalThrottles;
      operations.set(id, Object.freeze({
        operationId: id,
        method,
        path: p,
        roles,
        throttles,
        schemes: Object.freeze(opSchemes),
        anonymous,
        object,
        group,
      }));
    }
  }

  const throttleRates = read(X_THROTTLE_RATES, document, '') ?? Object.freeze({});
  const throttleKinds = checkThrottleKinds(read(X_THROTTLE_KINDS, document, '') ?? Object.freeze({}), throttleRates);
  return Object.freeze({
    yaml,
    document,
    publicDocument: describePolicies(document, operations),
    operations,
    groups,
    throttleRates,
    throttleKinds,
  });
}

/**
 * The root `x-throttle-kinds` checked against the rates: each a scope of `x-throttle-rates`,
 * and `login` for the scope `login` only, the one whose windows LoginGuard fills (a
 * LoginThrottle on another scope would never refuse). Raises ImproperlyConfigured.
 */
function checkThrottleKinds(kinds: Readonly<Record<string, ThrottleKind>>, rates: Readonly<Record<string, unknown>>): Readonly<Record<string, ThrottleKind>> {
  for (const [scope, kind] of Object.entries(kinds)) {
    if (!Object.hasOwn(rates, scope)) throw new ImproperlyConfigured(`x-throttle-kinds names ${JSON.stringify(scope)}, a scope x-throttle-rates does not declare`);
    if (kind === 'login' && scope !== LOGIN_SCOPE) throw new ImproperlyConfigured(`x-throttle-kinds.${scope}: only the scope ${LOGIN_SCOPE} can be of kind login`);
  }
  return kinds;
}

/** A copy of the document whose operation descriptions say who may call them and how they are throttled. */
function describePolicies(document: SpecDocument, operations: ReadonlyMap<string, OperationInfo>): SpecDocument {
  const copy = structuredClone(document) as SpecDocument;
  for (const info of operations.values()) {
    const op = copy.paths[info.path][info.method];
    const who = info.roles.map((r) => (Object.hasOwn(BUILT_IN_ROLES, r) ? BUILT_IN_ROLES[r].words : `members of the ${r} group`)).join(', or ');
    const auth = info.schemes.length === 0 ? 'credentials are ignored' : `${info.schemes.join(' or ')}${info.anonymous ? ', or anonymous' : ''}`;
    const throttle = info.throttles.length ? info.throttles.join(', ') : 'none';
    const policy = `**Who may call:** ${who} (x-roles: ${info.roles.join(', ')}). **Authentication:** ${auth}. **Throttles:** ${throttle}.`;
    op.description = op.description ? `${op.description}\n\n${policy}` : policy;
  }
  return copy;
}
