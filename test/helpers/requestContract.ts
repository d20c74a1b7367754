/**
 * The request side of the contract, checked on every request the suite sends (#15): a request
 * the server accepts (2xx) must validate against the spec it serves (body, path and query
 * parameters), and a request that validates must not be refused with a 400 naming a field the
 * schema allowed, unless the message is one of the DRF validators no schema can express
 * (NO_SCHEMA_SAYS, each with its reason). Requests the suite sends invalid on purpose are fine:
 * they get a 4xx. The spec is read as a third-party tool reads /openapi.json: standard keywords
 * and the formats it names (vendor keywords ignored).
 */
import type { ErrorObject } from 'ajv';
import { Backend } from '../../src/api/backend';
import { declaredFormats } from '../../src/api/validate';
import { loadSpec } from '../../src/spec';

/** A field error the server may give for a value its schema allows, and why no schema can say it. */
interface Inexpressible {
  readonly field: string;
  readonly message: RegExp;
  readonly reason: string;
}

export const NO_SCHEMA_SAYS: readonly Inexpressible[] = [
  {
    field: 'password|new_password',
    message: /^(This password is (too short|too common|entirely numeric)|The password is too similar to the )/,
    reason: "Django's password validators judge a password against a list of common ones and the user's other fields",
  },
  { field: 'username|new_username', message: /^A user with that username already exists\.$/, reason: 'whether a username is taken is a fact of the database' },
  { field: 'current_password', message: /^Invalid password\.$/, reason: "whether it is the user's password is a fact of the database" },
  { field: 'uid', message: /^Invalid user id or user doesn't exist\.$/, reason: 'whether a uid names a user is a fact of the database' },
  { field: 'token', message: /^Invalid token for given user\.$/, reason: 'a token is checked against the user and the secret key' },
  {
    field: 'refresh',
    message: /^This field is required\.$/,
    reason: 'the refresh token may come in the body or, with JWT_REFRESH_COOKIE, in a cookie: a rule across a body and a cookie',
  },
  {
    field: 're_password|re_new_password|re_new_username',
    message: /^This field (is required|may not be blank)\.$/,
    reason: "read (required, not blank) only when djoser's *_RETYPE setting is on, a setting of the server",
  },
  {
    field: '*',
    message: /^(Null characters are not allowed\.|Surrogate characters are not allowed: U\+[0-9A-F]+\.)$/,
    reason: "DRF's CharField refuses a NUL or a lone surrogate in every string; the spec says it once (Request values), as a lone surrogate has no pattern that means the same with and without the u flag",
  },
  { field: 'name', message: /^group with this name already exists\.$/, reason: 'whether a group name is taken is a fact of the database' },
  {
    field: 'is_staff|is_active',
    message: /^You cannot (remove your own staff status|deactivate your own account)\.$/,
    reason: 'a rule about who asks (the caller may not demote or deactivate themself), not about the value',
  },
  {
    field: 'price',
    message: /^Ensure that there are no more than \d+ (decimal places|digits in total)\.$/,
    reason: 'the places of a JSON number: multipleOf 0.01 is not exact in binary floating point (validators refuse 0.29), so the number form declares only its bounds',
  },
];

function inexpressible(field: string, message: string): boolean {
  return NO_SCHEMA_SAYS.some((n) => (n.field === '*' || n.field.split('|').includes(field)) && n.message.test(message));
}

let checker: Promise<Backend> | null = null;

/** openapi-backend over the served document, with the formats it names and nothing of ours. */
function requestChecker(): Promise<Backend> {
  checker ??= new Backend({
    definition: structuredClone(loadSpec().publicDocument) as never,
    strict: false,
    quick: true,
    coerceTypes: true, // path and query parameters are text on the wire, as every tool reads them
    ajvOpts: { allErrors: true, strict: false },
    customizeAjv: (ajv) => declaredFormats(ajv as never) as never,
  }).init();
  return checker;
}

/** The body as sent: parsed when its type is one the checker reads, else unknown (null). */
export type SentBody = { readonly value: unknown } | null;

/**
 * The body of a request, read as a validating proxy would read it: UTF-8 without its BOM. A
 * compressed body, or one of another type, is not the checker's to read (null).
 */
export function sentBody(headers: Record<string, string>, body: string | Buffer | undefined): SentBody {
  if (body === undefined) return { value: undefined };
  const header = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const encoding = (header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') return null;
  const type = (header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const text = new TextDecoder().decode(typeof body === 'string' ? Buffer.from(body) : body);
  if (type === 'application/json') {
    try {
      return { value: JSON.parse(text) };
    } catch {
      return null; // not JSON: refused by any reading, and not the checker's to judge
    }
  }
  if (type === 'application/x-www-form-urlencoded') return { value: Object.fromEntries(new URLSearchParams(text)) };
  return null;
}

function describe(errors: readonly ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join(', ');
}

/**
 * Why this exchange breaks the request side of the contract, or null. `url` is the path and
 * query as sent; `reply` the parsed answer.
 */
export async function requestViolation(method: string, url: string, headers: Record<string, string>, body: SentBody, status: number, reply: unknown): Promise<string | null> {
  if (body === null) return null;
  const backend = await requestChecker();
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  const query = mark < 0 ? '' : url.slice(mark + 1);
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  let routed;
  try {
    routed = backend.router.route(method, path, query, lower);
  } catch {
    return null; // no operation: a 404 or 405, not a request the spec describes
  }
  const operation = routed.operation;
  const errors = backend.validator.validateRequest(routed.withBody(body.value), operation).errors ?? [];
  const name = `${method} ${path} (${operation.operationId})`;
  if (status >= 200 && status < 300) {
    return errors.length ? `${name} answered ${status} to a request its spec refuses: ${describe(errors)}` : null;
  }
  if (status !== 400 || errors.length || !reply || typeof reply !== 'object' || Array.isArray(reply)) return null;
  for (const [field, messages] of Object.entries(reply as Record<string, unknown>)) {
    if (field === 'non_field_errors' || field === 'detail' || !Array.isArray(messages)) continue;
    const refused = messages.filter((m) => !inexpressible(field, String(m)));
    if (refused.length) return `${name} answered 400 naming ${field} (${JSON.stringify(refused)}) to a request its spec allows: declare the rule, or list it in NO_SCHEMA_SAYS with the reason no schema can say it`;
  }
  return null;
}
