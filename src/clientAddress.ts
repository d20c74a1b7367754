/**
 * Client addresses: parsed and canonicalised by ipaddr.js (this file is its only importer), so
 * that one client has one spelling. `::ffff:1.2.3.4`, `::ffff:0102:0304` and `1.2.3.4` are one
 * address; `2001:0db8:0000::0002` is `2001:db8::2`. Throttles count an IPv6 client by its /64
 * network, the smallest block a provider hands out (#14): counting per address would give each
 * IPv6 client 2^64 fresh counters.
 */
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** Longer than any address with a zone or a port: not parsed at all. */
const MAX_ADDRESS_LENGTH = 64;
const MEMO_SIZE = 1024;

/**
 * `compute` remembered for the last ~MEMO_SIZE inputs (forgotten all at once when full): the
 * IPv6 path costs a few microseconds in ipaddr.js, and a client sends many requests.
 */
function memoize<T>(compute: (input: string) => T): (input: string) => T {
  const seen = new Map<string, T>();
  return (input) => {
    const known = seen.get(input);
    if (known !== undefined || seen.has(input)) return known as T;
    const value = compute(input);
    if (seen.size >= MEMO_SIZE) seen.clear();
    seen.set(input, value);
    return value;
  };
}

/** An IPv4-mapped IPv6 address as Node writes a peer on a dual-stack socket: the common case, answered without parsing. */
const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The canonical text of an IP address: IPv4 in dotted decimal, an IPv4-mapped IPv6 address as its
 * IPv4 address, other IPv6 in RFC 5952 form (`2001:db8::1`) without a zone. Brackets and a port
 * around it (`[2001:db8::1]:443`, `1.2.3.4:80`, as some proxies write X-Forwarded-For) are
 * dropped. Returns null when `text` is not an address: only four-part decimal IPv4 without
 * leading zeros is accepted (`1.2.3`, `0x7f.1`, `01.2.3.4` and `1.2.3.4.5` are not addresses),
 * as no proxy writes those forms.
 */
export function canonicalAddress(text: string): string | null {
  let s = text.trim();
  if (s.length === 0 || s.length > MAX_ADDRESS_LENGTH) return null;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
  if (bracketed) s = bracketed[1];
  else if (/^[\d.]+:\d{1,5}$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // Node's own checks first: they are native and throw nothing (ipaddr.js's validity checks
  // throw and catch internally, ~15 µs per miss), and Node's IPv4 form refuses leading zeros,
  // so what it accepts is already canonical. This runs on every request.
  if (net.isIPv4(s)) return s;
  if (!net.isIPv6(s)) return null;
  const mapped = MAPPED.exec(s);
  if (mapped && net.isIPv4(mapped[1])) return mapped[1];
  return canonicalIPv6(s);
}

const canonicalIPv6 = memoize((s): string | null => {
  try {
    const address = ipaddr.IPv6.parse(s);
    return address.isIPv4MappedAddress() ? address.toIPv4Address().toString() : address.toRFC5952String();
  } catch {
    return null;
  }
});

/**
 * What a throttle counts a client by: an IPv4 address as it is, an IPv6 address as its /64
 * network (`2001:db8:1:2::/64`). `address` is canonical (canonicalAddress's); anything else is
 * returned unchanged.
 */
export function throttleIdent(address: string): string {
  if (!address.includes(':') || !net.isIPv6(address)) return address;
  return network64(address);
}

const network64 = memoize((address) => `${new ipaddr.IPv6(ipaddr.IPv6.parse(address).parts.slice(0, 4).concat([0, 0, 0, 0])).toRFC5952String()}/64`);

/**
 * The value a trusted proxy appended to a list header (X-Forwarded-For, X-Forwarded-Host,
 * X-Forwarded-Proto): the `numProxies`-th item from the right, since each proxy appends what it
 * saw and everything to the left of the proxies' items is the client's to write. With fewer
 * items than proxies, the leftmost. Undefined when the header is absent or empty.
 */
export function forwardedValue(header: string | string[] | undefined, numProxies: number): string | undefined {
  const joined = Array.isArray(header) ? header.join(',') : header;
  if (!joined) return undefined;
  const items = joined.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) return undefined;
  return items[Math.max(0, items.length - numProxies)];
}

/**
 * The client's canonical address: the socket peer's, unless NUM_PROXIES trusted proxies are in
 * front; then X-Forwarded-For's item appended by the nearest of them (forwardedValue), so a
 * client cannot pick its own. A forwarded item that is not an address falls back to the peer,
 * so garbage does not open a counter of its own. The peer's text is kept as it is when it does
 * not parse (it always does for a live TCP socket).
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, numProxies: number | null): string {
  const socket = canonicalAddress(peer ?? '') ?? peer ?? '';
  if (!numProxies) return socket;
  const forwarded = forwardedValue(forwardedFor, numProxies);
  return (forwarded !== undefined && canonicalAddress(forwarded)) || socket;
}
