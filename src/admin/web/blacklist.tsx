/** Blacklisted refresh tokens, newest first (simplejwt's admin shows them). */
import { useState } from 'preact/hooks';
import type { Schemas } from '../../client';
import { FormAlert, useLoad } from './forms';
import { authed } from './session';
import { Loading, PageHeading, Pager, PAGE_SIZE, When } from './ui';

type Blacklisted = Schemas['AdminBlacklisted'];

export function BlacklistPage() {
  const [page, setPage] = useState(1);
  const [rows, setRows] = useState<{ count: number; results: Blacklisted[] } | null>(null);
  const [errors, setErrors] = useState<readonly string[]>([]);
  useLoad(
    () => authed((api) => api.GET('/api/admin/blacklist', { params: { query: { page: String(page), page_size: String(PAGE_SIZE) } } })),
    (data) => setRows({ count: data.count, results: data.results }),
    setErrors,
    [page],
  );
  return (
    <main id="main">
      <PageHeading>Blacklisted tokens</PageHeading>
      <p>Refresh tokens refused from now on: signed out, rotated, or revoked by staff. They leave the list when they expire.</p>
      <FormAlert messages={errors} />
      {rows === null ? (
        errors.length ? null : <Loading />
      ) : (
        <>
          <div class="table-wrap">
            <table class="stack">
              <caption class="visually-hidden">Blacklisted refresh tokens</caption>
              <thead>
                <tr>
                  <th scope="col">Token id (jti)</th>
                  <th scope="col">User</th>
                  <th scope="col">Blacklisted</th>
                  <th scope="col">Expires</th>
                </tr>
              </thead>
              <tbody>
                {rows.results.map((r) => (
                  <tr key={r.id}>
                    <td data-label="Token id" class="mono">
                      {r.jti}
                    </td>
                    <td data-label="User">{r.user_id ? <a href={`#/users/${r.user_id}`}>{r.username ?? `#${r.user_id}`}</a> : r.username ?? '—'}</td>
                    <td data-label="Blacklisted">
                      <When at={r.blacklisted_at} />
                    </td>
                    <td data-label="Expires">
                      <When at={r.expires_at} />
                    </td>
                  </tr>
                ))}
                {rows.results.length === 0 ? (
                  <tr>
                    <td colSpan={4}>No blacklisted tokens.</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
          <Pager label="Blacklisted tokens pages" page={page} count={rows.count} onPage={setPage} />
        </>
      )}
    </main>
  );
}
