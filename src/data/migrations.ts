/**
 * The schema, as knex migrations kept in code (so the compiled service needs no migration
 * files on disk). Column names follow Django's tables so data maps one to one. Times are
 * epoch milliseconds in bigint columns: the same on SQLite and PostgreSQL. Prices are integer
 * cents: never a binary float.
 */
import type { Knex } from './db';
import { usernameKey } from '../username';

interface Migration {
  name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

const migrations: Migration[] = [
  {
    name: '0001_initial',
    async up(db) {
      await db.schema.createTable('auth_user', (t) => {
        t.increments('id').primary();
        t.string('password', 255).notNullable();
        t.bigInteger('last_login').nullable();
        t.boolean('is_superuser').notNullable().defaultTo(false);
        t.string('username', 150).notNullable().unique();
        t.string('first_name', 150).notNullable().defaultTo('');
        t.string('last_name', 150).notNullable().defaultTo('');
        t.string('email', 254).notNullable().defaultTo('');
        t.boolean('is_staff').notNullable().defaultTo(false);
        t.boolean('is_active').notNullable().defaultTo(true);
        t.bigInteger('date_joined').notNullable();
        // Access tokens issued before this time (ms) are refused: logout-all, password change.
        t.bigInteger('tokens_valid_after').notNullable().defaultTo(0);
      });
      // One account per username whatever its case: "Alice" cannot impersonate "alice".
      await db.raw('CREATE UNIQUE INDEX auth_user_username_ci ON auth_user (lower(username))');
      await db.raw('CREATE INDEX auth_user_email_ci ON auth_user (lower(email))');

      await db.schema.createTable('auth_group', (t) => {
        t.increments('id').primary();
        t.string('name', 150).notNullable().unique();
      });
      await db.schema.createTable('auth_user_groups', (t) => {
        t.increments('id').primary();
        t.integer('user_id').notNullable().references('auth_user.id').onDelete('CASCADE');
        t.integer('group_id').notNullable().references('auth_group.id').onDelete('CASCADE');
        t.unique(['user_id', 'group_id']);
        t.index(['group_id']);
      });
      await db.schema.createTable('authtoken_token', (t) => {
        t.increments('id').primary();
        // SHA-256 of the key, hex: a leaked table holds no usable key.
        t.string('key_hash', 64).notNullable().unique();
        t.integer('user_id').notNullable().references('auth_user.id').onDelete('CASCADE');
        t.bigInteger('created').notNullable();
        t.bigInteger('last_used').nullable();
        t.index(['user_id']);
      });
      await db.schema.createTable('token_blacklist_outstandingtoken', (t) => {
        t.increments('id').primary();
        // SET NULL, as simplejwt: a deleted user's blacklisted tokens stay blacklisted.
        t.integer('user_id').nullable().references('auth_user.id').onDelete('SET NULL');
        t.string('jti', 255).notNullable().unique();
        // The jti of the first refresh token of a rotation chain: reuse revokes the family.
        t.string('family', 255).notNullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('expires_at').notNullable();
        t.index(['user_id']);
        t.index(['family']);
        t.index(['expires_at']);
      });
      await db.schema.createTable('token_blacklist_blacklistedtoken', (t) => {
        t.increments('id').primary();
        t.integer('token_id').notNullable().unique().references('token_blacklist_outstandingtoken.id').onDelete('CASCADE');
        t.bigInteger('blacklisted_at').notNullable();
      });
      await db.schema.createTable('menu_items', (t) => {
        t.increments('id').primary();
        t.string('title', 255).notNullable();
        t.integer('price_cents').notNullable();
        t.integer('inventory').notNullable();
        t.index(['title']);
      });
      await db('auth_group').insert([{ name: 'Manager' }, { name: 'Delivery crew' }]);
    },
    async down(db) {
      for (const table of [
        'menu_items',
        'token_blacklist_blacklistedtoken',
        'token_blacklist_outstandingtoken',
        'authtoken_token',
        'auth_user_groups',
        'auth_group',
        'auth_user',
      ]) {
        await db.schema.dropTableIfExists(table);
      }
    },
  },
  {
    // Usernames are unique by a key computed in code (src/username.ts), not by SQL lower():
    // SQLite's folds ASCII only, PostgreSQL's all of Unicode, so the two databases disagreed
    // on which names were taken (#14).
    name: '0002_username_key',
    async up(db) {
      // 300: twice the username's 150, as U+0130 lower-cases to two code points. SQLite adds a
      // NOT NULL column only with a default; PostgreSQL drops it below, SQLite cannot without
      // rebuilding auth_user (which, in a transaction with foreign keys on, would cascade).
      await db.schema.alterTable('auth_user', (t) => {
        t.string('username_key', 300).notNullable().defaultTo('');
      });
      const users = (await db('auth_user').orderBy('id').select('id', 'username')) as { id: number; username: string }[];
      const owners = new Map<string, { id: number; username: string }>();
      const clashes: string[] = [];
      for (const user of users) {
        const key = usernameKey(user.username);
        const owner = owners.get(key);
        if (owner) clashes.push(`'${owner.username}' (id ${owner.id}) and '${user.username}' (id ${user.id})`);
        else owners.set(key, user);
        await db('auth_user').where({ id: user.id }).update({ username_key: key });
      }
      if (clashes.length > 0) {
        // Possible on SQLite, whose old index let "Ädminx" and "ädminx" both in. Nothing is changed.
        throw new Error(
          `usernames that are the same name whatever their letter case: ${clashes.join(', ')}; ` +
            'rename all but one of each (UPDATE auth_user SET username = … WHERE id = …), then migrate again',
        );
      }
      await db.raw('DROP INDEX auth_user_username_ci');
      await db.raw('CREATE UNIQUE INDEX auth_user_username_key ON auth_user (username_key)');
      if (db.client.config.client === 'pg') await db.raw('ALTER TABLE auth_user ALTER COLUMN username_key DROP DEFAULT');
    },
    async down(db) {
      await db.raw('DROP INDEX auth_user_username_key');
      await db.raw('ALTER TABLE auth_user DROP COLUMN username_key');
      await db.raw('CREATE UNIQUE INDEX auth_user_username_ci ON auth_user (lower(username))');
    },
  },
  {
    // The admin API (#17): an append-only audit log, and the first characters of each new DRF
    // key (the key is stored hashed; the prefix lets a person tell keys apart, not use one).
    name: '0003_audit_and_key_prefix',
    async up(db) {
      await db.schema.createTable('audit_entry', (t) => {
        t.increments('id').primary();
        t.bigInteger('at').notNullable();
        t.string('kind', 40).notNullable();
        // No foreign keys: an entry outlives the users it names.
        t.integer('actor_id').nullable();
        t.string('actor_username', 150).nullable();
        t.integer('user_id').nullable();
        t.string('username', 150).nullable();
        t.string('address', 64).nullable();
        // JSON: what changed; never a password, key, token or hash.
        t.text('detail').notNullable().defaultTo('{}');
        t.index(['user_id', 'at']);
        t.index(['actor_id', 'at']);
        t.index(['kind', 'at']);
        t.index(['at']);
      });
      await db.schema.alterTable('authtoken_token', (t) => {
        t.string('prefix', 8).nullable();
      });
    },
    async down(db) {
      await db.schema.dropTableIfExists('audit_entry');
      await db.schema.alterTable('authtoken_token', (t) => {
        t.dropColumn('prefix');
      });
    },
  },
];

export const migrationSource: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};
