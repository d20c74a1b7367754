/** Users: search, filters (active, staff, group), ordering, paging; each username links to the user's page; a form to create one. */
import { useEffect, useState } from 'preact/hooks';
import { allGroups, type AdminGroup, type AdminUser } from './data';
import { Checkbox, FormAlert, NO_PROBLEMS, Status, TextField, failure, problems, type Problems } from './forms';
import { authed } from './session';
import { Loading, PageHeading, Pager, PAGE_SIZE, Section, When } from './ui';

type Tri = '' | 'true' | 'false';

export function UsersPage() {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [active, setActive] = useState<Tri>('');
  const [staff, setStaff] = useState<Tri>('');
  const [group, setGroup] = useState('');
  const [ordering, setOrdering] = useState('username');
  const [page, setPage] = useState(1);
  const [groups, setGroups] = useState<AdminGroup[]>([]);
  const [users, setUsers] = useState<{ count: number; results: AdminUser[] } | null>(null);
  const [errors, setErrors] = useState<readonly string[]>([]);
  const [reload, setReload] = useState(0);
  const [status, setStatus] = useState('');

  // The search box asks once typing pauses, not at every key.
  useEffect(() => {
    const t = setTimeout(() => {
      setQuery(search.trim());
      setPage(1);
    }, 250);
    return () => clearTimeout(t);
  }, [search]);

  useEffect(() => {
    allGroups().then(setGroups, () => undefined);
  }, []);

  useEffect(() => {
    let live = true;
    const bool = (v: Tri) => (v === '' ? undefined : v === 'true');
    authed((api) =>
      api.GET('/api/admin/users', {
        params: { query: { search: query || undefined, is_active: bool(active), is_staff: bool(staff), group: group || undefined, ordering, page: String(page), page_size: String(PAGE_SIZE) } },
      }),
    )
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) {
          setUsers({ count: data.count, results: data.results });
          setErrors([]);
        } else if (response.status === 404 && page > 1) setPage(1);
        else setErrors(problems(error, response.status).form);
      })
      .catch((err) => live && setErrors(failure(err).form));
    return () => {
      live = false;
    };
  }, [query, active, staff, group, ordering, page, reload]);

  const filter = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    setPage(1);
  };

  return (
    <main id="main">
      <PageHeading>Users</PageHeading>
      <div class="toolbar" role="search" aria-label="Users">
        <div class="field">
          <label for="users-search">Search users</label>
          <input id="users-search" type="search" value={search} onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)} aria-describedby="users-search-hint" />
          <p class="hint" id="users-search-hint">
            Username or email
          </p>
        </div>
        <Select id="users-active" label="Status" value={active} onValue={filter(setActive)} options={[['', 'Any'], ['true', 'Active'], ['false', 'Inactive']]} />
        <Select id="users-staff" label="Staff" value={staff} onValue={filter(setStaff)} options={[['', 'Any'], ['true', 'Staff'], ['false', 'Not staff']]} />
        <Select id="users-group" label="Group" value={group} onValue={filter(setGroup)} options={[['', 'Any'], ...groups.map((g) => [g.name, g.name] as [string, string])]} />
        <Select
          id="users-ordering"
          label="Order by"
          value={ordering}
          onValue={filter(setOrdering)}
          options={[
            ['username', 'Username (A–Z)'],
            ['-username', 'Username (Z–A)'],
            ['-date_joined', 'Newest'],
            ['date_joined', 'Oldest'],
            ['-last_login', 'Last signed in'],
            ['id', 'Id'],
          ]}
        />
      </div>
      <Status text={status} />
      <FormAlert messages={errors} />
      {users === null ? (
        <Loading />
      ) : (
        <>
          <div class="table-wrap">
            <table class="stack">
              <caption class="visually-hidden">Users</caption>
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Email</th>
                  <th scope="col">Active</th>
                  <th scope="col">Staff</th>
                  <th scope="col">Groups</th>
                  <th scope="col">Last sign-in</th>
                </tr>
              </thead>
              <tbody>
                {users.results.map((u) => (
                  <tr key={u.id}>
                    <th scope="row">
                      <a href={`#/users/${u.id}`}>{u.username}</a>
                    </th>
                    <td data-label="Email">{u.email || '—'}</td>
                    <td data-label="Active">{u.is_active ? 'Yes' : 'No'}</td>
                    <td data-label="Staff">{u.is_superuser ? 'Superuser' : u.is_staff ? 'Yes' : 'No'}</td>
                    <td data-label="Groups">{u.groups.join(', ') || '—'}</td>
                    <td data-label="Last sign-in">
                      <When at={u.last_login} />
                    </td>
                  </tr>
                ))}
                {users.results.length === 0 ? (
                  <tr>
                    <td colSpan={6}>No users match.</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
          <Pager label="Users pages" page={page} count={users.count} onPage={setPage} />
        </>
      )}
      <NewUser
        onCreated={(u) => {
          setStatus(`Created ${u.username}.`);
          setReload((n) => n + 1);
        }}
      />
    </main>
  );
}

function Select({ id, label, value, onValue, options }: { readonly id: string; readonly label: string; readonly value: string; readonly onValue: (v: never) => void; readonly options: readonly (readonly [string, string])[] }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => (onValue as (v: string) => void)((e.currentTarget as HTMLSelectElement).value)}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

const NEW_USER_FIELDS = ['username', 'email', 'password', 'first_name', 'last_name', 'is_staff'];

/** Create a user (the password optional: without one they set it through a reset). */
function NewUser({ onCreated }: { readonly onCreated: (user: AdminUser) => void }) {
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [isStaff, setIsStaff] = useState(false);
  const [errors, setErrors] = useState<Problems>(NO_PROBLEMS);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const body = { username, email, ...(password ? { password } : {}), ...(isStaff ? { is_staff: true } : {}) };
      const { data, error, response } = await authed((api) => api.POST('/api/admin/users', { body }));
      if (data) {
        setErrors(NO_PROBLEMS);
        setUsername('');
        setEmail('');
        setPassword('');
        setIsStaff(false);
        onCreated(data);
      } else setErrors(problems(error, response.status, NEW_USER_FIELDS));
    } catch (err) {
      setErrors(failure(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section id="new-user-title" title="New user">
      <form onSubmit={submit} noValidate>
        <FormAlert messages={errors.form} />
        <div class="columns">
          <TextField id="new-user-username" label="New username" value={username} onValue={setUsername} errors={errors.fields.username} autoComplete="off" spellcheck={false} />
          <TextField id="new-user-email" label="Email" type="email" value={email} onValue={setEmail} errors={errors.fields.email} autoComplete="off" />
          <TextField id="new-user-password" label="Initial password" type="password" value={password} onValue={setPassword} errors={errors.fields.password} autoComplete="new-password" hint="Optional: without one, the user sets a password through a reset." />
        </div>
        <Checkbox id="new-user-staff" label="Make staff (superusers only)" checked={isStaff} onChecked={setIsStaff} errors={errors.fields.is_staff} />
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            Create user
          </button>
        </div>
      </form>
    </Section>
  );
}
