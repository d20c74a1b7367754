/**
 * `npm run start:cluster`: N workers on one machine with the Node cluster module (N from
 * WEB_CONCURRENCY, default the number of CPUs). The primary migrates the database once, then
 * forks; workers share the listening port. Workers share state only through the database and,
 * with REDIS_URL, Redis: without it each worker counts throttles on its own.
 */
import cluster from 'node:cluster';
import os from 'node:os';
import { migrate, openDatabase } from './db/knex';
import { ImproperlyConfigured } from './errors';
import { loadDotEnv, loadSettings } from './settings';

async function primary(): Promise<void> {
  loadDotEnv();
  const settings = loadSettings();
  const db = openDatabase(settings.databaseUrl);
  await migrate(db);
  await db.destroy();
  if (!settings.redisUrl) console.warn('REDIS_URL is not set: each worker keeps its own throttle counters');
  const workers = Number(process.env.WEB_CONCURRENCY) || os.availableParallelism();
  for (let i = 0; i < workers; i++) cluster.fork();
  let stopping = false;
  cluster.on('exit', (worker, code) => {
    if (!stopping && code !== 0) {
      console.error(`worker ${worker.process.pid} exited with ${code}: starting another`);
      cluster.fork();
    }
  });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (cluster.isPrimary) {
  primary().catch((err) => {
    console.error(err instanceof ImproperlyConfigured ? `ImproperlyConfigured: ${err.message}` : err);
    process.exit(1);
  });
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./main');
}
