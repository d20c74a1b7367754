/**
 * Query strings, read one way everywhere: fields split on `&` (empty ones skipped), each
 * `name=value` or a bare `name` (an empty value), `+` a space, `%XX` a byte, and the bytes read
 * as UTF-8 with U+FFFD for what does not decode. Python's parse_qs(keep_blank_values=True),
 * which DRF reads, and the WHATWG form parser agree on all of this. Two views of one parse:
 * `parseQuery`, one value per name (the router: Django's QueryDict.get), and `parseQs`, every
 * value per name (the links DRF rebuilds with replace_query_param, src/hosts.ts).
 */

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A query string as it came on the wire (Node reads the request line as latin1: one character
 * per byte) decoded as UTF-8, as Django decodes QUERY_STRING before parsing it; bytes that are
 * not UTF-8 become U+FFFD. ASCII, the usual case, is returned as it is.
 */
export function fromWire(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'latin1').toString('utf8') : text;
}

/** Calls `visit` with each field's decoded name and value, in order. */
function forEachField(query: string, visit: (name: string, value: string) => void): void {
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    if (end > start) {
      const eq = query.indexOf('=', start);
      if (eq >= 0 && eq < end) visit(unquotePlus(query.slice(start, eq)), unquotePlus(query.slice(eq + 1, end)));
      else visit(unquotePlus(query.slice(start, end)), '');
    }
    start = end + 1;
  }
}

/**
 * The query's names and values, one value per name: the last one when a name repeats, as
 * Django's QueryDict.get() reads it. `query` is without its `?`.
 */
export function parseQuery(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  forEachField(query, (name, value) => {
    out[name] = value;
  });
  return out;
}

/** Python's parse_qs(query, keep_blank_values=True): every value per name, names in first-seen order. */
export function parseQs(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  forEachField(query, (name, value) => {
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  });
  return out;
}

const HEX_PAIR = /^[0-9a-fA-F]{2}$/;

/** Python's unquote_plus: `+` is a space, `%XX` a byte, bad UTF-8 becomes U+FFFD, a stray `%` stays. */
export function unquotePlus(text: string): string {
  const s = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!s.includes('%')) return s;
  try {
    // Well-formed escapes of valid UTF-8, the usual case, decode natively.
    return decodeURIComponent(s);
  } catch {
    return decodeBytes(s);
  }
}

/** The slow path of unquotePlus: byte by byte, a stray `%` kept, invalid UTF-8 replaced. */
function decodeBytes(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && HEX_PAIR.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const cp = s.codePointAt(i) as number;
      if (cp > 0xffff) i += 1;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
    }
  }
  return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
}

/** Python's quote_plus: everything but letters, digits and `_.-~` is %XX (UTF-8), a space is `+`. */
export function quotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * Python's urlencode(sorted(params.items()), doseq=True): names in Python's string order (by
 * code point; JavaScript's sort compares UTF-16 units), each value of a name as its own field.
 */
export function urlencodeSorted(params: ReadonlyMap<string, readonly string[]>): string {
  return [...params.entries()]
    .sort(([a], [b]) => compareCodePoints(a, b))
    .flatMap(([name, values]) => values.map((v) => `${quotePlus(name)}=${quotePlus(v)}`))
    .join('&');
}

function compareCodePoints(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0) as number);
  const y = [...b].map((c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
