/** createtoken (DRF's drf_create_token) and flushexpiredtokens (simplejwt's). */
import { getUser } from '../accounts';
import { arg, flag } from '../args';
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
    if (flag(parsed, 'reset')) await keys.deleteAllFor(user.id);
    const key = await keys.create(user.id);
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
