/** Menu items: list (plain array, or DRF pages when asked), retrieve, create, update, delete. */
import type { Context } from 'koa';
import { fromCents, toCents } from '../decimal';
import { NotFound } from '../errors';
import { isPostgres, type Db } from '../db/knex';
import type { Handler, OperationId } from './types';

interface MenuRow {
  id: number;
  title: string;
  price_cents: number;
  inventory: number;
}

const ORDERABLE: Record<string, string> = { id: 'id', title: 'title', price: 'price_cents', inventory: 'inventory' };
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

/** DRF's OrderingFilter: known fields only (others are ignored), `-` for descending. */
function ordering(param: string | undefined): [string, 'asc' | 'desc'][] {
  const out: [string, 'asc' | 'desc'][] = [];
  for (const term of (param ?? '').split(',').map((s) => s.trim())) {
    const column = ORDERABLE[term.replace(/^-/, '')];
    if (column && !out.some(([c]) => c === column)) out.push([column, term.startsWith('-') ? 'desc' : 'asc']);
  }
  if (!out.some(([c]) => c === 'id')) out.push(['id', 'asc']);
  return out;
}

function positiveInt(value: string | undefined): number | null {
  return value !== undefined && /^\d+$/.test(value) && Number(value) > 0 ? Number(value) : null;
}

function pageUrl(ctx: Context, page: number | null): string {
  const url = new URL(ctx.originalUrl, `${ctx.protocol}://${ctx.host}`);
  if (page === null || page === 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return url.toString();
}

export const menuHandlers = {
  async menuItemsList(call) {
    const { db } = call.services;
    const { search, page, page_size: pageSize } = call.query;
    const query = db<MenuRow>('menu_items');
    if (search && search.trim()) {
      const pattern = `%${search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      if (isPostgres(db)) query.whereRaw("title ILIKE ? ESCAPE '\\'", [pattern]);
      else query.whereRaw("lower(title) LIKE lower(?) ESCAPE '\\'", [pattern]);
    }
    for (const [column, direction] of ordering(call.query.ordering)) query.orderBy(column, direction);

    if (page === undefined && pageSize === undefined) {
      return { status: 200, body: ((await query.select('*')) as MenuRow[]).map(serialize) };
    }
    const size = Math.min(positiveInt(pageSize) ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const count = Number(((await query.clone().clearOrder().count({ n: '*' })) as { n: number | string }[])[0].n);
    const pages = Math.max(1, Math.ceil(count / size));
    const number = page === undefined || page === 'last' ? (page === 'last' ? pages : 1) : positiveInt(page);
    if (number === null || number > pages) throw new NotFound('Invalid page.');
    const rows = (await query.select('*').limit(size).offset((number - 1) * size)) as MenuRow[];
    return {
      status: 200,
      body: {
        count,
        next: number < pages ? pageUrl(call.ctx, number + 1) : null,
        previous: number > 1 ? pageUrl(call.ctx, number - 1) : null,
        results: rows.map(serialize),
      },
    };
  },

  async menuItemsRetrieve(call) {
    return { status: 200, body: serialize(await findItem(call.services.db, Number(call.params.id))) };
  },

  async menuItemsCreate(call) {
    const { title, price, inventory } = call.body as { title: string; price: string; inventory: number };
    const row = { title, price_cents: toCents(price), inventory };
    const [inserted] = await call.services.db('menu_items').insert(row).returning('id');
    const id = typeof inserted === 'object' ? (inserted as { id: number }).id : (inserted as number);
    return { status: 201, body: serialize({ id, ...row }) };
  },

  async menuItemsUpdate(call) {
    const { db } = call.services;
    const id = Number(call.params.id);
    const { title, price, inventory } = call.body as { title: string; price: string; inventory: number };
    const changes = { title, price_cents: toCents(price), inventory };
    if (!(await db('menu_items').where({ id }).update(changes))) throw new NotFound();
    return { status: 200, body: serialize({ id, ...changes }) };
  },

  async menuItemsPartialUpdate(call) {
    const { db } = call.services;
    const id = Number(call.params.id);
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
    if (!(await call.services.db('menu_items').where({ id: Number(call.params.id) }).delete())) throw new NotFound();
    return { status: 204 };
  },
} satisfies { [K in OperationId]?: Handler<K> };
