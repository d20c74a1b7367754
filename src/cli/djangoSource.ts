/**
 * Reading a Django database for import-django: a SQLite file (opened read-only) or a
 * PostgreSQL URL, through a knex instance of its own (src/data/db.ts openForeignDatabase: never
 * our models or repositories, which are for our database). Values are read the way Django stores them: datetimes as text in
 * SQLite ("2024-01-15 10:30:00.123456", UTC when USE_TZ = True) and `timestamp with time zone`
 * in PostgreSQL (read as ISO text in UTC, not as a JS Date), booleans as 0/1 or true/false,
 * decimals as SQLite numbers or PostgreSQL numeric text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openForeignDatabase, type Knex } from '../data/db';
import { parseDecimal, pyStrip, toCents } from '../decimal';
import { CommandError } from './args';

export interface DjangoSource {
  readonly db: Knex;
  readonly kind: 'sqlite' | 'postgres';
  /** The file, or the URL without its password: safe to print. */
  readonly label: string;
  hasTable(name: string): Promise<boolean>;
  /** The table's column names, in the database's letter case. */
  columns(name: string): Promise<string[]>;
  close(): Promise<void>;
}

const PG_TIMESTAMP = 1114;
const PG_TIMESTAMPTZ = 1184;
const PG_INT8 = 20;

/**
 * Opens `location`: a postgres:// (or postgresql://) URL, else a SQLite file path (a `sqlite:`
 * prefix is allowed). Raises CommandError when it cannot be read.
 */
export async function openDjangoSource(location: string): Promise<DjangoSource> {
  if (/^postgres(ql)?:\/\//i.test(location)) return openPostgres(location);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !/^sqlite:/i.test(location)) {
    throw new CommandError(`cannot read ${JSON.stringify(redactUrl(location))}: give a SQLite file or a postgres:// URL`);
  }
  return openSqlite(location.replace(/^sqlite:(\/\/)?/i, ''));
}

async function openSqlite(file: string): Promise<DjangoSource> {
  const filename = path.resolve(file);
  if (!fs.existsSync(filename) || !fs.statSync(filename).isFile()) throw new CommandError(`no such file: ${filename}`);
  const db = openForeignDatabase({ kind: 'sqlite', filename });
  const source: DjangoSource = {
    db,
    kind: 'sqlite',
    label: `SQLite file ${filename}`,
    async hasTable(name) {
      return Boolean(await db('sqlite_master').where({ type: 'table' }).whereRaw('lower(name) = lower(?)', [name]).first('name'));
    },
    async columns(name) {
      return Object.keys(await db(name).columnInfo());
    },
    close: () => db.destroy(),
  };
  try {
    await db.raw('select count(*) from sqlite_master');
  } catch (err) {
    await db.destroy();
    throw new CommandError(`${filename} is not a readable SQLite database (${driverMessage(err)})`);
  }
  return source;
}

async function openPostgres(url: string): Promise<DjangoSource> {
  const asText = (value: string) => value;
  const db = openForeignDatabase({
    kind: 'postgres',
    url,
    // For this connection only: times as text (parsed below, never in the local time zone of
    // this process) and bigint ids as numbers.
    typeParsers: { [PG_TIMESTAMP]: asText, [PG_TIMESTAMPTZ]: asText, [PG_INT8]: Number },
    // ISO text in UTC, whatever the server's or the role's settings.
    onConnect: "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'",
  });
  const label = `PostgreSQL database ${redactUrl(url)}`;
  try {
    await db.raw('select 1');
  } catch (err) {
    await db.destroy();
    throw new CommandError(`cannot connect to ${label} (${driverMessage(err)})`);
  }
  return {
    db,
    kind: 'postgres',
    label,
    hasTable: (name) => db.schema.hasTable(name),
    async columns(name) {
      return Object.keys(await db(name).columnInfo());
    },
    close: () => db.destroy(),
  };
}

/** The URL with its password hidden. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/**
 * The driver's own message of a database error. knex puts the query, with its values, in
 * front of it: that part is dropped, as is anything shaped like a password hash or a key.
 */
export function driverMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const at = message.lastIndexOf(' - ');
  return (at >= 0 ? message.slice(at + 3) : message)
    .replace(/\b(?:pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt|sha1|md5)\$\S+/gi, '[hidden]')
    .replace(/\b[0-9a-f]{40}\b/gi, '[hidden]')
    .split(/\r?\n/, 1)[0]!
    .trim();
}

/** A problem with one value of the Django database: the import stops and names it. */
export class BadValue extends Error {
  override name = 'BadValue';
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/i;

/**
 * A Django datetime as epoch milliseconds (microseconds are truncated). Text without an offset
 * is UTC: Django's storage with USE_TZ = True (SQLite keeps UTC, naive; PostgreSQL's
 * timestamptz arrives here in UTC). A JS Date (another driver's parsing) is taken as is.
 * Raises BadValue for anything else.
 */
export function djangoTime(value: unknown): number {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  const m = typeof value === 'string' ? DATETIME.exec(value.trim()) : null;
  if (!m) throw new BadValue(`not a datetime: ${JSON.stringify(typeof value === 'string' ? value : String(value))}`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s ?? 0), Number((frac ?? '').padEnd(3, '0').slice(0, 3)));
  const valid =
    date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(mo) - 1 && date.getUTCDate() === Number(d) && Number(h) < 24 && Number(mi) < 60 && Number(s ?? 0) < 60;
  if (!valid) throw new BadValue(`not a datetime: ${JSON.stringify(value)}`);
  return date.getTime() - offsetMs(zone);
}

function offsetMs(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(/:/g, '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0) + Number(digits.slice(4, 6) || 0) / 60;
  return (zone[0] === '-' ? -1 : 1) * minutes * 60_000;
}

export function djangoTimeOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : djangoTime(value);
}

/** A BooleanField: SQLite's 0/1, PostgreSQL's true/false. */
export function djangoBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1 || value === 0n || value === 1n) return Boolean(Number(value));
  if (value === '0' || value === '1') return value === '1';
  if (value === 't' || value === 'f') return value === 't';
  throw new BadValue(`not a boolean: ${JSON.stringify(String(value))}`);
}

/** An integer column (an id, a count): a safe integer, from a number, a bigint or digits. */
export function djangoInt(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
  throw new BadValue(`not an integer: ${JSON.stringify(String(value))}`);
}

/** A CharField or TextField. */
export function djangoText(value: unknown): string {
  if (typeof value === 'string') return value;
  throw new BadValue(`not text: ${JSON.stringify(String(value))}`);
}

/**
 * A DecimalField as integer cents. PostgreSQL's numeric arrives as its text; SQLite, whose
 * `decimal` columns have numeric affinity, hands back a number (a double), which is read as
 * Django reads it (15 significant digits). Money is never rounded: a value that is not a
 * whole number of cents raises BadValue.
 */
export function djangoCents(value: unknown): number {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  let text: string;
  if (typeof value === 'number' && Number.isFinite(value)) {
    text = Number.isInteger(value) ? String(value) : value.toPrecision(15);
  } else if (typeof value === 'bigint') {
    text = value.toString();
  } else if (typeof value === 'string' && parseDecimal(value) !== null) {
    text = pyStrip(value);
  } else {
    throw new BadValue(`not a decimal: ${shown}`);
  }
  try {
    return toCents(text);
  } catch (err) {
    throw new BadValue(`${/cents/.test((err as Error).message) ? 'not a whole number of cents' : 'out of range'}: ${shown}`);
  }
}
