/**
 * The audit log's vocabulary (#17): what an event is, and how it becomes an entry. An event that
 * records a change is written through the repositories of the change's own transaction
 * (`write(tx, …)`), so a change that fails leaves no entry and an entry never outlives its
 * change; only a failed sign-in, which changes nothing, is written on its own (`writeAlone`).
 *
 * Never in an entry: a password, a key, a token or a hash. `detail` holds field names, flag
 * values, a key's 8-character prefix, a group's name, a jti or a count.
 */
import type { Clock } from '../clock';
import type { components } from '../../generated/openapi';
import type { Database, Repositories } from '../data/db';

export type AuditKind = components['schemas']['AuditKind'];

/** Who did it, or whom it is about. */
export interface AuditUser {
  readonly id: number;
  readonly username: string;
}

export interface AuditEvent {
  readonly kind: AuditKind;
  /** The acting user; null or absent for an anonymous request or the command line. */
  readonly actor?: AuditUser | null;
  /** The user it is about; absent when none (a group change names the member here). */
  readonly user?: AuditUser | null;
  /** The name tried, when there is no such user (a failed sign-in). */
  readonly username?: string | null;
  /** The client address of the request; absent for the command line. */
  readonly address?: string | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Who asks and from where: what every audited change of one request shares. */
export interface AuditContext {
  readonly actor: AuditUser | null;
  readonly address: string | null;
}

export class AuditLog {
  constructor(private readonly db: Database, private readonly clock: Clock) {}

  /** Appends `event` in the transaction `tx` (the change's own). */
  async write(tx: Repositories, event: AuditEvent): Promise<void> {
    await tx.audit.record({
      kind: event.kind,
      at: this.clock.now(),
      actorId: event.actor?.id ?? null,
      actorUsername: event.actor?.username ?? null,
      userId: event.user?.id ?? null,
      username: event.user?.username ?? event.username ?? null,
      address: event.address ?? null,
      detail: event.detail ?? {},
    });
  }

  /** Appends an event that records no change (a failed sign-in), on its own. */
  writeAlone(event: AuditEvent): Promise<void> {
    return this.write(this.db, event);
  }

  /** Deletes the entries older than `days` days; returns how many. */
  prune(days: number): Promise<number> {
    return this.db.audit.prune(this.clock.now() - days * 86_400_000);
  }
}
