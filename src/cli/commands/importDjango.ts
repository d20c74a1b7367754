/** import-django: a Django REST Framework project's accounts, keys, JWT blacklist and menu, copied here. */
import { ImproperlyConfigured } from '../../errors';
import { CommandError, UsageError, arg, flag, stringOption } from '../args';
import type { Command, CommandContext } from '../context';
import { driverMessage, openDjangoSource } from '../djangoSource';
import { importFromDjango, parseMenuColumns, type ImportResult } from '../importDjango';
import { formatTable } from '../table';

/** Thrown inside the transaction to roll a dry run back. */
class DryRun extends Error {
  override name = 'DryRun';
}

export const importDjango: Command = {
  summary: "Copy a Django project's users, groups, DRF keys, JWT blacklist and menu into this database.",
  description:
    "SOURCE is the Django database: a SQLite file or a postgres:// URL (another schema: add " +
    "?options=-c%20search_path%3DNAME). Read from Django's default tables (auth_user, auth_group, " +
    'auth_user_groups, authtoken_token, token_blacklist_outstandingtoken, ' +
    'token_blacklist_blacklistedtoken); the menu only with --menu-table. Password hashes are ' +
    'copied as they are; DRF keys are stored as their SHA-256, so the same keys keep working; ' +
    'refresh tokens still valid are recorded with their jti, and blacklisted ones stay blacklisted. ' +
    'New users keep their Django ids. A Django user is the same as one here when username and ' +
    'date_joined are equal; the same username (in any letter case) on another account is a ' +
    'clash, and so is a Django id held here by another user (unless --renumber): a clash stops ' +
    'the import and nothing is written. Everything happens in one transaction, and running it ' +
    "again changes nothing unless Django changed (its users' email, names and flags win; a " +
    "password hash here is never replaced). Prints the rows per table: new, unchanged, updated, " +
    'removed (memberships Django no longer has) and skipped (expired refresh tokens and their ' +
    'blacklist entries, keys not 40 characters long). Run it while the server is stopped.',
  positionals: [{ name: 'SOURCE' }],
  options: {
    'dry-run': { type: 'boolean', help: 'Show what would change; write nothing.' },
    'menu-table': { type: 'string', metavar: 'TABLE', help: 'Also import the menu items of TABLE (e.g. LittleLemonAPI_menuitem).' },
    'menu-columns': {
      type: 'string',
      metavar: 'MAP',
      help: "TABLE's columns when not named id, title, price, inventory: e.g. title=name,price=cost.",
    },
    renumber: { type: 'boolean', help: 'Give a new id to a Django user whose id is taken here, instead of stopping.' },
  },
  run: importDjangoCommand,
};

async function importDjangoCommand(ctx: CommandContext, parsed: Parameters<Command['run']>[1]): Promise<void> {
  const menuTable = stringOption(parsed, 'menu-table');
  const menuColumns = stringOption(parsed, 'menu-columns');
  if (menuColumns !== undefined && menuTable === undefined) throw new UsageError('--menu-columns needs --menu-table');
  if (menuTable !== undefined && menuTable.trim() === '') throw new UsageError('--menu-table needs a table name');
  const menu = menuTable === undefined ? null : { table: menuTable, columns: parseMenuColumns(menuColumns) };
  const dryRun = flag(parsed, 'dry-run');
  const settings = ctx.settings();
  const { db } = await ctx.services();
  const source = await openDjangoSource(arg(parsed, 'SOURCE'));
  let result: ImportResult | undefined;
  try {
    await db.transaction(async (tx) => {
      result = await importFromDjango(source, tx, {
        renumber: flag(parsed, 'renumber'),
        menu,
        now: ctx.clock.now(),
        leewayMs: settings.jwt.leewaySeconds * 1000,
        progress: (line) => ctx.io.err(line),
      });
      if (dryRun) throw new DryRun();
    });
  } catch (err) {
    if (!(err instanceof DryRun)) throw sanitized(err);
  } finally {
    await source.close().catch(() => undefined);
  }
  report(ctx, source.label, result!, dryRun);
}

/**
 * The error to print. Ours pass; a database error is reduced to the driver's message (knex
 * puts the statement, with its values, password hashes included, in front of it).
 */
function sanitized(err: unknown): Error {
  if (err instanceof CommandError || err instanceof ImproperlyConfigured) return err;
  return new CommandError(`the import failed, nothing was imported: ${driverMessage(err)}`);
}

function report(ctx: CommandContext, label: string, result: ImportResult, dryRun: boolean): void {
  ctx.io.out(dryRun ? `Dry run (nothing is written): import from ${label}` : `Imported from ${label}`);
  ctx.io.out(
    formatTable(
      ['table', 'new', 'unchanged', 'updated', 'removed', 'skipped'],
      result.tables.map(({ table, counts: c }) => [table, c.new, c.unchanged, c.updated, c.removed, c.skipped].map(String)),
    ),
  );
  for (const note of result.notes) ctx.io.out(`Note: ${note}`);
  const changes = `${result.changes} change${result.changes === 1 ? '' : 's'}`;
  ctx.io.out(dryRun ? `Dry run: ${changes} would be made; nothing was written.` : `${changes}.`);
}
