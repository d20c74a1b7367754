/** createtoken (DRF's drf_create_token) and flushexpiredtokens (simplejwt's). */
import { getUser } from '../accounts';
import { arg, CommandError, flag, stringOption } from '../args';
import type { Command } from '../context';

export const createtoken: Command = {
  summary: "Create a DRF token key for a user and print it (the only time it is shown).",
  description: 'Only the SHA-256 of the key is stored, so a lost key cannot be printed again: create another.',
  positionals: [{ name: 'USER' }],
  options: {
    reset: { type: 'boolean', short: 'r', help: "Delete the user's existing keys first." },
  },
  async run(ctx, parsed) {
    const services = await ctx.services();
    const { keys } = services;
    const user = await getUser(services, arg(parsed, 'USER'));
    const who = { id: user.id, username: user.username };
    if (flag(parsed, 'reset')) await services.accounts.revokeAllKeys(user.id, { kind: 'token_revoked', user: who, detail: { via: 'manage createtoken --reset' } });
    // The key's first 8 characters are kept (the admin API lists keys by them); the audit log has the prefix, never the key.
    const { key } = await services.accounts.issueKey(user.id, ({ prefix }) => ({ kind: 'token_created', user: who, detail: { prefix, via: 'manage createtoken' } }));
    ctx.io.out(`Generated token ${key} for user ${user.username}`);
  },
};

export const flushexpiredtokens: Command = {
  summary: 'Delete the expired outstanding refresh tokens (and their blacklist entries).',
  positionals: [],
  options: {},
  async run(ctx) {
    const count = await (await ctx.services()).jwt.flushExpired();
    ctx.io.out(`Deleted ${count} expired outstanding token${count === 1 ? '' : 's'}.`);
  },
};

export const pruneaudit: Command = {
  summary: 'Delete the audit log entries older than AUDIT_RETENTION_DAYS days (or --days N).',
  description: 'The audit log is append-only otherwise: this is the only way entries go.',
  positionals: [],
  options: {
    days: { type: 'string', help: 'Keep the entries of the last N days (default: AUDIT_RETENTION_DAYS, 365).' },
  },
  async run(ctx, parsed) {
    const services = await ctx.services();
    const raw = stringOption(parsed, 'days');
    const days = raw === undefined ? services.settings.auditRetentionDays : Number(raw);
    if (raw !== undefined && !(/^\d{1,5}$/.test(raw.trim()) && days >= 1)) throw new CommandError(`--days must be a whole number of days, 1 or more, not ${JSON.stringify(raw)}`);
    const count = await services.audit.prune(days);
    ctx.io.out(`Deleted ${count} audit entr${count === 1 ? 'y' : 'ies'} older than ${days} day${days === 1 ? '' : 's'}.`);
  },
};
