/**
 * The throttle rate syntax, DRF's `N/period` (`5/minute`), and THROTTLE_RATES' overrides
 * (`scope=rate[+rate...],...`). Below settings.ts and the throttles alike: it imports nothing
 * but the error it raises.
 */
import { ImproperlyConfigured } from './errors';

const PERIOD_SECONDS: ReadonlyMap<string, number> = new Map([
  ...['s', 'sec', 'second', 'seconds'].map((p) => [p, 1] as const),
  ...['m', 'min', 'minute', 'minutes'].map((p) => [p, 60] as const),
  ...['h', 'hour', 'hours'].map((p) => [p, 3600] as const),
  ...['d', 'day', 'days'].map((p) => [p, 86400] as const),
]);
/** A scope name: `/` is left out, so a window named `<scope>/<unit>` never collides with a scope. */
const SCOPE_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * `'5/minute'` → `{ points: 5, durationSeconds: 60 }`. The period is s|sec|second, m|min|minute,
 * h|hour or d|day, or the plural of a full word. N is a whole number from 1 to 999999999.
 * Throws ImproperlyConfigured naming the rate for anything else, such as `abc`, `0/minute`,
 * `-1/s` or `5/fortnight`. DRF itself only reads the period's first letter.
 */
export function parseRate(rate: string): { points: number; durationSeconds: number } {
  const m = typeof rate === 'string' ? /^([1-9][0-9]{0,8})\/([a-z]+)$/.exec(rate.trim()) : null;
  const seconds = m ? PERIOD_SECONDS.get(m[2]) : undefined;
  if (!m || seconds === undefined) {
    throw new ImproperlyConfigured(
      `Invalid throttle rate ${JSON.stringify(rate)}: expected N/second, N/minute, N/hour or N/day with N >= 1`,
    );
  }
  return { points: Number(m[1]), durationSeconds: seconds };
}

/**
 * A scope's windows, parsed and checked: at least one, with distinct durations, and a usable
 * name. Throws ImproperlyConfigured naming the scope.
 */
export function parseWindows(scope: string, rates: readonly string[]): { points: number; durationSeconds: number }[] {
  const where = `Throttle scope ${JSON.stringify(scope)}`;
  if (!SCOPE_NAME.test(scope)) throw new ImproperlyConfigured(`${where}: a scope name is letters, digits, _ . -`);
  if (!Array.isArray(rates) || rates.length === 0) throw new ImproperlyConfigured(`${where}: no rate given`);
  const windows = rates.map((rate) => {
    try {
      return parseRate(rate);
    } catch (err) {
      throw new ImproperlyConfigured(`${where}: ${(err as Error).message}`);
    }
  });
  const durations = windows.map((w) => w.durationSeconds);
  if (new Set(durations).size !== durations.length) {
    throw new ImproperlyConfigured(`${where}: two windows of the same period in ${JSON.stringify(rates.join('+'))}`);
  }
  return windows;
}

/**
 * THROTTLE_RATES, such as `anon=100/minute,ten=3/second,login=5/minute+100/day`, becomes
 * `{ anon: ['100/minute'], ten: ['3/second'], login: ['5/minute', '100/day'] }`. A `+` joins
 * several windows of one scope. Whitespace around the items is ignored, and so are empty items.
 * Throws ImproperlyConfigured naming the item for a malformed item, a bad rate, a scope given
 * twice, or two windows of the same period.
 */
export function parseRatesOverride(value: string): Record<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    const scope = item.slice(0, eq).trim();
    if (eq < 0 || !SCOPE_NAME.test(scope)) {
      throw new ImproperlyConfigured(`THROTTLE_RATES: expected scope=rate[+rate...], got ${JSON.stringify(item)}`);
    }
    if (out.has(scope)) throw new ImproperlyConfigured(`THROTTLE_RATES: scope ${JSON.stringify(scope)} given twice`);
    const rates = item.slice(eq + 1).split('+').map((r) => r.trim());
    try {
      parseWindows(scope, rates);
    } catch (err) {
      throw new ImproperlyConfigured(`THROTTLE_RATES: ${(err as Error).message}`);
    }
    out.set(scope, rates);
  }
  return Object.fromEntries(out);
}
