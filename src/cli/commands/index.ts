/** Every management command, by name, in the order `help` lists them. */
import type { Command } from '../context';
import { addtogroup, creategroup, removefromgroup } from './groups';
import { importDjango } from './importDjango';
import { migrate } from './migrate';
import { createtoken, flushexpiredtokens, pruneaudit } from './tokens';
import { changepassword, createsuperuser, createuser, listusers } from './users';

export const commands: Readonly<Record<string, Command>> = Object.freeze({
  migrate,
  createsuperuser,
  createuser,
  changepassword,
  listusers,
  creategroup,
  addtogroup,
  removefromgroup,
  createtoken,
  flushexpiredtokens,
  pruneaudit,
  'import-django': importDjango,
});
