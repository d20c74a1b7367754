/**
 * Exact decimals for prices, with DRF DecimalField's checks and messages. Values are parsed
 * from their text and kept as integer cents: never a binary float.
 */

interface ParsedDecimal {
  readonly negative: boolean;
  /** Significant digits, leading zeros removed ("0" for zero). */
  readonly digits: string;
  /** Power of ten applied to `digits` (Python's Decimal exponent). */
  readonly exponent: number;
}

const DECIMAL = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d{1,6}))?$/;

export function parseDecimal(text: string): ParsedDecimal | null {
  const m = DECIMAL.exec(text.trim());
  if (!m) return null;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? m[4] ?? '';
  const exp = Number(m[5] ?? 0) - fracPart.length;
  const digits = (intPart + fracPart).replace(/^0+(?=\d)/, '');
  return { negative: m[1] === '-', digits, exponent: exp };
}

export interface DecimalRules {
  readonly maxDigits: number;
  readonly decimalPlaces: number;
  readonly minimum?: string;
}

/** The DRF message for the first rule `text` breaks, or null when it is a valid value. */
export function decimalError(text: string, rules: DecimalRules): string | null {
  if (text.trim().length > 1000) return 'String value too large.';
  const d = parseDecimal(text);
  if (!d) return 'A valid number is required.';
  const n = d.digits.length;
  let total: number;
  let whole: number;
  let places: number;
  if (d.exponent >= 0) {
    total = n + d.exponent;
    whole = total;
    places = 0;
  } else if (n > -d.exponent) {
    total = n;
    whole = n + d.exponent;
    places = -d.exponent;
  } else {
    total = -d.exponent;
    whole = 0;
    places = total;
  }
  if (d.digits === '0' && d.exponent >= 0) total = whole = 1;
  if (total > rules.maxDigits) return `Ensure that there are no more than ${rules.maxDigits} digits in total.`;
  if (places > rules.decimalPlaces) return `Ensure that there are no more than ${rules.decimalPlaces} decimal places.`;
  if (whole > rules.maxDigits - rules.decimalPlaces) {
    return `Ensure that there are no more than ${rules.maxDigits - rules.decimalPlaces} digits before the decimal point.`;
  }
  if (rules.minimum !== undefined && toCents(text) < toCents(rules.minimum)) {
    return `Ensure this value is greater than or equal to ${rules.minimum}.`;
  }
  return null;
}

/** Integer cents of a decimal that passed `decimalError` with at most 2 places. */
export function toCents(text: string): number {
  const d = parseDecimal(text);
  if (!d) throw new RangeError(`not a decimal: ${text}`);
  const shift = d.exponent + 2;
  const cents = shift >= 0 ? Number(d.digits + '0'.repeat(shift)) : Number(d.digits.slice(0, d.digits.length + shift) || '0');
  return d.negative && cents !== 0 ? -cents : cents;
}

/** "5.50" for 550. */
export function fromCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
