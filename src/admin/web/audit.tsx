/** The audit log (filters: user, kind, time; paging), and the audit table a user's page reuses. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AUDIT_KINDS, kindLabel, type AuditEntry, type AuditKind } from './data';
import { FormAlert, problems, failure, type FieldErrors } from './forms';
import { authed } from './session';
import { Loading, PageHeading, Pager, PAGE_SIZE, When } from './ui';

export interface AuditQuery {
  readonly user?: number;
  readonly kind?: AuditKind;
  readonly since?: string;
  readonly until?: string;
}

/** Loads a page of entries for `query`; the table, the pager and the API's errors by filter. */
export function useAudit(query: AuditQuery, page: number, reload = 0) {
  const [entries, setEntries] = useState<{ count: number; results: AuditEntry[] } | null>(null);
  const [errors, setErrors] = useState<{ fields: FieldErrors; form: readonly string[] }>({ fields: {}, form: [] });
  const key = JSON.stringify(query);
  useEffect(() => {
    let live = true;
    authed((api) => api.GET('/api/admin/audit', { params: { query: { ...query, page: String(page), page_size: String(PAGE_SIZE) } } }))
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) {
          setEntries({ count: data.count, results: data.results });
          setErrors({ fields: {}, form: [] });
        } else setErrors(problems(error, response.status, ['user', 'kind', 'since', 'until']));
      })
      .catch((err) => live && setErrors(failure(err)));
    return () => {
      live = false;
    };
  }, [key, page, reload]);
  return { entries, errors };
}

function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

export function AuditTable({ entries, caption }: { readonly entries: readonly AuditEntry[]; readonly caption: string }) {
  return (
    <div class="table-wrap">
      <table class="stack">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">By</th>
            <th scope="col">User</th>
            <th scope="col">Address</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td data-label="When" class="nowrap">
                <When at={e.at} />
              </td>
              <td data-label="What">{kindLabel(e.kind)}</td>
              <td data-label="By">{e.actor_id ? <a href={`#/users/${e.actor_id}`}>{e.actor_username ?? `#${e.actor_id}`}</a> : e.actor_username ?? '—'}</td>
              <td data-label="User">{e.user_id ? <a href={`#/users/${e.user_id}`}>{e.username ?? `#${e.user_id}`}</a> : e.username ?? '—'}</td>
              <td data-label="Address" class="mono nowrap">
                {e.address ?? '—'}
              </td>
              <td data-label="Detail" class="mono">
                {detailText(e.detail) || '—'}
              </td>
            </tr>
          ))}
          {entries.length === 0 ? (
            <tr>
              <td colSpan={6}>No entries.</td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}

/** datetime-local's value (local time) as ISO 8601, or undefined when empty or invalid. */
function iso(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function AuditPage() {
  const [user, setUser] = useState('');
  const [kind, setKind] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [page, setPage] = useState(1);
  const [applied, setApplied] = useState<AuditQuery>({});
  const { entries, errors } = useAudit(applied, page);

  const apply = (e: Event) => {
    e.preventDefault();
    setPage(1);
    setApplied({
      user: /^\d+$/.test(user.trim()) ? Number(user.trim()) : undefined,
      kind: (kind || undefined) as AuditKind | undefined,
      since: iso(since),
      until: iso(until),
    });
  };
  const userErrors = [...(errors.fields.user ?? []), ...(user.trim() && !/^\d+$/.test(user.trim()) ? ['Enter a user id (a number).'] : [])];

  return (
    <main id="main">
      <PageHeading>Audit log</PageHeading>
      <form class="toolbar" onSubmit={apply} aria-label="Filter the audit log">
        <Filter id="audit-user" label="User id" errors={userErrors}>
          <input id="audit-user" inputMode="numeric" size={8} value={user} onInput={(e) => setUser((e.currentTarget as HTMLInputElement).value)} aria-describedby={userErrors.length ? 'audit-user-errors' : undefined} aria-invalid={userErrors.length ? 'true' : undefined} />
        </Filter>
        <Filter id="audit-kind" label="Kind" errors={errors.fields.kind}>
          <select id="audit-kind" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value)} aria-describedby={errors.fields.kind ? 'audit-kind-errors' : undefined}>
            <option value="">Any</option>
            {AUDIT_KINDS.map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </Filter>
        <Filter id="audit-since" label="Since" errors={errors.fields.since}>
          <input id="audit-since" type="datetime-local" value={since} onInput={(e) => setSince((e.currentTarget as HTMLInputElement).value)} aria-describedby={errors.fields.since ? 'audit-since-errors' : undefined} />
        </Filter>
        <Filter id="audit-until" label="Until" errors={errors.fields.until}>
          <input id="audit-until" type="datetime-local" value={until} onInput={(e) => setUntil((e.currentTarget as HTMLInputElement).value)} aria-describedby={errors.fields.until ? 'audit-until-errors' : undefined} />
        </Filter>
        <button type="submit" class="primary">
          Apply filters
        </button>
      </form>
      <FormAlert messages={errors.form} />
      {entries === null ? (
        <Loading />
      ) : (
        <>
          <AuditTable entries={entries.results} caption="Audit log entries" />
          <Pager label="Audit log pages" page={page} count={entries.count} onPage={setPage} />
        </>
      )}
    </main>
  );
}

function Filter({ id, label, errors = [], children }: { readonly id: string; readonly label: string; readonly errors?: readonly string[]; readonly children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {errors.length ? (
        <ul class="field-errors" id={`${id}-errors`}>
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
