/** Menu items: list (search, paging), create, edit, delete, through /api/menu-items. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Schemas } from '../../client';
import { FormAlert, NO_PROBLEMS, Status, TextField, failure, problems, type Problems } from './forms';
import { authed } from './session';
import { Loading, PageHeading, Pager, PAGE_SIZE, Section } from './ui';

type MenuItem = Schemas['MenuItem'];
const FIELDS = ['title', 'price', 'inventory'];

export function MenuPage() {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [items, setItems] = useState<{ count: number; results: MenuItem[] } | null>(null);
  const [loadErrors, setLoadErrors] = useState<readonly string[]>([]);
  const [editing, setEditing] = useState<MenuItem | null>(null);
  const [status, setStatus] = useState('');
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let live = true;
    authed((api) => api.GET('/api/menu-items', { params: { query: { page: String(page), page_size: String(PAGE_SIZE), search: search || undefined, ordering: 'title' } } }))
      .then(({ data, error, response }) => {
        if (!live) return;
        if (data && !Array.isArray(data)) {
          setItems({ count: data.count, results: data.results });
          setLoadErrors([]);
        } else if (response.status === 404 && page > 1) {
          setPage(1);
        } else {
          setLoadErrors(problems(error, response.status).form);
        }
      })
      .catch((err) => live && setLoadErrors(failure(err).form));
    return () => {
      live = false;
    };
  }, [search, page, reload]);

  const remove = async (item: MenuItem) => {
    try {
      const { error, response } = await authed((api) => api.DELETE('/api/menu-items/{id}', { params: { path: { id: item.id } } }));
      if (response.status === 204) {
        setStatus(`Deleted ${item.title}.`);
        if (editing?.id === item.id) setEditing(null);
        setReload((n) => n + 1);
      } else setStatus(problems(error, response.status).form.join(' '));
    } catch (err) {
      setStatus(failure(err).form.join(' '));
    }
  };

  return (
    <main id="main">
      <PageHeading>Menu items</PageHeading>
      <div class="toolbar">
        <div class="field inline">
          <label for="menu-search">Search menu items</label>
          <input
            id="menu-search"
            type="search"
            value={search}
            onInput={(e) => {
              setSearch((e.currentTarget as HTMLInputElement).value);
              setPage(1);
            }}
          />
        </div>
      </div>
      <Status text={status} />
      <FormAlert messages={loadErrors} />
      {items === null ? (
        <Loading />
      ) : (
        <>
          <div class="table-wrap">
            <table class="stack">
              <caption class="visually-hidden">Menu items</caption>
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col" class="num">
                    Price
                  </th>
                  <th scope="col" class="num">
                    Inventory
                  </th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.results.map((item) => (
                  <tr key={item.id}>
                    <th scope="row">{item.title}</th>
                    <td class="num" data-label="Price">
                      {item.price}
                    </td>
                    <td class="num" data-label="Inventory">
                      {item.inventory}
                    </td>
                    <td class="actions">
                      <button type="button" onClick={() => setEditing(item)} aria-label={`Edit ${item.title}`}>
                        Edit
                      </button>
                      <button type="button" class="danger" onClick={() => void remove(item)} aria-label={`Delete ${item.title}`}>
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
                {items.results.length === 0 ? (
                  <tr>
                    <td colSpan={4}>No menu items.</td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
          <Pager label="Menu items pages" page={page} count={items.count} onPage={setPage} />
        </>
      )}
      {editing ? (
        <ItemForm
          key={`edit-${editing.id}`}
          item={editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved) {
              setStatus(`Saved ${saved.title}.`);
              setReload((n) => n + 1);
            }
          }}
        />
      ) : null}
      <ItemForm
        key="create"
        item={null}
        onDone={(saved) => {
          if (saved) {
            setStatus(`Created ${saved.title}.`);
            setReload((n) => n + 1);
          }
        }}
      />
    </main>
  );
}

/** Create (item null) or edit a menu item; the API's field errors under each field. */
function ItemForm({ item, onDone }: { readonly item: MenuItem | null; readonly onDone: (saved: MenuItem | null) => void }) {
  const prefix = item ? `edit-item-${item.id}` : 'new-item';
  const [title, setTitle] = useState(item?.title ?? '');
  const [price, setPrice] = useState(item?.price ?? '');
  const [inventory, setInventory] = useState(item ? String(item.inventory) : '');
  const [errors, setErrors] = useState<Problems>(NO_PROBLEMS);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (item) first.current?.querySelector('input')?.focus();
  }, [item]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    // The inventory as typed: the API says what is wrong with it (a number the spec checks).
    const body = { title, price, inventory: (/^-?\d+$/.test(inventory.trim()) ? Number(inventory) : inventory) as number };
    try {
      const { data, error, response } = item
        ? await authed((api) => api.PUT('/api/menu-items/{id}', { params: { path: { id: item.id } }, body }))
        : await authed((api) => api.POST('/api/menu-items', { body }));
      if (data) {
        setErrors(NO_PROBLEMS);
        if (!item) {
          setTitle('');
          setPrice('');
          setInventory('');
        }
        onDone(data);
      } else setErrors(problems(error, response.status, FIELDS));
    } catch (err) {
      setErrors(failure(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section id={`${prefix}-title`} title={item ? `Edit ${item.title}` : 'New menu item'}>
      <form onSubmit={submit} noValidate class="grid-form">
        <FormAlert messages={errors.form} />
        <div ref={first}>
          <TextField id={`${prefix}-name`} label="Title" value={title} onValue={setTitle} errors={errors.fields.title} />
        </div>
        <TextField id={`${prefix}-price`} label="Price" inputMode="decimal" value={price} onValue={setPrice} errors={errors.fields.price} />
        <TextField id={`${prefix}-inventory`} label="Inventory" inputMode="numeric" value={inventory} onValue={setInventory} errors={errors.fields.inventory} />
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            {item ? 'Save menu item' : 'Create menu item'}
          </button>
          {item ? (
            <button type="button" onClick={() => onDone(null)}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
    </Section>
  );
}
