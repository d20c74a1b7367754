/** Groups: the list with member counts (create, delete), and one group's members (add by username, remove). */
import { useEffect, useState } from 'preact/hooks';
import type { Schemas } from '../../client';
import { allGroups, LoadFailed, type AdminGroup } from './data';
import { FormAlert, NO_PROBLEMS, Status, TextField, failure, problems, type Problems } from './forms';
import { authed } from './session';
import { Loading, PageHeading, Pager, PAGE_SIZE, Section } from './ui';

type Member = Schemas['AdminUserSummary'];

export function GroupsPage() {
  const [groups, setGroups] = useState<AdminGroup[] | null>(null);
  const [errors, setErrors] = useState<readonly string[]>([]);
  const [status, setStatus] = useState('');
  const [reload, setReload] = useState(0);
  const [name, setName] = useState('');
  const [formErrors, setFormErrors] = useState<Problems>(NO_PROBLEMS);

  useEffect(() => {
    let live = true;
    allGroups().then(
      (all) => live && (setGroups(all), setErrors([])),
      (err) => live && setErrors(err instanceof LoadFailed ? err.messages : failure(err).form),
    );
    return () => {
      live = false;
    };
  }, [reload]);

  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const { data, error, response } = await authed((api) => api.POST('/api/admin/groups', { body: { name } }));
      if (data) {
        setFormErrors(NO_PROBLEMS);
        setName('');
        setStatus(`Created the group ${data.name}.`);
        setReload((n) => n + 1);
      } else setFormErrors(problems(error, response.status, ['name']));
    } catch (err) {
      setFormErrors(failure(err));
    }
  };
  const remove = async (g: AdminGroup) => {
    try {
      const { error, response } = await authed((api) => api.DELETE('/api/admin/groups/{id}', { params: { path: { id: g.id } } }));
      if (response.ok) {
        setErrors([]);
        setStatus(`Deleted the group ${g.name}.`);
        setReload((n) => n + 1);
      } else setErrors(problems(error, response.status).form);
    } catch (err) {
      setErrors(failure(err).form);
    }
  };

  return (
    <main id="main">
      <PageHeading>Groups</PageHeading>
      <Status text={status} />
      <FormAlert messages={errors} />
      {groups === null ? (
        errors.length ? null : <Loading />
      ) : (
        <div class="table-wrap">
          <table class="stack">
            <caption class="visually-hidden">Groups</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" class="num">
                  Members
                </th>
                <th scope="col">Declared in the spec</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.id}>
                  <th scope="row">
                    <a href={`#/groups/${g.id}`}>{g.name}</a>
                  </th>
                  <td class="num" data-label="Members">
                    {g.member_count}
                  </td>
                  <td data-label="Declared in the spec">{g.protected ? 'Yes (cannot be deleted)' : 'No'}</td>
                  <td class="actions">
                    {g.protected ? null : (
                      <button type="button" class="danger" onClick={() => void remove(g)} aria-label={`Delete the group ${g.name}`}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
              {groups.length === 0 ? (
                <tr>
                  <td colSpan={4}>No groups.</td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </div>
      )}
      <Section id="new-group-title" title="New group">
        <form onSubmit={create} noValidate>
          <FormAlert messages={formErrors.form} />
          <TextField id="new-group-name" label="Group name" value={name} onValue={setName} errors={formErrors.fields.name} autoComplete="off" />
          <div class="buttons">
            <button type="submit" class="primary">
              Create group
            </button>
          </div>
        </form>
      </Section>
    </main>
  );
}

export function GroupPage({ id }: { readonly id: number }) {
  const [group, setGroup] = useState<AdminGroup | null>(null);
  const [members, setMembers] = useState<{ count: number; results: Member[] } | null>(null);
  const [page, setPage] = useState(1);
  const [errors, setErrors] = useState<readonly string[]>([]);
  const [status, setStatus] = useState('');
  const [reload, setReload] = useState(0);
  const [username, setUsername] = useState('');
  const [formErrors, setFormErrors] = useState<Problems>(NO_PROBLEMS);

  useEffect(() => {
    let live = true;
    allGroups().then(
      (all) => {
        if (!live) return;
        const found = all.find((g) => g.id === id) ?? null;
        setGroup(found);
        if (!found) setErrors(['There is no such group.']);
      },
      (err) => live && setErrors(err instanceof LoadFailed ? err.messages : failure(err).form),
    );
    return () => {
      live = false;
    };
  }, [id, reload]);

  useEffect(() => {
    let live = true;
    authed((api) => api.GET('/api/admin/groups/{id}/members', { params: { path: { id }, query: { page: String(page), page_size: String(PAGE_SIZE) } } }))
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data) setMembers({ count: data.count, results: data.results });
        else if (response.status === 404 && page > 1) setPage(1);
        else setErrors(problems(error, response.status).form);
      })
      .catch((err) => live && setErrors(failure(err).form));
    return () => {
      live = false;
    };
  }, [id, page, reload]);

  const add = async (e: Event) => {
    e.preventDefault();
    try {
      const { error, response } = await authed((api) => api.POST('/api/admin/groups/{id}/members', { params: { path: { id } }, body: { username } }));
      if (response.ok) {
        setFormErrors(NO_PROBLEMS);
        setStatus(response.status === 201 ? `Added ${username}.` : `${username} was a member already.`);
        setUsername('');
        setReload((n) => n + 1);
      } else setFormErrors(problems(error, response.status, ['username']));
    } catch (err) {
      setFormErrors(failure(err));
    }
  };
  const remove = async (m: Member) => {
    try {
      const { error, response } = await authed((api) => api.DELETE('/api/admin/groups/{id}/members/{user_id}', { params: { path: { id, user_id: m.id } } }));
      if (response.ok) {
        setErrors([]);
        setStatus(`Removed ${m.username}.`);
        setReload((n) => n + 1);
      } else setErrors(problems(error, response.status).form);
    } catch (err) {
      setErrors(failure(err).form);
    }
  };

  return (
    <main id="main">
      <p class="crumbs">
        <a href="#/groups">All groups</a>
      </p>
      <PageHeading>{group ? `Group ${group.name}` : 'Group'}</PageHeading>
      <Status text={status} />
      <FormAlert messages={errors} />
      {members === null ? (
        errors.length ? null : <Loading />
      ) : (
        <>
          <div class="table-wrap">
            <table class="stack">
              <caption class="visually-hidden">Members</caption>
              <thead>
                <tr>
                  <th scope="col">Member</th>
                  <th scope="col">Email</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {members.results.map((m) => (
                  <tr key={m.id}>
                    <th scope="row">
                      <a href={`#/users/${m.id}`}>{m.username}</a>
                    </th>
                    <td data-label="Email">{m.email || '—'}</td>
                    <td class="actions">
                      <button type="button" class="danger" onClick={() => void remove(m)} aria-label={`Remove ${m.username}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
                {members.results.length === 0 ? (
                  <tr>
                    <td colSpan={3}>No members.</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
          <Pager label="Members pages" page={page} count={members.count} onPage={setPage} />
        </>
      )}
      <Section id="add-member-title" title="Add a member">
        <form onSubmit={add} noValidate>
          <FormAlert messages={formErrors.form} />
          <TextField id="add-member-username" label="Member's username" value={username} onValue={setUsername} errors={formErrors.fields.username} autoComplete="off" spellcheck={false} />
          <div class="buttons">
            <button type="submit" class="primary">
              Add member
            </button>
          </div>
        </form>
      </Section>
    </main>
  );
}
