/**
 * The audit log (audit_entry, #17): append-only. Entries are inserted (in the transaction of
 * the change they record, through that transaction's repositories), listed, and pruned by age
 * (`manage pruneaudit`); nothing updates one. What goes in `detail` is the caller's business,
 * and the caller never puts a password, key, token or hash there.
 */
import type { AuditEntryRow, DataContext } from './db';

/** Longest username kept (a failed sign-in may try any text; no real name is longer). */
const NAME_MAX = 150;
const ADDRESS_MAX = 64;

export interface AuditFields {
  readonly kind: string;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly actorId?: number | null;
  readonly actorUsername?: string | null;
  readonly userId?: number | null;
  readonly username?: string | null;
  readonly address?: string | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** An entry as read back, `detail` parsed. */
export interface AuditRecord {
  id: number;
  at: number;
  kind: string;
  actor_id: number | null;
  actor_username: string | null;
  user_id: number | null;
  username: string | null;
  address: string | null;
  detail: Record<string, unknown>;
}

export interface AuditFilter {
  /** Entries about this user, or made by them. */
  readonly userId?: number;
  readonly kind?: string;
  /** Inclusive bounds, epoch ms. */
  readonly since?: number;
  readonly until?: number;
}

function clip(value: string | null | undefined, max: number): string | null {
  if (value === undefined || value === null) return null;
  return Array.from(value).slice(0, max).join('');
}

function parseDetail(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export class AuditRepository {
  constructor(private readonly ctx: DataContext) {}

  /** Appends one entry. */
  async record(entry: AuditFields): Promise<void> {
    await this.ctx.models.AuditEntry.query().insert({
      at: entry.at,
      kind: entry.kind,
      actor_id: entry.actorId ?? null,
      actor_username: clip(entry.actorUsername, NAME_MAX),
      user_id: entry.userId ?? null,
      username: clip(entry.username, NAME_MAX),
      address: clip(entry.address, ADDRESS_MAX),
      detail: JSON.stringify(entry.detail ?? {}),
    });
  }

  /** The entries matching `filter`, newest first, the page asked for. */
  async list(filter: AuditFilter, page: { limit: number; offset: number }): Promise<AuditRecord[]> {
    const rows = (await this.filtered(filter).orderBy('at', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset)) as AuditEntryRow[];
    return rows.map((r) => ({
      id: r.id,
      at: Number(r.at),
      kind: r.kind,
      actor_id: r.actor_id,
      actor_username: r.actor_username,
      user_id: r.user_id,
      username: r.username,
      address: r.address,
      detail: parseDetail(r.detail),
    }));
  }

  /** How many entries match `filter`. */
  async count(filter: AuditFilter): Promise<number> {
    return this.filtered(filter).resultSize();
  }

  /** Deletes the entries older than `before` (epoch ms); returns how many. The only delete there is. */
  async prune(before: number): Promise<number> {
    return this.ctx.models.AuditEntry.query().where('at', '<', before).delete();
  }

  private filtered(filter: AuditFilter) {
    const query = this.ctx.models.AuditEntry.query();
    if (filter.userId !== undefined) {
      const id = filter.userId;
      query.where((q) => q.where('user_id', id).orWhere('actor_id', id));
    }
    if (filter.kind !== undefined) query.where('kind', filter.kind);
    if (filter.since !== undefined) query.where('at', '>=', filter.since);
    if (filter.until !== undefined) query.where('at', '<=', filter.until);
    return query;
  }
}
