/**
 * `npm run start:cluster`: N workers on one machine with the Node cluster module (N from
 * WEB_CONCURRENCY, default the number of CPUs). The primary migrates the database once, then
 * starts one worker and waits for it to listen before starting the others, so a worker that
 * cannot start (the port in use, say) stops the cluster with its one line instead of N of them
 * and a loop of restarts. Workers share the listening port, and state only through the
 * database and, with REDIS_URL, Redis: without it each worker counts throttles on its own.
 * Everything the primary says goes through the same JSON logger as the workers.
 */
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { ImproperlyConfigured } from './errors';
import { createLogger } from './log';
import { clusterScrape, createMetricsServer } from './metrics';
import { listen, METRICS_NAMES } from './server';
import { createServices } from './services';
import { loadDotEnv, loadSettings } from './settings';
import { warnIfStale } from './stale';

/** A worker that dies before it listened is restarted after this pause (not in a tight loop). */
const RESTART_DELAY_MS = 1000;

/** WEB_CONCURRENCY: a whole number of workers from 1 to 256; the number of CPUs when unset. */
function workerCount(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return os.availableParallelism();
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 256) {
    throw new ImproperlyConfigured(`WEB_CONCURRENCY must be an integer from 1 to 256, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

async function primary(): Promise<void> {
  loadDotEnv();
  const settings = loadSettings();
  const count = workerCount(process.env.WEB_CONCURRENCY);
  const log = createLogger(settings.logLevel);
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w));

  let started = false;
  let stopping = false;
  const listened = new WeakSet<Worker>();
  cluster.on('listening', (worker) => listened.add(worker));
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (live().length === 0) {
        log.info('stopped');
        process.exit(0);
      }
      return;
    }
    // The first worker could not start (it printed why, in one line): neither could the others.
    if (!started) process.exit(code || 1);
    const pid = worker.process.pid;
    if (listened.has(worker)) {
      log.error({ worker: pid, code, signal }, 'worker exited: starting another');
      cluster.fork();
    } else {
      log.error({ worker: pid, code, signal }, `worker exited before listening: starting another in ${RESTART_DELAY_MS} ms`);
      setTimeout(() => !stopping && cluster.fork(), RESTART_DELAY_MS).unref();
    }
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping workers');
    if (live().length === 0) {
      log.info('stopped');
      process.exit(0);
    }
    for (const w of live()) w.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  // Migrates once, before any worker starts (and so checks the configuration the workers will
  // build their services from); no Redis needed for that.
  await (await createServices(settings, { logger: log, redis: false })).close();
  if (!settings.redisUrl) log.warn('REDIS_URL is not set: each worker keeps its own throttle counters');
  warnIfStale(log);
  if (stopping) return;

  // The workers' metrics, summed, on the primary's own listener (the workers open none).
  if (settings.metricsPort !== null) {
    await listen(createMetricsServer(clusterScrape()), settings.metricsHost, settings.metricsPort, METRICS_NAMES);
    log.info({ host: settings.metricsHost, port: settings.metricsPort }, `metrics on http://${settings.metricsHost}:${settings.metricsPort}/metrics`);
  }
  if (stopping) return;

  // One worker first: the others start once it listens (if it exits instead, so does the primary).
  cluster.fork();
  await new Promise((resolve) => cluster.once('listening', resolve));
  started = true;
  if (stopping) return;
  for (let i = 1; i < count; i++) cluster.fork();
  log.info({ workers: count }, 'cluster started');
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
