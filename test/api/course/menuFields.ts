/**
 * The menu item's fields as DRF's serializer reads them: each invalid value and the exact
 * message DRF gives for it (title: CharField(max_length=255); price: DecimalField(max_digits=6,
 * decimal_places=2, min_value=0); inventory: a SmallIntegerField's IntegerField(min_value=0,
 * max_value=32767), the bound Django sets on PostgreSQL). Each message was checked against
 * DRF 3.14 on Django 3.2. Not a test file.
 */

export const VALID_ITEM = { title: 'Greek salad', price: '12.50', inventory: 5 } as const;

export type Field = 'title' | 'price' | 'inventory';

export interface InvalidCase {
  readonly field: Field;
  /** What is sent; `undefined` means the field is left out. */
  readonly value: unknown;
  readonly message: string;
  /** Why the case is expected to fail today, when it is a known bug outside the menu's files. */
  readonly todo?: string;
}

const REQUIRED = 'This field is required.';
const NULL = 'This field may not be null.';
const BLANK = 'This field may not be blank.';
const NOT_STRING = 'Not a valid string.';
const NOT_NUMBER = 'A valid number is required.';
const NOT_INTEGER = 'A valid integer is required.';
const AT_LEAST_0 = 'Ensure this value is greater than or equal to 0.';

export const INVALID_CASES: readonly InvalidCase[] = [
  { field: 'title', value: undefined, message: REQUIRED },
  { field: 'title', value: null, message: NULL },
  { field: 'title', value: true, message: NOT_STRING },
  { field: 'title', value: ['Greek salad'], message: NOT_STRING },
  { field: 'title', value: { text: 'Greek salad' }, message: NOT_STRING },
  { field: 'title', value: '', message: BLANK },
  { field: 'title', value: '   ', message: BLANK },
  { field: 'title', value: 'x'.repeat(256), message: 'Ensure this field has no more than 255 characters.' },
  { field: 'title', value: 'é'.repeat(256), message: 'Ensure this field has no more than 255 characters.' },
  { field: 'title', value: 'Greek\u0000salad', message: 'Null characters are not allowed.' },
  // DRF trims before it counts; the spec's maxLength counts the text as sent, and the service with it (#15).
  { field: 'title', value: `${'x'.repeat(255)}  `, message: 'Ensure this field has no more than 255 characters.' },

  { field: 'price', value: undefined, message: REQUIRED },
  { field: 'price', value: null, message: NULL },
  { field: 'price', value: '', message: NOT_NUMBER },
  { field: 'price', value: 'abc', message: NOT_NUMBER },
  { field: 'price', value: '5,50', message: NOT_NUMBER },
  { field: 'price', value: 'NaN', message: NOT_NUMBER },
  { field: 'price', value: 'Infinity', message: NOT_NUMBER },
  { field: 'price', value: true, message: NOT_NUMBER },
  { field: 'price', value: [5], message: NOT_NUMBER },
  { field: 'price', value: { amount: 5 }, message: NOT_NUMBER },
  { field: 'price', value: '-1', message: AT_LEAST_0 },
  { field: 'price', value: -0.01, message: AT_LEAST_0 },
  { field: 'price', value: '1.234', message: 'Ensure that there are no more than 2 decimal places.' },
  { field: 'price', value: 1.234, message: 'Ensure that there are no more than 2 decimal places.' },
  { field: 'price', value: '1.230', message: 'Ensure that there are no more than 2 decimal places.' },
  { field: 'price', value: '12345.67', message: 'Ensure that there are no more than 6 digits in total.' },
  { field: 'price', value: '1e1000000', message: 'Ensure that there are no more than 6 digits in total.' },
  { field: 'price', value: '99999', message: 'Ensure that there are no more than 4 digits before the decimal point.' },
  { field: 'price', value: 10000, message: 'Ensure that there are no more than 4 digits before the decimal point.' },
  { field: 'price', value: '1'.repeat(1001), message: 'String value too large.' },
  // DRF reads these (Python's Decimal), but the spec's pattern does not offer them: plain notation
  // in ASCII digits only, and the service refuses what its spec refuses (#15).
  { field: 'price', value: '1e2', message: NOT_NUMBER },
  { field: 'price', value: '\u0661\u0662', message: NOT_NUMBER },
  { field: 'price', value: '1_0', message: NOT_NUMBER },
  { field: 'price', value: ' 1 000', message: NOT_NUMBER },

  { field: 'inventory', value: undefined, message: REQUIRED },
  { field: 'inventory', value: null, message: NULL },
  { field: 'inventory', value: '', message: NOT_INTEGER },
  { field: 'inventory', value: 'abc', message: NOT_INTEGER },
  { field: 'inventory', value: 1.5, message: NOT_INTEGER },
  { field: 'inventory', value: '1.5', message: NOT_INTEGER },
  { field: 'inventory', value: '1e3', message: NOT_INTEGER },
  { field: 'inventory', value: true, message: NOT_INTEGER },
  { field: 'inventory', value: [1], message: NOT_INTEGER },
  { field: 'inventory', value: -1, message: AT_LEAST_0 },
  { field: 'inventory', value: '-1', message: AT_LEAST_0 },
  { field: 'inventory', value: 32768, message: 'Ensure this value is less than or equal to 32767.' },
  { field: 'inventory', value: '32768', message: 'Ensure this value is less than or equal to 32767.' },
  // Python's int() reads these; the spec's pattern does not offer them (#15).
  { field: 'inventory', value: '\u0661\u0662', message: NOT_INTEGER },
  { field: 'inventory', value: '1_000', message: NOT_INTEGER },
];

/** A valid item with one field replaced (or left out, for `undefined`). */
export function withField(field: Field, value: unknown): Record<string, unknown> {
  const body: Record<string, unknown> = { ...VALID_ITEM };
  if (value === undefined) delete body[field];
  else body[field] = value;
  return body;
}

/** A readable name for a case, for test titles. */
export function describeCase(c: InvalidCase): string {
  const shown = c.value === undefined ? 'missing' : JSON.stringify(c.value);
  return `${c.field} ${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown}`;
}

/** Values that are read, DRF's way, into the stored item. */
export const ACCEPTED: readonly { body: Record<string, unknown>; price: string; inventory: number; title: string }[] = [
  { body: { title: 'A', price: '5.5', inventory: '3' }, title: 'A', price: '5.50', inventory: 3 },
  { body: { title: 'A', price: 5.5, inventory: 3 }, title: 'A', price: '5.50', inventory: 3 },
  { body: { title: 'A', price: 5, inventory: 3.0 }, title: 'A', price: '5.00', inventory: 3 },
  { body: { title: 'A', price: ' 0.1 ', inventory: ' 7 ' }, title: 'A', price: '0.10', inventory: 7 },
  { body: { title: 'A', price: '0', inventory: 0 }, title: 'A', price: '0.00', inventory: 0 },
  { body: { title: 'A', price: '9999.99', inventory: 32767 }, title: 'A', price: '9999.99', inventory: 32767 },
  { body: { title: 'A', price: '.5', inventory: '5.0' }, title: 'A', price: '0.50', inventory: 5 },
  { body: { title: 'A', price: '+100', inventory: '+4' }, title: 'A', price: '100.00', inventory: 4 },
  { body: { title: 'A', price: '0012.5', inventory: '0032767.00' }, title: 'A', price: '12.50', inventory: 32767 },
  { body: { title: 'A', price: '-0.00', inventory: '-0' }, title: 'A', price: '0.00', inventory: 0 },
  { body: { title: 12.5, price: 1, inventory: 2 }, title: '12.5', price: '1.00', inventory: 2 },
  { body: { title: 'A', price: 0.29, inventory: 1 }, title: 'A', price: '0.29', inventory: 1 },
  { body: { title: '  Lemon dessert  ', price: '5.50', inventory: 1 }, title: 'Lemon dessert', price: '5.50', inventory: 1 },
  { body: { title: 42, price: '1', inventory: 1 }, title: '42', price: '1.00', inventory: 1 },
  { body: { title: 'x'.repeat(255), price: '1', inventory: 1 }, title: 'x'.repeat(255), price: '1.00', inventory: 1 },
];
