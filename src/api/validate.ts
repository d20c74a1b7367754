/**
 * Request validation in DRF's words. A body is validated twice: as sent, against the schemas as
 * declared (where `anyOf` lists every form a value may take: a decimal as a string or a number,
 * an integer as a number or its text, a string as a string or a number); and as read, once its
 * fields are read the way DRF's fields read them (each into its first form: a numeric string
 * into a number, a number into its text, strings trimmed), against a copy of the schemas with the
 * first form only (asRead). Both must pass: the service accepts no value its spec refuses. Ajv's
 * errors become DRF field errors (`{"price": ["A valid number is required."]}`): the read
 * check's messages are DRF's own; a value only the declared check refuses gets its field's.
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

/** Teaches Ajv the formats the spec names: the standard ones, and ours (email as Django reads it, email-or-blank, username). */
export function declaredFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  ajv.addFormat('email', { type: 'string', validate: (v: string) => EMAIL.test(v) && !v.includes('..') });
  ajv.addFormat('email-or-blank', { type: 'string', validate: (v: string) => v === '' || (EMAIL.test(v) && !v.includes('..')) });
  // The one username rule (src/username.ts), not a `pattern`: other tools compile a pattern without the `u` flag.
  ajv.addFormat('username', { type: 'string', validate: isValidUsername });
  return ajv;
}

/** Teaches openapi-backend's Ajv our formats (declaredFormats) and the `x-decimal` and `x-prohibit-chars` keywords. */
export function customizeAjv(ajv: Ajv): Ajv {
  declaredFormats(ajv);
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

/** Schema keys whose values are data, not schemas: asRead leaves them alone. */
const DATA_KEYS = new Set(['example', 'examples', 'default', 'enum', 'const']);

/**
 * The definition as the service reads requests: each `anyOf` whose alternatives are typed
 * schemas (the forms one value may take on the wire) becomes its first alternative, merged into
 * the schema that held it (its description and example stay), without its `pattern`: a pattern
 * describes the text as sent, which the declared check reads, and the value as read is judged
 * by DRF's rules, in DRF's words (not blank once trimmed, x-decimal, which also bounds a
 * decimal's length). Mutates `node`; a schema shared by several places is changed once.
 */
export function asRead(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(asRead);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as Schema;
  const forms = o.anyOf;
  if (Array.isArray(forms) && forms.length > 0 && forms.every((f) => f && typeof f === 'object' && ('type' in f || '$ref' in f))) {
    delete o.anyOf;
    const { pattern: _sent, ...read } = forms[0] as Schema;
    // x-decimal checks the length too, in DRF's words ("String value too large.").
    if (read[X_DECIMAL.name]) delete read.maxLength;
    Object.assign(o, read);
  }
  for (const [key, value] of Object.entries(o)) if (!DATA_KEYS.has(key)) asRead(value);
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
 * The message for a body field that only the declared check refused (a form the service could
 * read but its spec does not offer: an exponent, a non-ASCII digit, surrounding spaces that
 * take a string over its maxLength...): its kind's DRF message for a value it cannot read, or
 * the declared check's own error in DRF's words.
 */
function declaredMessage(read: Schema | undefined, errors: readonly ErrorObject[]): string {
  if (read?.[X_DECIMAL.name]) return 'A valid number is required.';
  if (read?.type === 'integer') return 'A valid integer is required.';
  if (read?.type === 'number') return 'A valid number is required.';
  if (read?.type === 'boolean') return 'Must be a valid boolean.';
  const telling = errors.find((e) => e.keyword !== 'type' && e.keyword !== 'anyOf') ?? errors[0];
  return message(telling);
}

/**
 * Turns openapi-backend's Ajv errors into the error to raise: NotFound for a bad path
 * parameter (Django's URL would not have matched), else ValidationError with DRF's fields.
 * `errors` are the check of the request as read; `declared`, of its body as sent against the
 * declared schemas, and `readSchema` the body schema as read (for the fields only they name).
 */
export function validationError(errors: readonly ErrorObject[], declared: readonly ErrorObject[] = [], readSchema?: Schema): NotFound | ValidationError {
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
    // A decimal's maxLength is DRF's MAX_STRING_LENGTH: x-decimal reports it in DRF's words.
    if (e.keyword === 'maxLength' && (e.parentSchema as Schema | undefined)?.[X_DECIMAL.name]) continue;
    const msg = message(e);
    if (FIRST_ONLY.has(e.keyword)) {
      blocking.add(field);
      fields[field] = [msg];
      continue;
    }
    const list = (fields[field] ??= []);
    if (!list.includes(msg)) list.push(msg);
  }
  const onlyDeclared = new Map<string, ErrorObject[]>();
  for (const e of declared) {
    const [, where, field] = e.instancePath.split('/');
    if (where !== 'requestBody' || field === undefined || Object.hasOwn(fields, field)) continue;
    onlyDeclared.set(field, [...(onlyDeclared.get(field) ?? []), e]);
  }
  const props = (readSchema?.properties ?? {}) as Record<string, Schema>;
  for (const [field, list] of onlyDeclared) fields[field] = [declaredMessage(Object.hasOwn(props, field) ? props[field] : undefined, list)];
  return new ValidationError(Object.keys(fields).length ? fields : { non_field_errors: ['Invalid input.'] });
}
