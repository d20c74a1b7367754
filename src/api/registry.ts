/**
 * Every `x-` extension the spec may carry, in one place: its name, where it may appear, what it
 * means, what it builds, and its entry in the spec's description ("Vendor extensions"; a test
 * holds the two texts equal). src/spec.ts reads the extensions through `read` and checks the
 * whole document with `checkExtensions` at start-up: an unknown extension, one in a place it
 * does not belong, an internal one written in the spec, or a malformed value raises
 * ImproperlyConfigured before the server listens.
 */
import { parseDecimal, type DecimalRules } from '../decimal';
import { ImproperlyConfigured } from '../errors';
import { THROTTLE_KINDS, type ThrottleKind } from '../policies/types';
import { parseWindows } from '../rates';

/** Where in the document an extension is written. */
export type Place = 'root' | 'path item' | 'operation' | 'schema';

export interface Extension<T = unknown> {
  readonly name: `x-${string}`;
  readonly places: readonly Place[];
  /** What it declares, in a phrase. */
  readonly meaning: string;
  /** The policy or mechanism built from it, and where. */
  readonly builds: string;
  /** Its entry in info.description's "Vendor extensions", after the backquoted name; null when internal. */
  readonly doc: string | null;
  /** Added by the service to the copy it validates with; never written in openapi.yaml. */
  readonly internal: boolean;
  /** The value, checked. Raises ImproperlyConfigured naming `where` (a JSON pointer) for a malformed one. */
  read(value: unknown, where: string): T;
}

function bad(where: string, expected: string, value: unknown): ImproperlyConfigured {
  return new ImproperlyConfigured(`${where} must be ${expected}, not ${JSON.stringify(value)}`);
}

function nonEmptyStrings(value: unknown, where: string, expected: string): readonly string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) throw bad(where, expected, value);
  return Object.freeze([...value]);
}

function record(value: unknown, where: string, expected: string): Readonly<Record<string, unknown>> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(where, expected, value);
  return value as Record<string, unknown>;
}

export const X_ROLES: Extension<readonly string[]> = {
  name: 'x-roles',
  places: ['root', 'operation'],
  meaning: 'who may call the operation: built-in roles or group names, any one of them suffices',
  builds: "permissionFor() in src/policies/permissions.ts: one Permission per role (BUILT_IN_ROLES, or InGroup), OR'd with anyOf",
  doc:
    "(every operation; the root holds the default): who may call it, any one of `anyone`, `authenticated`, `admin` (the user's `is_staff` flag), `self` (the user named in the path, checked on the object), or a group named in `x-groups`. Refused callers get 401 when anonymous and 403 otherwise. Each operation's description states its roles.",
  internal: false,
  read: (value, where) => nonEmptyStrings(value, where, 'a non-empty list of role and group names'),
};

export const X_OBJECT: Extension<{ readonly load: string; readonly hidden: boolean }> = {
  name: 'x-object',
  places: ['operation'],
  meaning: 'the object the path names, found before the body is read (DRF get_object)',
  builds: "the gate's object stage (src/api/gate.ts): objectLoaders[load] in src/handlers/objects.ts, then Permission.hasObjectPermission",
  doc:
    "(operations on one object): which object the path names (`menuItem`, `user`, `userById`, `group`). It is looked up before the body is read, so an unknown one is 404 whatever the body says (DRF's `get_object()`), and the `self` role is checked on it: a caller it refuses gets 403, or 404 with `hidden: true` (djoser's HIDE_USERS).",
  internal: false,
  read(value, where) {
    const o = record(value, where, '{ load: <name>, hidden?: boolean }');
    if (typeof o.load !== 'string' || (o.hidden !== undefined && typeof o.hidden !== 'boolean')) throw bad(where, '{ load: <name>, hidden?: boolean }', value);
    return Object.freeze({ load: o.load, hidden: o.hidden === true });
  },
};

export const X_GROUPS: Extension<readonly string[]> = {
  name: 'x-groups',
  places: ['root'],
  meaning: 'the groups that exist',
  builds: 'the auth_group rows created at start-up (src/app.ts), and the group names x-roles and x-group may use',
  doc: '(root): the groups that exist (created at start-up when missing); a group named in `x-roles` or `x-group` must be one of them.',
  internal: false,
  read(value, where) {
    const groups = nonEmptyStrings(value, where, 'a non-empty list of group names');
    if (new Set(groups).size !== groups.length) throw bad(where, 'a list of distinct group names', value);
    return groups;
  },
};

export const X_GROUP: Extension<string> = {
  name: 'x-group',
  places: ['operation'],
  meaning: 'the group whose members the operation manages',
  builds: "OperationInfo.group, read by the group handlers (src/handlers/groups.ts) from the call's operation",
  doc: "(operations on a group's members): the group whose members the operation lists, adds or removes; one of `x-groups`.",
  internal: false,
  read(value, where) {
    if (typeof value !== 'string' || value === '') throw bad(where, 'a group name', value);
    return value;
  },
};

export const X_THROTTLE_SCOPE: Extension<readonly string[]> = {
  name: 'x-throttle-scope',
  places: ['root', 'operation'],
  meaning: "the throttle scopes that apply (DRF's throttle_scope); the root holds the default",
  builds: 'ThrottleRegistry.throttle(scope) in src/policies/throttling.ts, one Throttle per scope of the class its kind names; the gate runs them',
  doc:
    "(root default, per operation): the scope that applies (DRF's `throttle_scope`), or a list of scopes, each counted as its kind says (`x-throttle-kinds`). A scope's counters are shared by every operation that lists it. An empty list means no throttling.",
  internal: false,
  read(value, where) {
    if (typeof value === 'string' && value !== '') return Object.freeze([value]);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')) return Object.freeze([...(value as string[])]);
    throw bad(where, 'a scope or a list of scopes', value);
  },
};

export const X_THROTTLE_RATES: Extension<Readonly<Record<string, readonly string[]>>> = {
  name: 'x-throttle-rates',
  places: ['root'],
  meaning: "each scope's rate, or its windows",
  builds: "the scopes' windows (RateWindows) of ThrottleRegistry in src/policies/throttling.ts; THROTTLE_RATES overrides them",
  doc: "(root): rates in DRF's syntax `N/s|sec|second|m|min|minute|h|hour|d|day`, one rate or a list of windows that must all have room. `THROTTLE_RATES` overrides them.",
  internal: false,
  read(value, where) {
    const rates: Record<string, readonly string[]> = {};
    for (const [scope, rate] of Object.entries(record(value, where, 'a map of scopes to rates'))) {
      const windows = Array.isArray(rate) ? rate : [rate];
      if (windows.length === 0 || !windows.every((w) => typeof w === 'string')) throw bad(`${where}/${scope}`, 'a rate or a list of rates', rate);
      parseWindows(scope, windows as string[]);
      rates[scope] = Object.freeze([...(windows as string[])]);
    }
    return Object.freeze(rates);
  },
};

export const X_THROTTLE_KINDS: Extension<Readonly<Record<string, ThrottleKind>>> = {
  name: 'x-throttle-kinds',
  places: ['root'],
  meaning: 'what each scope counts',
  builds: 'the Throttle class of each scope (KIND_CLASSES in src/policies/throttling.ts), and which scopes the gate runs once the body is read (email)',
  doc:
    "(root): what each scope counts. `anon`: anonymous requests only, per client IP; `user`: per user (per IP when anonymous); `login`: the password guard (the scope `login` only): each check takes a point per client IP (`login`, every username) and per username (`login_username`, every IP) before the password is hashed, a right password gives it back, and a check with no point left is 429 at once; `login_username` is the guard's own and is never listed by an operation; `email`: per address in the body's `email` field, trimmed and lower-cased, whoever asks (it caps the mails one address gets; counted once the body is read, and only when the field is a string); `scoped`: per user (or IP) in that scope (DRF's ScopedRateThrottle). A scope not listed is `scoped`. An IPv6 client is counted by its /64 network.",
  internal: false,
  read(value, where) {
    const kinds: Record<string, ThrottleKind> = {};
    for (const [scope, kind] of Object.entries(record(value, where, 'a map of scopes to kinds'))) {
      if (!THROTTLE_KINDS.includes(kind as ThrottleKind)) {
        throw new ImproperlyConfigured(`x-throttle-kinds.${scope}: unknown kind ${JSON.stringify(kind)} (known: ${THROTTLE_KINDS.join(', ')})`);
      }
      kinds[scope] = kind as ThrottleKind;
    }
    return Object.freeze(kinds);
  },
};

export const X_DECIMAL: Extension<DecimalRules> = {
  name: 'x-decimal',
  places: ['schema'],
  meaning: "a decimal sent as a number or a string and kept as a string (DRF's DecimalField)",
  builds: 'the Ajv keyword x-decimal (decimalError in src/decimal.ts), added by customizeAjv in src/api/validate.ts',
  doc:
    "(string schemas): a decimal, read as DRF's DecimalField reads it: a number or a numeric string is accepted, `maxDigits` and `decimalPlaces` bound its digits, `minimum` and `maximum` (decimal strings) its value, and a value that breaks them gets DRF's message (`Ensure that there are no more than 2 decimal places.`).",
  internal: false,
  read(value, where) {
    const expected = '{ maxDigits: int, decimalPlaces: int, minimum?: decimal string, maximum?: decimal string }';
    const o = record(value, where, expected);
    const { maxDigits, decimalPlaces, minimum, maximum } = o;
    const count = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
    const bound = (b: unknown) => b === undefined || (typeof b === 'string' && parseDecimal(b) !== null);
    if (!count(maxDigits) || !count(decimalPlaces) || (decimalPlaces as number) > (maxDigits as number) || !bound(minimum) || !bound(maximum)) {
      throw bad(where, expected, value);
    }
    return o as unknown as DecimalRules;
  },
};

export const X_TRIM: Extension<boolean> = {
  name: 'x-trim',
  places: ['schema'],
  meaning: "whether a string field is trimmed (DRF CharField's trim_whitespace)",
  builds: 'coerceBody in src/api/validate.ts, which reads body fields before validation',
  doc: "(string fields of a request body): `false` keeps the value as sent; without it the value is trimmed of surrounding whitespace, as DRF's CharField does (`trim_whitespace`).",
  internal: false,
  read(value, where) {
    if (typeof value !== 'boolean') throw bad(where, 'true or false', value);
    return value;
  },
};

export const X_PROHIBIT_CHARS: Extension<true> = {
  name: 'x-prohibit-chars',
  places: ['schema'],
  meaning: "a string that may hold no NUL and no lone surrogate (DRF CharField's validators)",
  builds: 'the Ajv keyword x-prohibit-chars (characterErrors in src/api/validate.ts), set on every string schema of the copy openapi-backend validates with',
  doc: null,
  internal: true,
  read(value, where) {
    if (value !== true) throw bad(where, 'true', value);
    return true;
  },
};

/** Every extension, by name. */
export const EXTENSIONS: ReadonlyMap<string, Extension> = new Map(
  [X_ROLES, X_OBJECT, X_GROUPS, X_GROUP, X_THROTTLE_SCOPE, X_THROTTLE_RATES, X_THROTTLE_KINDS, X_DECIMAL, X_TRIM, X_PROHIBIT_CHARS].map((e) => [e.name, e as Extension]),
);

/** An `x-` key found in a document: its value, and where it was written. */
export interface Found {
  readonly name: string;
  /** Where it stands; null for a place no extension may use (info, a response, a parameter object...). */
  readonly place: Place | null;
  /** A JSON pointer to the key. */
  readonly where: string;
  readonly value: unknown;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);
/** Keys whose values are data (examples, defaults), where an `x-` key is data too. */
const DATA = new Set(['example', 'examples', 'default', 'enum', 'const']);
/** Schema keywords whose value is a schema, or (`properties`) a map of them, or a list of them. */
const SUBSCHEMA = new Set(['items', 'additionalProperties', 'not']);
const SUBSCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);

/**
 * Every `x-` key of `document`, with the place it stands: the root, a path item, an operation, a
 * schema (under `components.schemas`, any `schema`, and their subschemas), or null elsewhere.
 * Extension values are not searched (they are the extension's own), nor examples and defaults.
 */
export function extensionsIn(document: unknown): Found[] {
  const found: Found[] = [];
  walk(document, '', 'root', found);
  return found;
}

function pointer(where: string, key: string | number): string {
  return `${where}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function walk(node: unknown, where: string, place: Place | null, found: Found[]): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    node.forEach((v, i) => walk(v, pointer(where, i), null, found));
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    const at = pointer(where, key);
    if (key.startsWith('x-')) found.push({ name: key, place, where: at, value });
    else if (DATA.has(key)) continue;
    else if (place === 'schema' && key === 'properties' && value && typeof value === 'object') {
      // Property names are names, not keywords: a property may be called `x-...`.
      for (const [name, schema] of Object.entries(value)) walk(schema, pointer(at, name), 'schema', found);
    } else if (place === 'schema' && SUBSCHEMA_LISTS.has(key) && Array.isArray(value)) {
      value.forEach((schema, i) => walk(schema, pointer(at, i), 'schema', found));
    } else walk(value, at, childPlace(place, where, key), found);
  }
}

/** The place of `node[key]`, given the place of `node` and its pointer. */
function childPlace(place: Place | null, where: string, key: string): Place | null {
  if (where === '/paths') return 'path item';
  if (place === 'path item' && METHODS.has(key)) return 'operation';
  if (key === 'schema' || where === '/components/schemas') return 'schema';
  if (place === 'schema' && SUBSCHEMA.has(key)) return 'schema';
  return null;
}

/**
 * Checks every `x-` key of a spec as written: known, in one of its places, not internal, and
 * well-formed. Raises ImproperlyConfigured naming the first one that is not.
 */
export function checkExtensions(document: unknown): void {
  for (const { name, place, where, value } of extensionsIn(document)) {
    const extension = EXTENSIONS.get(name);
    if (!extension) throw new ImproperlyConfigured(`${where}: unknown extension ${name} (known: ${[...EXTENSIONS.keys()].join(', ')})`);
    if (extension.internal) throw new ImproperlyConfigured(`${where}: ${name} is added by the service, never written in the spec`);
    if (place === null || !extension.places.includes(place)) {
      throw new ImproperlyConfigured(`${where}: ${name} belongs on ${extension.places.join(' or ')}, not ${place ?? 'here'}`);
    }
    extension.read(value, where);
  }
}

/** The extension's value on `node`, checked; undefined when the node does not carry it. */
export function read<T>(extension: Extension<T>, node: Readonly<Record<string, unknown>>, where: string): T | undefined {
  const value = node[extension.name];
  return value === undefined ? undefined : extension.read(value, `${where}/${extension.name}`);
}
