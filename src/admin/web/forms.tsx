/**
 * Forms: the API's errors shown where they belong. DRF answers `{field: [messages]}` for
 * field errors (shown under the field, tied to it with aria-describedby and aria-invalid)
 * and `{detail}` or `non_field_errors` for the rest (shown above the form, role=alert).
 */
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';

export type FieldErrors = Readonly<Record<string, readonly string[]>>;

export interface Problems {
  /** Messages by field name (only the fields the form shows). */
  readonly fields: FieldErrors;
  /** Messages that belong to no shown field. */
  readonly form: readonly string[];
}

export const NO_PROBLEMS: Problems = { fields: {}, form: [] };

function messages(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(messages);
  if (value && typeof value === 'object') return Object.values(value).flatMap(messages);
  return [];
}

/**
 * Splits an API error body into the shown fields' messages and the rest. `status` explains an
 * answer with no body (a 5xx through a proxy, say); a 429's detail says when to try again.
 */
export function problems(body: unknown, status: number, shown: readonly string[] = []): Problems {
  const fields: Record<string, string[]> = {};
  const form: string[] = [];
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      if (name === 'code' || name === 'messages') continue;
      const texts = messages(value);
      if (shown.includes(name)) fields[name] = texts;
      else if (name === 'detail' || name === 'non_field_errors') form.push(...texts);
      else form.push(...texts.map((t) => `${name}: ${t}`));
    }
  }
  if (!form.length && !Object.keys(fields).length) form.push(`The request failed (HTTP ${status}).`);
  return { fields, form };
}

/** A problem of the page itself (a network failure), as Problems. */
export function failure(err: unknown): Problems {
  return { fields: {}, form: [err instanceof Error ? err.message : String(err)] };
}

/** The form-level messages: an alert, announced when it appears. */
export function FormAlert({ messages: texts }: { readonly messages: readonly string[] }) {
  if (!texts.length) return null;
  return (
    <div class="alert" role="alert">
      {texts.length === 1 ? <p>{texts[0]}</p> : <ul>{texts.map((t) => <li key={t}>{t}</li>)}</ul>}
    </div>
  );
}


export interface TextFieldProps {
  readonly type?: 'text' | 'password' | 'email' | 'search' | 'datetime-local';
  readonly autoComplete?: string;
  readonly inputMode?: 'text' | 'decimal' | 'numeric' | 'email';
  readonly required?: boolean;
  readonly spellcheck?: boolean;
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onValue: (value: string) => void;
  readonly errors?: readonly string[];
  readonly hint?: ComponentChildren;
}

/** A labelled input with its errors under it. */
export function TextField({ id, label, value, onValue, errors = [], hint, type = 'text', autoComplete, inputMode, required, spellcheck }: TextFieldProps) {
  const errorId = `${id}-errors`;
  const hintId = `${id}-hint`;
  const describedBy = [hint ? hintId : '', errors.length ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        type={type as 'text'}
        autoComplete={autoComplete}
        inputMode={inputMode}
        required={required}
        spellcheck={spellcheck}
        autoCapitalize={type === 'text' && autoComplete === 'username' ? 'none' : undefined}
        id={id}
        value={value}
        onInput={(e) => onValue((e.currentTarget as HTMLInputElement).value)}
        aria-describedby={describedBy}
        aria-invalid={errors.length ? 'true' : undefined}
      />
      {hint ? <p class="hint" id={hintId}>{hint}</p> : null}
      <FieldErrorList id={errorId} errors={errors} />
    </div>
  );
}

export function FieldErrorList({ id, errors }: { readonly id: string; readonly errors: readonly string[] }) {
  if (!errors.length) return null;
  return (
    <ul class="field-errors" id={id}>
      {errors.map((e) => (
        <li key={e}>{e}</li>
      ))}
    </ul>
  );
}

export interface CheckboxProps {
  readonly id: string;
  readonly label: string;
  readonly checked: boolean;
  readonly onChecked: (checked: boolean) => void;
  readonly errors?: readonly string[];
  readonly disabled?: boolean;
}

/** A labelled checkbox with its errors under it. */
export function Checkbox({ id, label, checked, onChecked, errors = [], disabled }: CheckboxProps) {
  const errorId = `${id}-errors`;
  return (
    <div class="check">
      <input
        type="checkbox"
        id={id}
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChecked((e.currentTarget as HTMLInputElement).checked)}
        aria-describedby={errors.length ? errorId : undefined}
        aria-invalid={errors.length ? 'true' : undefined}
      />
      <label for={id}>{label}</label>
      <FieldErrorList id={errorId} errors={errors} />
    </div>
  );
}

/** "Saved." and the like: announced politely. */
export function Status({ text }: { readonly text: string }) {
  return (
    <p class="status" role="status">
      {text}
    </p>
  );
}

/**
 * Loads with `load` when the page mounts and whenever `deps` change: the answer's data goes to
 * `onData`, the API's messages (or the failure's) to `onErrors`. An answer that arrives after the
 * page is gone, or after a newer load began, is dropped.
 */
export function useLoad<T>(
  load: () => Promise<{ readonly data?: T; readonly error?: unknown; readonly response: Response }>,
  onData: (data: T) => void,
  onErrors: (messages: readonly string[]) => void,
  deps: readonly unknown[],
): void {
  useEffect(() => {
    let live = true;
    load().then(
      ({ data, error, response }) => {
        if (!live) return;
        if (data !== undefined) onData(data);
        else onErrors(problems(error, response.status).form);
      },
      (err: unknown) => {
        if (live) onErrors(failure(err).form);
      },
    );
    return () => {
      live = false;
    };
    // The caller names what the load depends on.
  }, deps);
}
