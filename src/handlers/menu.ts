/**
 * Menu items: list (a plain array, or DRF's page object when `page` or `page_size` is given,
 * with DRF's SearchFilter and OrderingFilter), retrieve, create, update, partial update, delete.
 * Prices are integer cents in the database and decimal strings ("5.50") on the wire.
 */
import { fromCents, parsePythonInt, pySplit, toCents } from '../decimal';
import { NotFound } from '../errors';
import { isPostgres, type Db, type Knex } from '../db/knex';
import type { Call, Handler, OperationId } from './types';

interface MenuRow {
  id: number;
  title: string;
  price_cents: number;
  inventory: number;
}

/** OrderingFilter's valid fields: the serializer's fields, by the column behind each. */
const ORDERABLE: Readonly<Record<string, string>> = { id: 'id', title: 'title', price: 'price_cents', inventory: 'inventory' };
/** PageNumberPagination: the page size when only `page` is given, and `max_page_size`. */
const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;

function serialize(row: MenuRow) {
  return { id: row.id, title: row.title, price: fromCents(row.price_cents), inventory: row.inventory };
}

async function findItem(db: Db, id: number): Promise<MenuRow> {
  const row = (await db('menu_items').where({ id }).first()) as MenuRow | undefined;
  if (!row) throw new NotFound();
  return row;
}

/**
 * DRF's OrderingFilter: comma-separated terms, each stripped, `-` for descending; unknown
 * fields are dropped, not refused. The id breaks ties so that pages are stable.
 */
export function ordering(param: string | undefined): [string, 'asc' | 'desc'][] {
  const out: [string, 'asc' | 'desc'][] = [];
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

/** SearchFilter on `title` (icontains): every term must occur. */
function applySearch(db: Db, query: Knex.QueryBuilder, search: string): void {
  for (const term of searchTerms(search)) {
    const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    if (isPostgres(db)) query.whereRaw("title ILIKE ? ESCAPE '\\'", [pattern]);
    else query.whereRaw("lower(title) LIKE lower(?) ESCAPE '\\'", [pattern]);
  }
}

/** PageNumberPagination.get_page_size: a strictly positive int, cut off at the maximum; else the default. */
function pageSize(value: string | undefined): number {
  const n = value === undefined ? null : parsePythonInt(value);
  return n !== null && n > 0 ? Math.min(n, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
}

/**
 * The page asked for, as Django's Paginator.validate_number; NotFound("Invalid page.") as DRF.
 * An empty `page=` is not a number (DRF 3.14 reads `query_params.get('page', 1)`).
 */
function pageNumber(value: string | undefined, pages: number): number {
  if (value === 'last') return pages;
  const n = value === undefined ? 1 : parsePythonInt(value);
  if (n === null || n < 1 || n > pages) throw new NotFound('Invalid page.');
  return n;
}

/** This request's absolute URL with `page` set to `page`, or removed when null: DRF's get_next_link / get_previous_link. */
function pageUrl(call: Pick<Call, 'urlWithQueryParam'>, page: number | null): string {
  return call.urlWithQueryParam('page', page === null ? null : String(page));
}

export const menuHandlers = {
  async menuItemsList(call) {
    const { db } = call.services;
    const { search, page, page_size: size } = call.query;
    const query = db<MenuRow>('menu_items');
    if (search) applySearch(db, query, search);
    for (const [column, direction] of ordering(call.query.ordering)) query.orderBy(column, direction);

    if (page === undefined && size === undefined) {
      return { status: 200, body: ((await query.select('*')) as MenuRow[]).map(serialize) };
    }
    const perPage = pageSize(size);
    const count = Number(((await query.clone().clearOrder().count({ n: '*' })) as { n: number | string }[])[0].n);
    // Django's Paginator: an empty first page is allowed.
    const pages = Math.max(1, Math.ceil(count / perPage));
    const number = pageNumber(page, pages);
    const rows = (await query.select('*').limit(perPage).offset((number - 1) * perPage)) as MenuRow[];
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
    const row = { title, price_cents: toCents(price), inventory };
    const [inserted] = await call.services.db('menu_items').insert(row).returning('id');
    const id = typeof inserted === 'object' ? (inserted as { id: number }).id : (inserted as number);
    return { status: 201, body: serialize({ id, ...row }) };
  },

  async menuItemsUpdate(call) {
    const { db } = call.services;
    const { id } = call.object as MenuRow;
    const { title, price, inventory } = call.body;
    const changes = { title, price_cents: toCents(price), inventory };
    if (!(await db('menu_items').where({ id }).update(changes))) throw new NotFound();
    return { status: 200, body: serialize({ id, ...changes }) };
  },

  async menuItemsPartialUpdate(call) {
    const { db } = call.services;
    const { id } = call.object as MenuRow;
    const { title, price, inventory } = call.body;
    const changes: Partial<MenuRow> = {};
    if (title !== undefined) changes.title = title;
    if (price !== undefined) changes.price_cents = toCents(price);
    if (inventory !== undefined) changes.inventory = inventory;
    return db.transaction(async (trx) => {
      const row = await findItem(trx, id);
      if (Object.keys(changes).length) await trx('menu_items').where({ id }).update(changes);
      return { status: 200 as const, body: serialize({ ...row, ...changes }) };
    });
  },

  async menuItemsDestroy(call) {
    // Gone since the gate found it: a concurrent delete won.
    if (!(await call.services.db('menu_items').where({ id: (call.object as MenuRow).id }).delete())) throw new NotFound();
    return { status: 204 };
  },
} satisfies { [K in OperationId]?: Handler<K> };
