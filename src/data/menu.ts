/**
 * Menu items (menu_items). Prices are integer cents here; the API's decimal strings are the
 * handlers' business.
 */
import type { DataContext, MenuItemRow } from './db';

/** A column to order by and its direction. */
export type MenuOrdering = readonly (readonly [keyof MenuItemRow, 'asc' | 'desc'])[];

export interface MenuQuery {
  /** DRF's SearchFilter on the title: every term must occur in it, whatever the letter case. */
  readonly terms: readonly string[];
  readonly ordering: MenuOrdering;
  /** A page: at most `limit` items after the first `offset`. */
  readonly limit?: number;
  readonly offset?: number;
}

export type MenuItemFields = Omit<MenuItemRow, 'id'>;

export class MenuRepository {
  constructor(private readonly ctx: DataContext) {}

  /** The items matching `query.terms`, in `query.ordering`, the page asked for (all when no limit). */
  async list(query: MenuQuery): Promise<MenuItemRow[]> {
    const items = this.search(query.terms);
    for (const [column, direction] of query.ordering) items.orderBy(column, direction);
    if (query.limit !== undefined) items.limit(query.limit).offset(query.offset ?? 0);
    return items;
  }

  /** How many items match `terms`. */
  async count(terms: readonly string[]): Promise<number> {
    return this.search(terms).resultSize();
  }

  /** The item with this id, or undefined. */
  async find(id: number): Promise<MenuItemRow | undefined> {
    return this.ctx.models.MenuItem.query().findById(id);
  }

  /** Inserts an item; returns it with its id. */
  async create(item: MenuItemFields): Promise<MenuItemRow> {
    return this.ctx.models.MenuItem.query().insert(item);
  }

  /** Sets some columns of an item, in one transaction with reading it; returns the item as it now is, undefined when there is none. */
  async update(id: number, changes: Partial<MenuItemFields>): Promise<MenuItemRow | undefined> {
    return this.ctx.atomically(async ({ MenuItem }) => {
      const item = await MenuItem.query().findById(id);
      if (!item) return undefined;
      if (Object.keys(changes).length > 0) await MenuItem.query().findById(id).patch(changes);
      return { ...item, ...changes };
    });
  }

  /** Deletes an item; returns false when there was none. */
  async delete(id: number): Promise<boolean> {
    return (await this.ctx.models.MenuItem.query().deleteById(id)) > 0;
  }

  /** Every term in the title: ILIKE on PostgreSQL; lower() LIKE lower() on SQLite (its LIKE folds ASCII only either way). */
  private search(terms: readonly string[]) {
    const query = this.ctx.models.MenuItem.query();
    for (const term of terms) {
      const pattern = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      if (this.ctx.kind === 'postgres') query.whereRaw("title ILIKE ? ESCAPE '\\'", [pattern]);
      else query.whereRaw("lower(title) LIKE lower(?) ESCAPE '\\'", [pattern]);
    }
    return query;
  }
}
