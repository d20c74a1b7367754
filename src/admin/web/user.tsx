/**
 * One user: flags (Active, Staff status) and groups (one checkbox per group) saved with Save;
 * DRF keys (Create token shows the key once, in "New token"; Revoke per key); refresh tokens
 * (Blacklist per token); Sign out everywhere; the user's audit trail.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Schemas } from '../../client';
import { AuditTable, useAudit } from './audit';
import { allGroups, LoadFailed, type AdminGroup, type AdminUser } from './data';
import { Checkbox, FormAlert, NO_PROBLEMS, Status, TextField, failure, problems, type Problems, useLoad } from './forms';
import { authed } from './session';
import { Loading, PageHeading, Pager, Section, When } from './ui';

type AdminKey = Schemas['AdminKey'];
type AdminRefreshToken = Schemas['AdminRefreshToken'];

export function UserPage({ id }: { readonly id: number }) {
  const [user, setUser] = useState<AdminUser | null>(null);
  const [groups, setGroups] = useState<AdminGroup[] | null>(null);
  const [errors, setErrors] = useState<readonly string[]>([]);
  const [changes, setChanges] = useState(0);
  const changed = () => setChanges((n) => n + 1);

  useEffect(() => {
    let live = true;
    Promise.all([authed((api) => api.GET('/api/admin/users/{id}', { params: { path: { id } } })), allGroups()])
      .then(([{ data, error, response }, all]) => {
        if (!live) return;
        if (data) {
          setUser(data);
          setGroups(all);
          setErrors([]);
        } else setErrors(problems(error, response.status).form);
      })
      .catch((err) => live && setErrors(err instanceof LoadFailed ? err.messages : failure(err).form));
    return () => {
      live = false;
    };
  }, [id]);

  if (!user || !groups) {
    return (
      <main id="main">
        <PageHeading>User</PageHeading>
        {errors.length ? <FormAlert messages={errors} /> : <Loading />}
      </main>
    );
  }
  return (
    <main id="main">
      <p class="crumbs">
        <a href="#/users">All users</a>
      </p>
      <PageHeading>{user.username}</PageHeading>
      <dl class="facts">
        <dt>Superuser</dt>
        <dd>{user.is_superuser ? 'Yes' : 'No'}</dd>
        <dt>Joined</dt>
        <dd>
          <When at={user.date_joined} />
        </dd>
        <dt>Last sign-in</dt>
        <dd>
          <When at={user.last_login} />
        </dd>
      </dl>
      <div class="columns">
        <Flags
          key={`flags-${user.id}`}
          user={user}
          groups={groups}
          onSaved={(u) => {
            setUser(u);
            changed();
          }}
        />
        <div>
          <Everywhere user={user} onDone={changed} />
          <SetPassword user={user} onDone={changed} />
          <DeleteUser user={user} />
        </div>
      </div>
      <Keys user={user} changes={changes} onChange={changed} />
      <RefreshTokens user={user} changes={changes} onChange={changed} />
      <Trail user={user} changes={changes} />
    </main>
  );
}

/** Active, Staff status and the groups, saved together (the flags by PATCH, each group change by its own call). */
function Flags({ user, groups, onSaved }: { readonly user: AdminUser; readonly groups: readonly AdminGroup[]; readonly onSaved: (user: AdminUser) => void }) {
  const [email, setEmail] = useState(user.email);
  const [firstName, setFirstName] = useState(user.first_name);
  const [lastName, setLastName] = useState(user.last_name);
  const [active, setActive] = useState(user.is_active);
  const [staff, setStaff] = useState(user.is_staff);
  const [member, setMember] = useState<ReadonlySet<string>>(new Set(user.groups));
  const [errors, setErrors] = useState<Problems>(NO_PROBLEMS);
  const [groupErrors, setGroupErrors] = useState<Readonly<Record<string, readonly string[]>>>({});
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setStatus('');
    const fieldErrors: Problems = { fields: {}, form: [] };
    const perGroup: Record<string, string[]> = {};
    let saved = user;
    let failed = false;
    try {
      const patch: { email?: string; first_name?: string; last_name?: string; is_active?: boolean; is_staff?: boolean } = {};
      if (email !== user.email) patch.email = email;
      if (firstName !== user.first_name) patch.first_name = firstName;
      if (lastName !== user.last_name) patch.last_name = lastName;
      if (active !== user.is_active) patch.is_active = active;
      if (staff !== user.is_staff) patch.is_staff = staff;
      if (Object.keys(patch).length) {
        const { data, error, response } = await authed((api) => api.PATCH('/api/admin/users/{id}', { params: { path: { id: user.id } }, body: patch }));
        if (data) saved = data;
        else {
          failed = true;
          Object.assign(fieldErrors, problems(error, response.status, ['email', 'first_name', 'last_name', 'is_active', 'is_staff']));
        }
      }
      for (const group of groups) {
        const want = member.has(group.name);
        if (want === user.groups.includes(group.name)) continue;
        const { error, response } = want
          ? await authed((api) => api.POST('/api/admin/groups/{id}/members', { params: { path: { id: group.id } }, body: { user_id: user.id } }))
          : await authed((api) => api.DELETE('/api/admin/groups/{id}/members/{user_id}', { params: { path: { id: group.id, user_id: user.id } } }));
        if (!response.ok) {
          failed = true;
          perGroup[group.name] = [...problems(error, response.status).form];
        }
      }
      const { data } = await authed((api) => api.GET('/api/admin/users/{id}', { params: { path: { id: user.id } } }));
      if (data) saved = data;
    } catch (err) {
      failed = true;
      fieldErrors.form.length || Object.assign(fieldErrors, failure(err));
    } finally {
      setBusy(false);
    }
    setErrors(fieldErrors);
    setGroupErrors(perGroup);
    // What the server has now, whatever failed (the fields as typed when they were refused).
    if (!fieldErrors.fields.email) setEmail(saved.email);
    if (!fieldErrors.fields.first_name) setFirstName(saved.first_name);
    if (!fieldErrors.fields.last_name) setLastName(saved.last_name);
    setActive(saved.is_active);
    setStaff(saved.is_staff);
    setMember(new Set(saved.groups));
    if (!failed) setStatus('Saved.');
    onSaved(saved);
  };

  return (
    <Section id="flags-title" title="Details, flags and groups">
      <form onSubmit={save} noValidate>
        <FormAlert messages={errors.form} />
        <TextField id="user-email" label="Email" type="email" value={email} onValue={setEmail} errors={errors.fields.email} autoComplete="off" />
        <TextField id="user-first-name" label="First name" value={firstName} onValue={setFirstName} errors={errors.fields.first_name} autoComplete="off" />
        <TextField id="user-last-name" label="Last name" value={lastName} onValue={setLastName} errors={errors.fields.last_name} autoComplete="off" />
        <Checkbox id="flag-active" label="Active" checked={active} onChecked={setActive} errors={errors.fields.is_active} />
        <Checkbox id="flag-staff" label="Staff status" checked={staff} onChecked={setStaff} errors={errors.fields.is_staff} />
        <fieldset>
          <legend>Groups</legend>
          {groups.length === 0 ? <p>No groups.</p> : null}
          {groups.map((g) => (
            <Checkbox
              key={g.id}
              id={`group-${g.id}`}
              label={g.name}
              checked={member.has(g.name)}
              errors={groupErrors[g.name]}
              onChecked={(on) => {
                const next = new Set(member);
                if (on) next.add(g.name);
                else next.delete(g.name);
                setMember(next);
              }}
            />
          ))}
        </fieldset>
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            Save
          </button>
        </div>
        <Status text={status} />
      </form>
    </Section>
  );
}

function Everywhere({ user, onDone }: { readonly user: AdminUser; readonly onDone: () => void }) {
  const [status, setStatus] = useState('');
  const [errors, setErrors] = useState<readonly string[]>([]);
  const run = async () => {
    setStatus('');
    try {
      const { error, response } = await authed((api) => api.POST('/api/admin/users/{id}/logout-all', { params: { path: { id: user.id } } }));
      if (response.ok) {
        setErrors([]);
        setStatus(`Every key and refresh token of ${user.username} is revoked.`);
        onDone();
      } else setErrors(problems(error, response.status).form);
    } catch (err) {
      setErrors(failure(err).form);
    }
  };
  return (
    <Section id="everywhere-title" title="Sessions">
      <p>Revokes every DRF key and every refresh token of this user, and refuses every access token issued so far.</p>
      <FormAlert messages={errors} />
      <button type="button" class="danger" onClick={run}>
        Sign out everywhere
      </button>
      <Status text={status} />
    </Section>
  );
}

function Keys({ user, changes, onChange }: { readonly user: AdminUser; readonly changes: number; readonly onChange: () => void }) {
  const [keys, setKeys] = useState<AdminKey[] | null>(null);
  const [fresh, setFresh] = useState<{ readonly id: number; readonly key: string } | null>(null);
  const [errors, setErrors] = useState<readonly string[]>([]);
  const [status, setStatus] = useState('');
  const freshRef = useRef<HTMLInputElement>(null);

  useLoad(
    () => authed((api) => api.GET('/api/admin/users/{id}/tokens', { params: { path: { id: user.id } } })),
    setKeys,
    setErrors,
    [user.id, changes],
  );

  useEffect(() => {
    if (fresh) freshRef.current?.select();
  }, [fresh]);

  const create = async () => {
    setStatus('');
    try {
      const { data, error, response } = await authed((api) => api.POST('/api/admin/users/{id}/tokens', { params: { path: { id: user.id } } }));
      if (data) {
        setErrors([]);
        setFresh({ id: data.id, key: data.key });
        onChange();
      } else setErrors(problems(error, response.status).form);
    } catch (err) {
      setErrors(failure(err).form);
    }
  };
  const revoke = async (key: AdminKey) => {
    setStatus('');
    try {
      const { error, response } = await authed((api) => api.DELETE('/api/admin/users/{id}/tokens/{key_id}', { params: { path: { id: user.id, key_id: key.id } } }));
      if (response.ok) {
        setErrors([]);
        setStatus(`Key ${key.prefix ?? `#${key.id}`}… revoked.`);
        if (fresh?.id === key.id) setFresh(null);
        onChange();
      } else setErrors(problems(error, response.status).form);
    } catch (err) {
      setErrors(failure(err).form);
    }
  };

  return (
    <Section id="keys-title" title="DRF keys">
      <FormAlert messages={errors} />
      <div class="buttons">
        <button type="button" class="primary" onClick={create}>
          Create token
        </button>
      </div>
      {fresh ? (
        <div class="fresh">
          <label for="new-token">New token</label>
          <input id="new-token" ref={freshRef} class="secret" readOnly value={fresh.key} aria-describedby="new-token-hint" spellcheck={false} />
          <p class="hint" id="new-token-hint">
            Copy it now: it is stored hashed and is not shown again.
          </p>
        </div>
      ) : null}
      <Status text={status} />
      {keys === null ? (
        <Loading />
      ) : keys.length === 0 ? (
        <p>No keys.</p>
      ) : (
        <div class="table-wrap">
          <table class="stack">
            <caption class="visually-hidden">DRF keys of {user.username}</caption>
            <thead>
              <tr>
                <th scope="col">Key starts with</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td data-label="Key starts with" class="mono">
                    {k.prefix ? `${k.prefix}…` : `(key #${k.id})`}
                  </td>
                  <td data-label="Created">
                    <When at={k.created} />
                  </td>
                  <td data-label="Last used">
                    <When at={k.last_used} />
                  </td>
                  <td class="actions">
                    <button type="button" class="danger" onClick={() => void revoke(k)}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

function RefreshTokens({ user, changes, onChange }: { readonly user: AdminUser; readonly changes: number; readonly onChange: () => void }) {
  const [tokens, setTokens] = useState<AdminRefreshToken[] | null>(null);
  const [errors, setErrors] = useState<readonly string[]>([]);

  useLoad(
    () => authed((api) => api.GET('/api/admin/users/{id}/refresh-tokens', { params: { path: { id: user.id } } })),
    setTokens,
    setErrors,
    [user.id, changes],
  );

  const blacklist = async (t: AdminRefreshToken) => {
    try {
      const { error, response } = await authed((api) => api.POST('/api/admin/users/{id}/refresh-tokens/{jti}/blacklist', { params: { path: { id: user.id, jti: t.jti } } }));
      if (response.ok) {
        setErrors([]);
        onChange();
      } else setErrors(problems(error, response.status).form);
    } catch (err) {
      setErrors(failure(err).form);
    }
  };

  const now = Date.now();
  return (
    <Section id="refresh-title" title="Refresh tokens">
      <FormAlert messages={errors} />
      {tokens === null ? (
        <Loading />
      ) : tokens.length === 0 ? (
        <p>No refresh tokens.</p>
      ) : (
        <div class="table-wrap">
          <table class="stack">
            <caption class="visually-hidden">Refresh tokens of {user.username}</caption>
            <thead>
              <tr>
                <th scope="col">Token id (jti)</th>
                <th scope="col">Issued</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">Family</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => {
                const expired = Date.parse(t.expires_at) <= now;
                return (
                  <tr key={t.id}>
                    <td data-label="Token id" class="mono">
                      {t.jti}
                    </td>
                    <td data-label="Issued">
                      <When at={t.created_at} />
                    </td>
                    <td data-label="Expires">
                      <When at={t.expires_at} />
                    </td>
                    <td data-label="State">{t.blacklisted ? 'Blacklisted' : expired ? 'Expired' : 'Outstanding'}</td>
                    <td data-label="Family" class="mono">
                      {t.family === t.jti ? '(first of its family)' : t.family}
                    </td>
                    <td class="actions">
                      {t.blacklisted || expired ? null : (
                        <button type="button" class="danger" onClick={() => void blacklist(t)} aria-label={`Blacklist ${t.jti}`}>
                          Blacklist
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

function Trail({ user, changes }: { readonly user: AdminUser; readonly changes: number }) {
  const [page, setPage] = useState(1);
  const { entries, errors } = useAudit({ user: user.id }, page, changes);
  return (
    <Section id="trail-title" title="Audit trail">
      <FormAlert messages={errors.form} />
      {entries === null ? (
        <Loading />
      ) : (
        <>
          <AuditTable entries={entries.results} caption={`Audit trail of ${user.username}`} />
          <Pager label="Audit trail pages" page={page} count={entries.count} onPage={setPage} />
        </>
      )}
    </Section>
  );
}

function SetPassword({ user, onDone }: { readonly user: AdminUser; readonly onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Problems>(NO_PROBLEMS);
  const [status, setStatus] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setStatus('');
    try {
      const { error, response } = await authed((api) => api.POST('/api/admin/users/{id}/set_password', { params: { path: { id: user.id } }, body: { new_password: password } }));
      if (response.ok) {
        setErrors(NO_PROBLEMS);
        setPassword('');
        setStatus(`Password set; ${user.username} is signed out everywhere.`);
        onDone();
      } else setErrors(problems(error, response.status, ['new_password']));
    } catch (err) {
      setErrors(failure(err));
    }
  };
  return (
    <Section id="password-title" title="Password">
      <form onSubmit={submit} noValidate>
        <FormAlert messages={errors.form} />
        <TextField id="user-new-password" label="New password" type="password" value={password} onValue={setPassword} errors={errors.fields.new_password} autoComplete="new-password" hint="Checked by the password validators; every key and refresh token of the user is revoked." />
        <div class="buttons">
          <button type="submit">Set password</button>
        </div>
        <Status text={status} />
      </form>
    </Section>
  );
}

/** Delete the user, after a second, explicit click. */
function DeleteUser({ user }: { readonly user: AdminUser }) {
  const [asking, setAsking] = useState(false);
  const [errors, setErrors] = useState<readonly string[]>([]);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  const remove = async () => {
    try {
      const { error, response } = await authed((api) => api.DELETE('/api/admin/users/{id}', { params: { path: { id: user.id } } }));
      if (response.ok) location.hash = '#/users';
      else {
        setAsking(false);
        setErrors(problems(error, response.status).form);
      }
    } catch (err) {
      setErrors(failure(err).form);
    }
  };
  return (
    <Section id="delete-title" title="Delete">
      <FormAlert messages={errors} />
      {asking ? (
        <>
          <p>Delete {user.username}, their keys and their groups? This cannot be undone.</p>
          <div class="buttons">
            <button type="button" class="danger" ref={confirmRef} onClick={remove}>
              Delete {user.username}
            </button>
            <button type="button" onClick={() => setAsking(false)}>
              Keep {user.username}
            </button>
          </div>
        </>
      ) : (
        <button type="button" class="danger" onClick={() => setAsking(true)}>
          Delete user…
        </button>
      )}
    </Section>
  );
}
