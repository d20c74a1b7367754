/**
 * The host a request names, checked against ALLOWED_HOSTS before anything else (Django's
 * `HttpRequest.get_host()`, #14): links the API builds (a page's `next`) are made from the
 * validated host and scheme only, never from a header as it came. Behind NUM_PROXIES trusted
 * proxies, X-Forwarded-Host and X-Forwarded-Proto are read as X-Forwarded-For is (the value the
 * nearest trusted proxy appended); without it they are ignored.
 */
import type { Context, Next } from 'koa';
import { parseQs, urlencodeSorted } from './api/query';
import { forwardedValue } from './clientAddress';
import { DisallowedHost } from './errors';

/** A host name or IPv4 address, or an IPv6 address in brackets, then an optional port (lower-cased first). */
const HOST = /^([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/** Where the validated origin (`scheme://host[:port]`) is kept for the request. */
const ORIGIN = Symbol('origin');

/** Python's repr() of a string, as Django quotes a host in its message: quotes chosen, backslashes and control characters escaped. */
function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text.replace(/[\\\x00-\x1f\x7f]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}

/**
 * Whether `domain` (lower-case, without port or trailing dot) matches one of the patterns:
 * `*` matches anything, `.example.com` matches example.com and its subdomains, anything else
 * matches itself only.
 */
export function hostAllowed(domain: string, patterns: readonly string[]): boolean {
  for (const pattern of patterns) {
    if (pattern === '*' || pattern === domain) return true;
    if (pattern.startsWith('.') && (domain.endsWith(pattern) || domain === pattern.slice(1))) return true;
  }
  return false;
}

/**
 * Koa middleware: refuses a request whose host is missing, malformed or not allowed with 400
 * DisallowedHost (`Invalid HTTP_HOST header: 'evil.example'.`), and keeps the validated origin
 * for buildAbsoluteUri. Ports are ignored when matching; the comparison ignores case.
 */
export function allowedHosts(patterns: readonly string[], numProxies: number | null) {
  const anyHost = patterns.includes('*');
  return async function allowedHosts(ctx: Context, next: Next): Promise<void> {
    const headers = ctx.req.headers;
    const forwardedHost = numProxies ? forwardedValue(headers['x-forwarded-host'], numProxies) : undefined;
    const raw = forwardedHost ?? headers.host ?? '';
    const host = raw.toLowerCase();
    const m = HOST.exec(host);
    const domain = m ? m[1].replace(/\.$/, '') : '';
    if (!m || !domain || (!anyHost && !hostAllowed(domain, patterns))) throw new DisallowedHost(`Invalid HTTP_HOST header: ${pyRepr(raw)}.`);
    const forwardedProto = numProxies ? forwardedValue(headers['x-forwarded-proto'], numProxies)?.toLowerCase() : undefined;
    const scheme = forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : (ctx.req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    (ctx.state as { [ORIGIN]?: string })[ORIGIN] = `${scheme}://${host}`;
    await next();
  };
}

/**
 * DRF's request.build_absolute_uri(location): the validated origin followed by `location` (a
 * path with its query). Throws when the host was not validated (the middleware did not run):
 * a link is never made from an unchecked header.
 */
export function buildAbsoluteUri(ctx: Context, location: string): string {
  const origin = (ctx.state as { [ORIGIN]?: string })[ORIGIN];
  if (origin === undefined) throw new Error('buildAbsoluteUri: the request host was not validated (allowedHosts did not run)');
  return origin + location;
}

/** A URL's parts around its query, as Python's urlsplit divides them: before the `?`, the query, the fragment. */
function splitQuery(url: string): [string, string, string | null] {
  const hash = url.indexOf('#');
  const fragment = hash < 0 ? null : url.slice(hash + 1);
  const rest = hash < 0 ? url : url.slice(0, hash);
  const mark = rest.indexOf('?');
  return mark < 0 ? [rest, '', fragment] : [rest.slice(0, mark), rest.slice(mark + 1), fragment];
}

function joinQuery(base: string, query: string, fragment: string | null): string {
  return `${base}${query ? `?${query}` : ''}${fragment ? `#${fragment}` : ''}`;
}

/**
 * DRF's replace_query_param: `url` with `key` set to `value` (its other values dropped), the
 * query re-encoded as Python's urlencode does, names sorted (quote_plus, by code point).
 */
export function replaceQueryParam(url: string, key: string, value: string): string {
  const [base, query, fragment] = splitQuery(url);
  const params = parseQs(query);
  params.set(key, [value]);
  return joinQuery(base, urlencodeSorted(params), fragment);
}

/** DRF's remove_query_param: `url` without `key`, the query re-encoded as replaceQueryParam does. */
export function removeQueryParam(url: string, key: string): string {
  const [base, query, fragment] = splitQuery(url);
  const params = parseQs(query);
  params.delete(key);
  return joinQuery(base, urlencodeSorted(params), fragment);
}
