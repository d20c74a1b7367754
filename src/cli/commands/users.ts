/**
 * createsuperuser, createuser, changepassword and listusers, after Django's auth commands:
 * the same prompts, messages and --noinput behaviour, except that a password given through the
 * environment is validated too (Django skips validation with --noinput).
 */
import os from 'node:os';
import type { UserListing } from '../../data/users';
import { hashPassword, unusablePassword } from '../../passwords/hashers';
import type { Services } from '../../services';
import { normalizeEmail, UsernameTaken } from '../../services/users';
import { getUser, USERNAME_TAKEN } from '../accounts';
import { CommandError, UsageError, flag, stringOption, type OptionSpec, type ParsedArgs } from '../args';
import type { Command, CommandContext } from '../context';
import { cleanUsername, emailErrors, usernameErrors } from '../fields';
import { askNewPasswordStrict, askNewPasswordWithBypass, hashedPasswordFromEnv } from '../passwords';
import { formatTable } from '../table';

/** createsuperuser --noinput reads the password here (Django's DJANGO_SUPERUSER_PASSWORD). */
export const SUPERUSER_PASSWORD_ENV = 'SUPERUSER_PASSWORD';
/** changepassword --noinput reads the password here. */
export const NEW_PASSWORD_ENV = 'NEW_PASSWORD';

const NOINPUT: Record<string, OptionSpec> = {
  noinput: { type: 'boolean', help: 'Do not prompt: every value comes from the options and the environment.' },
  'no-input': { type: 'boolean', help: 'Same as --noinput.' },
};

const USER_FIELDS: Record<string, OptionSpec> = {
  username: { type: 'string', metavar: 'NAME', help: 'The username (letters, digits and @/./+/-/_, at most 150).' },
  email: { type: 'string', metavar: 'EMAIL', help: 'The email address (may be empty).' },
};

export const createsuperuser: Command = {
  summary: 'Create a superuser (is_staff and is_superuser set).',
  description:
    `Prompts for the username, email address and password (typed twice, hidden on a terminal); ` +
    `from a pipe, each answer is the next line of stdin. With --noinput, --username and --email ` +
    `are required (or SUPERUSER_USERNAME and SUPERUSER_EMAIL), and the password is read from ` +
    `${SUPERUSER_PASSWORD_ENV}: without it the user gets an unusable password, as in Django.`,
  positionals: [],
  options: {
    ...USER_FIELDS,
    ...NOINPUT,
    'password-from-env': { type: 'string', metavar: 'VAR', help: `Read the password from environment variable VAR (default with --noinput: ${SUPERUSER_PASSWORD_ENV}).` },
  },
  run: (ctx, parsed) => createUser(ctx, parsed, { superuser: true }),
};

export const createuser: Command = {
  summary: 'Create a user (optionally staff or inactive).',
  description:
    'Prompts as createsuperuser does. With --noinput, --username is required and the password ' +
    'is read from --password-from-env VAR; without it the user gets an unusable password.',
  positionals: [],
  options: {
    ...USER_FIELDS,
    staff: { type: 'boolean', help: 'Set is_staff (admin in this API).' },
    inactive: { type: 'boolean', help: 'Clear is_active: the user cannot log in.' },
    ...NOINPUT,
    'password-from-env': { type: 'string', metavar: 'VAR', help: 'Read the password from environment variable VAR.' },
  },
  run: (ctx, parsed) => createUser(ctx, parsed, { superuser: false }),
};

export const changepassword: Command = {
  summary: "Change a user's password (and sign them out of their JWTs).",
  description:
    `Prompts for the new password twice, up to 3 attempts; Django's validators apply. With ` +
    `--noinput the password is read from ${NEW_PASSWORD_ENV} (or --password-from-env VAR). ` +
    `USER defaults to the operating-system user, as in Django. Every refresh token of the user ` +
    `is blacklisted and older access tokens are refused; DRF token keys are deleted too when ` +
    `LOGOUT_ON_PASSWORD_CHANGE is true.`,
  positionals: [{ name: 'USER', optional: true }],
  options: {
    ...NOINPUT,
    'password-from-env': { type: 'string', metavar: 'VAR', help: `Read the password from environment variable VAR (default with --noinput: ${NEW_PASSWORD_ENV}).` },
  },
  run: changePassword,
};

export const listusers: Command = {
  summary: 'List the users: id, username, email, staff, superuser, active, groups.',
  positionals: [],
  options: {
    json: { type: 'boolean', help: 'Print a JSON array instead of a table.' },
  },
  async run(ctx, parsed) {
    const users = await (await ctx.services()).db.users.listWithGroups();
    if (flag(parsed, 'json')) return ctx.io.out(JSON.stringify(users, null, 2));
    if (users.length === 0) return ctx.io.out('No users.');
    ctx.io.out(formatTable(['id', 'username', 'email', 'staff', 'superuser', 'active', 'groups'], users.map(userRow)));
  },
};

function userRow(u: UserListing): string[] {
  const yesNo = (b: boolean) => (b ? 'yes' : 'no');
  return [String(u.id), u.username, u.email, yesNo(u.is_staff), yesNo(u.is_superuser), yesNo(u.is_active), u.groups.join(', ')];
}

interface Kind {
  readonly superuser: boolean;
}

/** createsuperuser / createuser. */
async function createUser(ctx: CommandContext, parsed: ParsedArgs, kind: Kind): Promise<void> {
  const services = await ctx.services();
  const interactive = !flag(parsed, 'noinput', 'no-input');
  const { username, email } = interactive ? await askUserFields(ctx, services, parsed) : await userFieldsFromOptions(ctx, services, parsed, kind);
  const attributes = { username, email };

  const explicitVar = stringOption(parsed, 'password-from-env');
  const envVar = explicitVar ?? (kind.superuser && !interactive ? SUPERUSER_PASSWORD_ENV : undefined);
  let hash: string | undefined;
  if (envVar !== undefined) {
    hash = await hashedPasswordFromEnv(ctx.env, envVar, attributes);
    // Asked for by name and missing is a mistake; the default variable is optional (Django).
    if (hash === undefined && explicitVar !== undefined) throw new CommandError(`environment variable ${envVar} is not set`);
  } else if (interactive) {
    hash = await hashPassword(await askNewPasswordWithBypass(ctx.io, attributes));
  }
  const usable = hash !== undefined;

  try {
    await services.accounts.createUser({
      username,
      email,
      passwordHash: hash ?? unusablePassword(),
      isStaff: kind.superuser || flag(parsed, 'staff'),
      isSuperuser: kind.superuser,
      isActive: !flag(parsed, 'inactive'),
    }, (created) => ({
      kind: 'user_created',
      user: { id: created.id, username: created.username },
      detail: { via: kind.superuser ? 'manage createsuperuser' : 'manage createuser', is_staff: created.is_staff, is_superuser: created.is_superuser, is_active: created.is_active, usable_password: usable },
    }));
  } catch (err) {
    // Taken between the check and the insert.
    if (err instanceof UsernameTaken) throw new CommandError(USERNAME_TAKEN, { cause: err });
    throw err;
  }
  ctx.io.out(kind.superuser ? 'Superuser created successfully.' : 'User created successfully.');
  if (!usable) ctx.io.out(`'${username}' has no usable password: set one with changepassword.`);
}

/** --noinput: the fields from the options (createsuperuser also reads SUPERUSER_USERNAME/EMAIL). */
async function userFieldsFromOptions(ctx: CommandContext, services: Services, parsed: ParsedArgs, kind: Kind): Promise<{ username: string; email: string }> {
  const fromEnv = (name: string) => (kind.superuser ? ctx.env[`SUPERUSER_${name}`] : undefined);
  const rawUsername = stringOption(parsed, 'username') ?? fromEnv('USERNAME');
  if (rawUsername === undefined) throw new UsageError('You must use --username with --noinput.');
  const rawEmail = stringOption(parsed, 'email') ?? fromEnv('EMAIL');
  // AbstractUser.REQUIRED_FIELDS is ['email']: Django's createsuperuser insists on it.
  if (rawEmail === undefined && kind.superuser) throw new UsageError('You must use --email with --noinput.');

  const username = cleanUsername(rawUsername);
  const usernameProblem = await checkUsername(services, username);
  if (usernameProblem) throw new CommandError(usernameProblem);
  const email = normalizeEmail(rawEmail ?? '');
  const problems = emailErrors(email);
  if (problems.length > 0) throw new CommandError(problems.join('; '));
  return { username, email };
}

/** Interactive: values given as options are used when valid; the others are asked for. */
async function askUserFields(ctx: CommandContext, services: Services, parsed: ParsedArgs): Promise<{ username: string; email: string }> {
  return { username: await askUsername(ctx, services, stringOption(parsed, 'username')), email: await askEmail(ctx, stringOption(parsed, 'email')) };
}

async function askUsername(ctx: CommandContext, services: Services, given: string | undefined): Promise<string> {
  if (given !== undefined) {
    const username = cleanUsername(given);
    const problem = await checkUsername(services, username);
    if (!problem) return username;
    ctx.io.err(`Error: ${problem}`);
  }
  const fallback = await defaultUsername(ctx, services);
  const question = fallback ? `Username (leave blank to use '${fallback}'): ` : 'Username: ';
  for (;;) {
    const username = cleanUsername(await ctx.io.prompt.ask(question)) || fallback;
    const problem = await checkUsername(services, username);
    if (!problem) return username;
    ctx.io.err(`Error: ${problem}`);
  }
}

async function askEmail(ctx: CommandContext, given: string | undefined): Promise<string> {
  let raw = given ?? (await ctx.io.prompt.ask('Email address: '));
  for (;;) {
    const email = normalizeEmail(raw);
    const problems = emailErrors(email);
    if (problems.length === 0) return email;
    ctx.io.err(`Error: ${problems.join('; ')}`);
    raw = await ctx.io.prompt.ask('Email address: ');
  }
}

/** Django's _validate_username: taken (in any case) first, then the field's own checks. */
async function checkUsername(services: Services, username: string): Promise<string | null> {
  if (username !== '' && (await services.accounts.usernameTaken(username))) return USERNAME_TAKEN;
  const errors = usernameErrors(username);
  return errors.length > 0 ? errors.join('; ') : null;
}

/**
 * Django's get_default_username: the operating-system user, reduced to ASCII and lowercased,
 * or '' when it is not a valid username or is taken.
 */
async function defaultUsername(ctx: CommandContext, services: Services): Promise<string> {
  const name = systemUsername(ctx)
    .normalize('NFKD')
    .replace(/[^\x00-\x7f]/g, '')
    .replace(/ /g, '')
    .toLowerCase();
  if (!name || usernameErrors(name).length > 0 || (await services.accounts.usernameTaken(name))) return '';
  return name;
}

/** Python's getpass.getuser(): LOGNAME, USER, LNAME, USERNAME, then the password database. */
function systemUsername(ctx: CommandContext): string {
  for (const name of ['LOGNAME', 'USER', 'LNAME', 'USERNAME']) {
    const value = ctx.env[name];
    if (value) return value;
  }
  try {
    return os.userInfo().username;
  } catch {
    return ''; // no passwd entry (a container running as an arbitrary uid)
  }
}

async function changePassword(ctx: CommandContext, parsed: ParsedArgs): Promise<void> {
  const services = await ctx.services();
  const name = parsed.args.USER ?? systemUsername(ctx);
  if (!name) throw new UsageError('missing argument: USER');
  const user = await getUser(services, name);
  const attributes = { username: user.username, email: user.email, first_name: user.first_name, last_name: user.last_name };

  const explicitVar = stringOption(parsed, 'password-from-env');
  const interactive = !flag(parsed, 'noinput', 'no-input');
  const envVar = explicitVar ?? (interactive ? undefined : NEW_PASSWORD_ENV);
  let hash: string | undefined;
  if (envVar !== undefined) {
    hash = await hashedPasswordFromEnv(ctx.env, envVar, attributes);
    if (hash === undefined) throw new CommandError(`environment variable ${envVar} is not set`);
  } else {
    ctx.io.out(`Changing password for user '${user.username}'`);
    const password = await askNewPasswordStrict(ctx.io, attributes);
    if (password === null) throw new CommandError(`Aborting password change for user '${user.username}' after 3 attempts`);
    hash = await hashPassword(password);
  }
  // As the API's set_password: signed out everywhere when LOGOUT_ON_PASSWORD_CHANGE is on.
  await services.accounts.changePassword(user.id, hash, { audit: { kind: 'password_changed', user: { id: user.id, username: user.username }, detail: { via: 'manage changepassword' } } });
  ctx.io.out(`Password changed successfully for user '${user.username}'`);
}
