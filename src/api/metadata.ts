/**
 * OPTIONS, answered as DRF's SimpleMetadata answers it, from the spec: every path declares an
 * `options` operation whose 200 is `#/components/responses/Options`, and this one mechanism
 * answers them all (no handler of its own). The answer:
 *
 *   name, description  the options operation's summary and description (DRF: the view's name
 *                      and docstring)
 *   renders            what the service renders: JSON only (no browsable API)
 *   parses             the request content types the path's operations declare (DRF: the
 *                      view's parsers); for a path that takes no body, those of the service
 *   actions            for POST and PUT, when the path has them with a body and the caller may
 *                      call them (their x-roles, and for PUT the object and its permission, as
 *                      DRF's determine_actions checks), each field as DRF's get_field_info
 *                      describes it, read from the body schema as the service reads it and the
 *                      success response's readOnly fields
 *
 * and `Allow`: the path's methods in DRF's order, HEAD with GET (the router's allowHeader, which
 * a 405 sends too).
 */
import { ImproperlyConfigured } from '../errors';
import type { Services } from '../services';
import type { Spec, SpecDocument } from '../spec';
import type { Gate, Passage } from './gate';
import { X_DECIMAL } from './registry';
import { allowHeader } from './router';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = Record<string, any>;

/** The response every options operation declares for 200. */
export const OPTIONS_RESPONSE = '#/components/responses/Options';

/** The service renders JSON only. */
const RENDERS: readonly string[] = ['application/json'];

/** One field as DRF's SimpleMetadata.get_field_info describes it (its keys in DRF's order). */
export interface FieldInfo {
  readonly type: string;
  readonly required: boolean;
  readonly read_only: boolean;
  readonly label: string;
  readonly help_text?: string;
  readonly min_length?: number;
  readonly max_length?: number;
  readonly min_value?: number;
  readonly max_value?: number;
  readonly max_digits?: number;
  readonly decimal_places?: number;
  readonly choices?: readonly { value: unknown; display_name: string }[];
}

export interface Metadata {
  name: string;
  description: string;
  renders: readonly string[];
  parses: readonly string[];
  actions?: Record<string, Readonly<Record<string, FieldInfo>>>;
}

/** A write method of the path whose fields OPTIONS may show. */
interface Action {
  readonly method: 'POST' | 'PUT';
  readonly gate: Gate;
  readonly fields: Readonly<Record<string, FieldInfo>>;
}

/** What one options operation answers, but for the actions, which depend on the caller. */
interface Description {
  readonly base: Readonly<Metadata>;
  readonly allow: string;
  readonly actions: readonly Action[];
}

/** DRF's label_lookup, from a schema as the service reads the value. */
function fieldType(s: Schema): string {
  if (s[X_DECIMAL.name]) return 'decimal';
  if (Array.isArray(s.enum)) return 'choice';
  switch (s.type) {
    case 'string':
      return s.format === 'email' || s.format === 'email-or-blank' ? 'email' : 'string';
    case 'integer':
      return 'integer';
    case 'number':
      return 'float';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'list';
    case 'object':
      return 'nested object';
    default:
      return 'field';
  }
}

/** DRF's default label: the name with spaces for underscores, capitalized as Python's str.capitalize. */
function label(name: string): string {
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase();
}

/**
 * A field as get_field_info describes it. min_length is left out when it is 1: that is DRF's
 * allow_blank=False (the schema's way to say "not blank"), which DRF does not show.
 */
export function fieldInfo(name: string, s: Schema, required: boolean, readOnly: boolean): FieldInfo {
  const type = fieldType(s);
  const info: Record<string, unknown> = { type, required: required && !readOnly, read_only: readOnly, label: typeof s.title === 'string' ? s.title : label(name) };
  if (typeof s.description === 'string' && s.description !== '') info.help_text = s.description;
  // A read-only field shows no bounds: DRF's ModelSerializer drops a read-only field's
  // validator arguments (max_length, min_value...), which only ever check input.
  if (readOnly) return info as unknown as FieldInfo;
  if (type === 'string' || type === 'email') {
    if (typeof s.minLength === 'number' && s.minLength > 1) info.min_length = s.minLength;
    if (typeof s.maxLength === 'number') info.max_length = s.maxLength;
  }
  const decimal = s[X_DECIMAL.name] as { maxDigits: number; decimalPlaces: number; minimum?: string; maximum?: string } | undefined;
  if (decimal) {
    if (decimal.minimum !== undefined) info.min_value = Number(decimal.minimum);
    if (decimal.maximum !== undefined) info.max_value = Number(decimal.maximum);
    info.max_digits = decimal.maxDigits;
    info.decimal_places = decimal.decimalPlaces;
  } else if (type === 'integer' || type === 'float') {
    if (typeof s.minimum === 'number') info.min_value = s.minimum;
    if (typeof s.maximum === 'number') info.max_value = s.maximum;
  }
  if (type === 'choice' && !readOnly) info.choices = (s.enum as unknown[]).map((value) => ({ value, display_name: String(value) }));
  return info as unknown as FieldInfo;
}

/** The JSON body schema of a dereferenced operation, as the service reads it. */
function bodySchema(operation: Schema): Schema | undefined {
  return operation.requestBody?.content?.['application/json']?.schema;
}

/**
 * The fields of a write operation, as DRF's serializer lists them: the success response's
 * fields in its order (its readOnly ones, and those the body takes), then the body's others.
 */
export function fieldsOf(operation: Schema): Record<string, FieldInfo> {
  const body = bodySchema(operation) ?? {};
  const bodyProps = (body.properties ?? {}) as Record<string, Schema>;
  const required = new Set<string>(Array.isArray(body.required) ? body.required : []);
  const success = ['201', '200'].map((s) => operation.responses?.[s]?.content?.['application/json']?.schema).find(Boolean) as Schema | undefined;
  const fields: Record<string, FieldInfo> = {};
  for (const [name, s] of Object.entries((success?.properties ?? {}) as Record<string, Schema>)) {
    if (Object.hasOwn(bodyProps, name)) fields[name] = fieldInfo(name, bodyProps[name], required.has(name), false);
    else if (s.readOnly === true) fields[name] = fieldInfo(name, s, false, true);
  }
  for (const [name, s] of Object.entries(bodyProps)) if (!Object.hasOwn(fields, name)) fields[name] = fieldInfo(name, s, required.has(name), false);
  return fields;
}

/**
 * What each options operation answers, made once at start-up from the spec and the gates.
 * Raises ImproperlyConfigured for an options operation whose 200 is not the Options response.
 */
export function buildDescriptions(spec: Spec, gates: ReadonlyMap<string, Gate>): ReadonlyMap<string, Description> {
  const all = [...gates.values()];
  const contentTypes = (gs: readonly Gate[]) => [...new Set(gs.flatMap((g) => Object.keys((g.operation.requestBody as Schema | undefined)?.content ?? {})))];
  const everyType = contentTypes(all);
  const out = new Map<string, Description>();
  for (const gate of all) {
    const { info } = gate;
    if (info.method !== 'options') continue;
    const written = (spec.document as SpecDocument).paths[info.path].options as Schema;
    if (written.responses?.['200']?.$ref !== OPTIONS_RESPONSE) {
      throw new ImproperlyConfigured(`${info.operationId}: an options operation answers 200 with ${OPTIONS_RESPONSE}`);
    }
    const onPath = all.filter((g) => g.info.path === info.path);
    const allow = allowHeader(onPath.map((g) => g.info.method));
    const parses = contentTypes(onPath);
    const actions: Action[] = [];
    for (const method of ['post', 'put'] as const) {
      const write = onPath.find((g) => g.info.method === method && g.operation.requestBody);
      if (write) actions.push({ method: method.toUpperCase() as Action['method'], gate: write, fields: Object.freeze(fieldsOf(write.operation as unknown as Schema)) });
    }
    out.set(info.operationId, {
      base: Object.freeze({ name: written.summary ?? '', description: written.description ?? '', renders: RENDERS, parses: parses.length ? parses : everyType }),
      allow,
      actions,
    });
  }
  return out;
}

/**
 * Whether the caller of this OPTIONS request may call the action's operation on the same path,
 * as DRF's determine_actions asks: its permissions, and for PUT its object (none: not allowed).
 */
async function mayCall(action: Action, p: Passage, services: Services): Promise<boolean> {
  const { gate } = action;
  const req = { ...p.req, method: action.method, operation: gate.info };
  if (!req.principal && !gate.info.anonymous) return false;
  if (!(await gate.permission.hasPermission(req))) return false;
  if (action.method === 'PUT' && gate.loadObject) {
    const obj = await gate.loadObject(services, req.params);
    if (obj === undefined || obj === null) return false;
    if (gate.permission.hasObjectPermission && !(await gate.permission.hasObjectPermission(req, obj))) return false;
  }
  return true;
}

/** The answer to an OPTIONS request that passed its gate. */
export async function describe(description: Description, p: Passage, services: Services): Promise<{ status: 200; body: Metadata; headers: Record<string, string> }> {
  const body: Metadata = { ...description.base };
  const actions: Record<string, Readonly<Record<string, FieldInfo>>> = {};
  for (const action of description.actions) if (await mayCall(action, p, services)) actions[action.method] = action.fields;
  if (Object.keys(actions).length > 0) body.actions = actions;
  return { status: 200, body, headers: { Allow: description.allow } };
}
