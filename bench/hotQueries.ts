/**
 * `npx tsx bench/hotQueries.ts [postgres://…]` (default TEST_DATABASE_URL, then
 * postgres://postgres@127.0.0.1:5432/test): the reads of every authenticated request on
 * PostgreSQL, three ways, in a schema of its own (dropped afterwards):
 *
 * - repository: the data layer as shipped (src/data: a named statement on its own small pool);
 * - knex.raw: the same text, unnamed, through knex (what src/db/hot.ts did before #16);
 * - pool, unnamed: the same text, unnamed, on a pg Pool (naming's share, without knex's).
 *
 * Each is run sequentially (latency) and with 10 in flight (throughput), in alternating rounds
 * so that a noisy neighbour hurts all three alike. HOT_BENCH_N sets the queries per round.
 */
import crypto from 'node:crypto';
import { Pool } from 'pg';
import { PRINCIPAL_COLUMNS } from '../src/data/columns';
import { openDatabase } from '../src/data/db';

const URL_ARG = process.argv[2] ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const N = Number(process.env.HOT_BENCH_N ?? 5000);
const ROUNDS = 5;
const IN_FLIGHT = 10;
// The texts of src/data/keys.ts and src/data/users.ts (placeholders as knex.raw takes them).
const KEY_WITH_PRINCIPAL = `SELECT t.id AS token_id, t.key_hash AS key_hash, t.last_used AS token_last_used, ${PRINCIPAL_COLUMNS} FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id WHERE t.key_hash = ?`;
const PRINCIPAL_BY_ID = `SELECT ${PRINCIPAL_COLUMNS} FROM auth_user u WHERE u.id = ?`;

type Query = () => Promise<unknown>;

async function sequential(q: Query): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await q();
  return Number(process.hrtime.bigint() - start) / 1e3 / N; // µs per query
}

async function concurrent(q: Query): Promise<number> {
  let left = N;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (left-- > 0) await q();
    }),
  );
  return N / (Number(process.hrtime.bigint() - start) / 1e9); // queries per second
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const schema = `bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = openDatabase(URL_ARG);
  await admin.knex.raw(`CREATE SCHEMA ${schema}`);
  const url = new URL(URL_ARG);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const db = openDatabase(url.toString());
  // The same pool size as the data layer's statement pool.
  const pool = new Pool({ connectionString: url.toString(), max: 4 });
  try {
    await db.migrate();
    const user = await db.users.create({ username: 'bench', email: 'bench@example.com', password: '!', dateJoined: Date.now() });
    const keyHash = crypto.createHash('sha256').update('bench-key').digest('hex');
    await db.keys.create({ keyHash, userId: user.id, created: Date.now() });
    const raw = (sql: string, value: unknown) => async () => db.knex.raw(sql, [value as string]);
    const unnamed = (sql: string, value: unknown) => {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      return async () => pool.query(text, [value]);
    };
    const cases: Record<string, Record<string, Query>> = {
      'token → principal (Token auth)': {
        repository: () => db.keys.findWithPrincipal(keyHash),
        'knex.raw': raw(KEY_WITH_PRINCIPAL, keyHash),
        'pool, unnamed': unnamed(KEY_WITH_PRINCIPAL, keyHash),
      },
      'id → principal (JWT auth)': {
        repository: () => db.users.findPrincipal(user.id),
        'knex.raw': raw(PRINCIPAL_BY_ID, user.id),
        'pool, unnamed': unnamed(PRINCIPAL_BY_ID, user.id),
      },
    };
    for (const [name, variants] of Object.entries(cases)) {
      for (const q of Object.values(variants)) for (let i = 0; i < 200; i++) await q(); // warm up: connections, statements, JIT
      const latency: Record<string, number[]> = {};
      const throughput: Record<string, number[]> = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const [variant, q] of Object.entries(variants)) {
          (latency[variant] ??= []).push(await sequential(q));
          (throughput[variant] ??= []).push(await concurrent(q));
        }
      }
      console.log(`\n${name}: median of ${ROUNDS} rounds of ${N} queries`);
      console.log('| way | sequential µs/query | 10 in flight, queries/s |');
      console.log('|---|---:|---:|');
      for (const variant of Object.keys(variants)) {
        console.log(`| ${variant} | ${median(latency[variant]!).toFixed(1)} | ${Math.round(median(throughput[variant]!))} |`);
      }
    }
  } finally {
    await pool.end();
    await db.destroy();
    await admin.knex.raw(`DROP SCHEMA ${schema} CASCADE`);
    await admin.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
