/**
 * Exact decimals for prices, with DRF DecimalField's checks and messages. A value is read
 * from its text the way Python's `decimal.Decimal(str)` reads it and kept as integer cents:
 * never a binary float. Also Python's own reading of text where DRF relies on it: `int()`,
 * `str.strip()` and `str.split()`.
 */

export interface ParsedDecimal {
  readonly negative: boolean;
  /** Significant digits, ASCII, leading zeros removed ("0" for zero): Python's `as_tuple().digits`. */
  readonly digits: string;
  /** Power of ten applied to `digits`: Python's `as_tuple().exponent`. */
  readonly exponent: number;
}

/** Python's `str.strip()` whitespace (it differs from JS `trim`: it has \x1c-\x1f and \x85, not \ufeff). */
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');
const PY_SPLIT = new RegExp(`[${PY_SPACE}]+`);

/** Python's `text.split()`: the words between runs of whitespace. */
export function pySplit(text: string): string[] {
  return pyStrip(text).split(PY_SPLIT).filter(Boolean);
}

/** Python's `text.strip()`. */
export function pyStrip(text: string): string {
  return text.replace(PY_STRIP, '');
}

/** A finite number after sign, digits and point; NaN and Infinity, which Python parses, DRF refuses alike. */
const FINITE = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const UNICODE_DIGIT = /\p{Nd}/u;

/**
 * Any Unicode decimal digit as its ASCII digit, as CPython's decimal module reads them
 * (`Decimal('١٢')` is 12). Unicode encodes each script's digits as a run of ten from 0, so a
 * digit's value is its distance from the start of its stretch of digits, modulo ten.
 */
function asciiDigits(text: string): string {
  return text.replace(/\p{Nd}/gu, (ch) => {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) return ch;
    let start = cp;
    while (UNICODE_DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
    return String((cp - start) % 10);
  });
}

/**
 * Reads `text` as Python's `Decimal(text.strip())` does: a sign, digits with an optional
 * point, an optional exponent of any size; underscores are ignored and any Unicode decimal digit
 * counts (CPython's C decimal). Returns null for anything else, and for NaN and Infinity.
 */
export function parseDecimal(text: string): ParsedDecimal | null {
  const m = FINITE.exec(asciiDigits(pyStrip(text).replace(/_/g, '')));
  if (!m) return null;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? m[4] ?? '';
  // An exponent too large for a double still orders correctly as ±Infinity: it fails max_digits.
  const exponent = Number(m[5] ?? 0) - fracPart.length;
  const digits = (intPart + fracPart).replace(/^0+(?=\d)/, '');
  return { negative: m[1] === '-', digits, exponent };
}

export interface DecimalRules {
  readonly maxDigits: number;
  readonly decimalPlaces: number;
  /** Inclusive bounds, as decimal strings; the message shows them as written. */
  readonly minimum?: string;
  readonly maximum?: string;
}

/** DRF's DecimalField.MAX_STRING_LENGTH. */
const MAX_STRING_LENGTH = 1000;

/**
 * The DRF message for the first rule `text` breaks, or null when it is a valid value. The
 * order is DRF's: string length, a number at all, total digits, decimal places, whole digits,
 * then the bounds. Digits are counted as DRF's `validate_precision` counts them on Python's
 * Decimal: trailing zeros count ("1.230" has 3 places), and so does an exponent ("0E+5" has 6
 * whole digits).
 */
export function decimalError(text: string, rules: DecimalRules): string | null {
  // Python's len() counts code points.
  if ([...pyStrip(text)].length > MAX_STRING_LENGTH) return 'String value too large.';
  const d = parseDecimal(text);
  if (!d) return 'A valid number is required.';
  const { total, whole, places } = precision(d);
  if (total > rules.maxDigits) return `Ensure that there are no more than ${rules.maxDigits} digits in total.`;
  if (places > rules.decimalPlaces) return `Ensure that there are no more than ${rules.decimalPlaces} decimal places.`;
  const maxWhole = rules.maxDigits - rules.decimalPlaces;
  if (whole > maxWhole) return `Ensure that there are no more than ${maxWhole} digits before the decimal point.`;
  if (rules.maximum !== undefined && compare(d, mustParse(rules.maximum)) > 0) {
    return `Ensure this value is less than or equal to ${rules.maximum}.`;
  }
  if (rules.minimum !== undefined && compare(d, mustParse(rules.minimum)) < 0) {
    return `Ensure this value is greater than or equal to ${rules.minimum}.`;
  }
  return null;
}

/** Digits in total, before and after the point, as DRF's `DecimalField.validate_precision`. */
function precision(d: ParsedDecimal): { total: number; whole: number; places: number } {
  const n = d.digits.length;
  if (d.exponent >= 0) return { total: n + d.exponent, whole: n + d.exponent, places: 0 };
  if (n > -d.exponent) return { total: n, whole: n + d.exponent, places: -d.exponent };
  return { total: -d.exponent, whole: 0, places: -d.exponent };
}

function mustParse(text: string): ParsedDecimal {
  const d = parseDecimal(text);
  if (!d) throw new RangeError(`not a decimal: ${JSON.stringify(text)}`);
  return d;
}

/** The value as a BigInt scaled by 10^-exponent (callers bound the exponents). */
function scaled(d: ParsedDecimal, exponent: number): bigint {
  const v = BigInt(d.digits) * 10n ** BigInt(d.exponent - exponent);
  return d.negative ? -v : v;
}

/** -1, 0 or 1 as a < b, a = b, a > b (minus zero equals zero). Both must have passed the precision checks. */
function compare(a: ParsedDecimal, b: ParsedDecimal): number {
  const e = Math.min(a.exponent, b.exponent);
  const x = scaled(a, e);
  const y = scaled(b, e);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Integer cents of a decimal that passed `decimalError` with at most 2 places. Throws a
 * RangeError for text that is not a decimal, or whose value is not a whole number of cents or
 * not a safe integer of them: money is never rounded here.
 */
export function toCents(text: string): number {
  const d = mustParse(text);
  const shift = d.exponent + 2;
  let digits: string;
  if (shift >= 0) {
    if (shift > 20) throw new RangeError(`out of range: ${JSON.stringify(text)}`);
    digits = d.digits + '0'.repeat(shift);
  } else {
    const keep = Math.max(0, d.digits.length + shift);
    if (/[1-9]/.test(d.digits.slice(keep))) throw new RangeError(`not a whole number of cents: ${JSON.stringify(text)}`);
    digits = d.digits.slice(0, keep) || '0';
  }
  const cents = Number(digits);
  if (!Number.isSafeInteger(cents)) throw new RangeError(`out of range: ${JSON.stringify(text)}`);
  return d.negative && cents !== 0 ? -cents : cents;
}

/** "5.50" for 550 (DRF renders a DecimalField quantized to its places, as a string). */
export function fromCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not a whole number of cents: ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Python's `int(text)` for a query parameter: whitespace stripped, a sign, digits (any Unicode
 * decimal digit) with single underscores between them. Null where Python raises ValueError.
 * Past 2^53 the value is approximate, which only matters for comparisons with small limits.
 */
export function parsePythonInt(text: string): number | null {
  const m = /^([+-]?)(\d+(?:_\d+)*)$/.exec(asciiDigits(pyStrip(text)));
  if (!m) return null;
  const n = Number(m[2].replace(/_/g, ''));
  return m[1] === '-' && n !== 0 ? -n : n;
}
