/**
 * Request validation in DRF's words. Before Ajv runs, body fields are read the way DRF's
 * fields read them (a number may arrive as a numeric string, a form sends only strings,
 * strings are trimmed); after, Ajv's errors become DRF field errors
 * (`{"price": ["A valid number is required."]}`).
 */
import type Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { decimalError, parsePythonInt, type DecimalRules } from '../decimal';
import { NotFound, ValidationError, type FieldErrors } from '../errors';
import { INVALID_USERNAME, isValidUsername } from '../username';
import { X_DECIMAL, X_PROHIBIT_CHARS, X_TRIM } from './registry';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = Record<string, any>;

/** Django's EmailValidator, in short: a local part, an @, a dotted domain. */
const EMAIL = /^(?!\.)[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** A UTF-16 surrogate without its other half: what a JSON `\ud800` escape makes, and what no UTF-8 column can store. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * DRF CharField's character checks, with its messages: no NUL (ProhibitNullCharactersValidator)
 * and no surrogate (ProhibitSurrogateCharactersValidator; in Python's str only a lone one can
 * be left, so it is the first unpaired one that is named).
 * @returns the messages; empty when the string may be stored as it is.
 */
export function characterErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.includes('\u0000')) errors.push('Null characters are not allowed.');
  const lone = LONE_SURROGATE.exec(value);
  if (lone) errors.push(`Surrogate characters are not allowed: U+${lone[0].charCodeAt(0).toString(16).toUpperCase()}.`);
  return errors;
}

/** Teaches openapi-backend's Ajv our formats (email, username) and the `x-decimal` and `x-prohibit-chars` keywords. */
export function customizeAjv(ajv: Ajv): Ajv {
  addFormats(ajv);
  ajv.addFormat('email', { type: 'string', validate: (v: string) => EMAIL.test(v) && !v.includes('..') });
  ajv.addFormat('email-or-blank', { type: 'string', validate: (v: string) => v === '' || (EMAIL.test(v) && !v.includes('..')) });
  // The one username rule (src/username.ts), not a `pattern`: other tools compile a pattern without the `u` flag.
  ajv.addFormat('username', { type: 'string', validate: isValidUsername });
  // x-trim is read before validation (coerceBody); readOnly fields are simply not read.
  for (const keyword of [X_TRIM.name, 'readOnly']) ajv.removeKeyword(keyword).addKeyword({ keyword });
  ajv.addKeyword({
    keyword: X_PROHIBIT_CHARS.name,
    type: 'string',
    errors: true,
    validate: function prohibitChars(_on: boolean, data: string): boolean {
      const messages = characterErrors(data);
      if (messages.length === 0) return true;
      (prohibitChars as unknown as { errors: Partial<ErrorObject>[] }).errors = messages.map((message) => ({ keyword: X_PROHIBIT_CHARS.name, message, params: {} }));
      return false;
    },
  });
  ajv.addKeyword({
    keyword: X_DECIMAL.name,
    type: 'string',
    errors: true,
    validate: function validateDecimal(rules: DecimalRules, data: string): boolean {
      const message = decimalError(data, rules);
      if (message === null) return true;
      (validateDecimal as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: X_DECIMAL.name, message, params: {} }];
      return false;
    },
  });
  return ajv;
}

/**
 * Marks every string schema of the document with `x-prohibit-chars` (characterErrors), as
 * DRF's CharField checks every string it reads: in components and inline in paths, in bodies,
 * path, header and cookie parameters. Not query parameters: DRF reads them without a
 * CharField (its SearchFilter drops NULs, as menu.ts does), and percent-decoding cannot make a
 * lone surrogate. Mutates `node`.
 */
export function prohibitUnsafeCharacters(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(prohibitUnsafeCharacters);
  } else if (node && typeof node === 'object') {
    const o = node as Schema;
    if (o.in === 'query') return;
    if (o.type === 'string' && !(X_DECIMAL.name in o)) o[X_PROHIBIT_CHARS.name] = true;
    for (const v of Object.values(o)) prohibitUnsafeCharacters(v);
  }
}

/** The JSON Schema of an operation's request body for the request's content type. */
export function bodySchema(operation: Schema, contentType: string): Schema | undefined {
  const content = operation.requestBody?.content;
  if (!content) return undefined;
  return (content[contentType] ?? content['application/json'])?.schema;
}

/**
 * Reads body fields as DRF fields do: numeric strings for numbers, "true"/"false" for
 * booleans, numbers for strings; strings trimmed unless the schema says `x-trim: false`.
 * Returns a new object; unknown fields are dropped, as DRF ignores them.
 */
export function coerceBody(schema: Schema | undefined, body: unknown): unknown {
  if (!schema || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  for (const [name, prop] of Object.entries(properties)) {
    if (!Object.prototype.hasOwnProperty.call(body, name)) continue;
    out[name] = coerceValue(prop, (body as Record<string, unknown>)[name]);
  }
  return out;
}

function coerceValue(prop: Schema, value: unknown): unknown {
  switch (prop.type) {
    case 'integer':
      // DRF's IntegerField: int(str(value)) once a trailing ".0…" is dropped.
      if (typeof value === 'string' && value.length <= 1000) {
        const n = parsePythonInt(value.replace(/\.0*\s*$/, ''));
        if (n !== null) return n;
      }
      return value;
    case 'number':
      if (typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) {
        const n = Number(value);
        if (Number.isFinite(n)) return n;
      }
      return value;
    case 'boolean':
      if (typeof value === 'string') {
        if (['true', 'True', '1', 'yes', 'on'].includes(value)) return true;
        if (['false', 'False', '0', 'no', 'off'].includes(value)) return false;
      }
      return value;
    case 'string': {
      let v = value;
      if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
      if (typeof v === 'string' && prop[X_TRIM.name] !== false) v = v.trim();
      return v;
    }
    default:
      return value;
  }
}

const PY_TYPES: Record<string, string> = { array: 'list', string: 'str', number: 'float', integer: 'int', boolean: 'bool', null: 'NoneType' };

function pyType(data: unknown): string {
  if (data === null) return 'NoneType';
  if (Array.isArray(data)) return 'list';
  if (typeof data === 'number') return Number.isInteger(data) ? 'int' : 'float';
  return PY_TYPES[typeof data] ?? typeof data;
}

function message(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const schema = (e.parentSchema ?? {}) as Schema;
  switch (e.keyword) {
    case 'required':
      return 'This field is required.';
    case 'type':
      if (e.data === null) return 'This field may not be null.';
      if (schema[X_DECIMAL.name]) return 'A valid number is required.';
      switch (schema.type) {
        case 'integer':
          return 'A valid integer is required.';
        case 'number':
          return 'A valid number is required.';
        case 'boolean':
          return 'Must be a valid boolean.';
        case 'array':
          return `Expected a list of items but got type "${pyType(e.data)}".`;
        default:
          return 'Not a valid string.';
      }
    case 'minLength':
      return p.limit === 1 ? 'This field may not be blank.' : `Ensure this field has at least ${p.limit} characters.`;
    case 'maxLength':
      return `Ensure this field has no more than ${p.limit} characters.`;
    case 'minimum':
      return `Ensure this value is greater than or equal to ${p.limit}.`;
    case 'maximum':
      return `Ensure this value is less than or equal to ${p.limit}.`;
    case 'format':
      if (p.format === 'username') return INVALID_USERNAME;
      return String(p.format).startsWith('email') ? 'Enter a valid email address.' : 'Enter a valid value.';
    case 'pattern':
      return 'This value does not match the required pattern.';
    case 'enum':
      // The value is echoed as DRF does, but without what no answer may carry (a NUL, a lone surrogate).
      return `"${String(e.data).replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')}" is not a valid choice.`;
    default:
      return e.message ?? 'Invalid value.';
  }
}

/** Errors that end a field's checks in DRF (it reports them alone). */
const FIRST_ONLY = new Set(['required', 'type']);

/**
 * Turns openapi-backend's Ajv errors into the error to raise: NotFound for a bad path
 * parameter (Django's URL would not have matched), else ValidationError with DRF's fields.
 */
export function validationError(errors: readonly ErrorObject[]): NotFound | ValidationError {
  const fields: FieldErrors = {};
  const blocking = new Set<string>();
  for (const e of errors) {
    const [, where, ...rest] = e.instancePath.split('/');
    if (where === 'path') return new NotFound();
    if (where === 'requestBody' && rest.length === 0 && e.keyword === 'type') {
      return ValidationError.nonField(
        e.data === null ? 'No data provided' : `Invalid data. Expected a dictionary, but got ${pyType(e.data)}.`,
      );
    }
    const field = e.keyword === 'required' ? String((e.params as { missingProperty: string }).missingProperty) : rest[0] ?? where ?? 'non_field_errors';
    if (blocking.has(field)) continue;
    const msg = message(e);
    if (FIRST_ONLY.has(e.keyword)) {
      blocking.add(field);
      fields[field] = [msg];
      continue;
    }
    const list = (fields[field] ??= []);
    if (!list.includes(msg)) list.push(msg);
  }
  return new ValidationError(Object.keys(fields).length ? fields : { non_field_errors: ['Invalid input.'] });
}
