/** migrate: runs the pending migrations and says which (Django's output, shortened). */
import type { Command } from '../context';

export const migrate: Command = {
  summary: 'Apply the pending database migrations (other commands do it for you).',
  positionals: [],
  options: {},
  async run(ctx) {
    const ran = await ctx.openDatabase().migrate();
    if (ran.length === 0) return ctx.io.out('No migrations to apply.');
    ctx.io.out('Running migrations:');
    for (const name of ran) ctx.io.out(`  Applying ${name}... OK`);
  },
};
