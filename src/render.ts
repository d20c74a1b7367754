/**
 * Any error → the response DRF's exception handler would send. ApiErrors render as
 * themselves; a database that is down is 503; anything else is a logged 500 whose body says
 * nothing of the cause.
 */
import { ApiError, PayloadTooLarge, ServiceUnavailable } from './errors';

export interface Rendered {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
  /** True for an unexpected failure: the caller logs it with its stack. */
  readonly unexpected: boolean;
}

const DB_DOWN_CODES = new Set(['EDBCLOSED', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', 'SQLITE_BUSY', 'SQLITE_LOCKED']);

function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string } | null;
  if (!e) return false;
  if (e.name === 'KnexTimeoutError') return true;
  if (e.code && DB_DOWN_CODES.has(e.code)) return true;
  // A read-only or full disk, or a database file that cannot be opened (the codes carry suffixes).
  if (e.code && /^SQLITE_(READONLY|IOERR|FULL|CANTOPEN)/.test(e.code)) return true;
  return (
    typeof e.message === 'string' &&
    // The last: pg's pool (the data layer's prepared reads, src/data/db.ts) waited too long for a connection.
    /Connection terminated|connect ECONNREFUSED|Client has encountered a connection error|Unable to acquire a connection|timeout exceeded when trying to connect/.test(e.message)
  );
}

/** `authenticateHeader` is the WWW-Authenticate value for 401s (the operation's first scheme). */
export function render(err: unknown, authenticateHeader: string): Rendered {
  let error: ApiError | null = err instanceof ApiError ? err : null;
  if (!error && isDatabaseUnavailable(err)) error = new ServiceUnavailable();
  const status = (err as { status?: number; expose?: boolean } | null)?.status;
  if (!error && status === 413) error = new PayloadTooLarge();
  if (!error) {
    return { status: 500, body: { detail: 'A server error occurred.' }, headers: {}, unexpected: true };
  }
  const headers = { ...error.headers };
  if (error.status === 401) headers['WWW-Authenticate'] = authenticateHeader;
  if (error.status === 503) headers['Retry-After'] ??= '5';
  return { status: error.status, body: error.body(), headers, unexpected: false };
}
