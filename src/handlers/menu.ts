/**
 * Menu items: list (a plain array, or DRF's page object when `page` or `page_size` is given,
 * with DRF's SearchFilter and OrderingFilter), retrieve, create, update, partial update, delete.
 * Prices are integer cents in the database and decimal strings ("5.50") on the wire.
 */
import type { MenuItemRow as MenuRow } from '../data/db';
import { fromCents, pySplit, toCents } from '../decimal';
import { NotFound } from '../errors';
import { pageNumber, pageSize, pageUrl } from './pagination';
import type { Handler, OperationId } from './types';

/** OrderingFilter's valid fields: the serializer's fields, by the column behind each. */
const ORDERABLE: Readonly<Record<string, keyof MenuRow>> = { id: 'id', title: 'title', price: 'price_cents', inventory: 'inventory' };

function serialize(row: MenuRow) {
  return { id: row.id, title: row.title, price: fromCents(row.price_cents), inventory: row.inventory };
}

/**
 * DRF's OrderingFilter: comma-separated terms, each stripped, `-` for descending; unknown
 * fields are dropped, not refused. The id breaks ties so that pages are stable.
 */
export function ordering(param: string | undefined): [keyof MenuRow, 'asc' | 'desc'][] {
  const out: [keyof MenuRow, 'asc' | 'desc'][] = [];
  for (const term of (param ?? '').split(',').map((s) => s.trim())) {
    const column = ORDERABLE[term.startsWith('-') ? term.slice(1) : term];
    // A column repeated later in ORDER BY changes nothing: keep the first.
    if (column && !out.some(([c]) => c === column)) out.push([column, term.startsWith('-') ? 'desc' : 'asc']);
  }
  if (!out.some(([c]) => c === 'id')) out.push(['id', 'asc']);
  return out;
}

/**
 * DRF 3.14's SearchFilter.get_search_terms: NUL characters dropped, commas as spaces, split on
 * whitespace (quotes are plain characters). Later DRF versions split like Django's admin and
 * refuse NULs; 3.14 is the version whose 404s read "Not found.", as the contract's do.
 */
export function searchTerms(value: string): string[] {
  return pySplit(value.replace(/\0/g, '').replace(/,/g, ' '));
}

export const menuHandlers = {
  async menuItemsList(call) {
    const { menu } = call.services.db;
    const { search, page, page_size: size } = call.query;
    // SearchFilter on `title` (icontains): every term must occur.
    const terms = search ? searchTerms(search) : [];
    const order = ordering(call.query.ordering);

    if (page === undefined && size === undefined) {
      return { status: 200, body: (await menu.list({ terms, ordering: order })).map(serialize) };
    }
    const perPage = pageSize(size);
    const count = await menu.count(terms);
    // Django's Paginator: an empty first page is allowed.
    const pages = Math.max(1, Math.ceil(count / perPage));
    const number = pageNumber(page, pages);
    const rows = await menu.list({ terms, ordering: order, limit: perPage, offset: (number - 1) * perPage });
    return {
      status: 200,
      body: {
        count,
        next: number < pages ? pageUrl(call, number + 1) : null,
        previous: number > 1 ? pageUrl(call, number === 2 ? null : number - 1) : null,
        results: rows.map(serialize),
      },
    };
  },

  async menuItemsRetrieve(call) {
    return { status: 200, body: serialize(call.object as MenuRow) };
  },

  async menuItemsCreate(call) {
    const { title, price, inventory } = call.body;
    const row = await call.services.db.menu.create({ title, price_cents: toCents(price), inventory });
    return { status: 201, body: serialize(row) };
  },

  async menuItemsUpdate(call) {
    const { id } = call.object as MenuRow;
    const { title, price, inventory } = call.body;
    const row = await call.services.db.menu.update(id, { title, price_cents: toCents(price), inventory });
    if (!row) throw new NotFound();
    return { status: 200, body: serialize(row) };
  },

  async menuItemsPartialUpdate(call) {
    const { id } = call.object as MenuRow;
    const { title, price, inventory } = call.body;
    const changes: Partial<MenuRow> = {};
    if (title !== undefined) changes.title = title;
    if (price !== undefined) changes.price_cents = toCents(price);
    if (inventory !== undefined) changes.inventory = inventory;
    const row = await call.services.db.menu.update(id, changes);
    if (!row) throw new NotFound();
    return { status: 200, body: serialize(row) };
  },

  async menuItemsDestroy(call) {
    // Gone since the gate found it: a concurrent delete won.
    if (!(await call.services.db.menu.delete((call.object as MenuRow).id))) throw new NotFound();
    return { status: 204 };
  },
} satisfies { [K in OperationId]?: Handler<K> };
