/**
 * `npm start`: read the settings, build the app, listen. SIGTERM/SIGINT stop accepting
 * connections, let in-flight requests finish, then close the database. With METRICS_PORT, the
 * metrics listen on a port of their own first (in a cluster worker: the primary serves them).
 */
import cluster from 'node:cluster';
import type http from 'node:http';
import net from 'node:net';
import { createApp } from './app';
import { ImproperlyConfigured } from './errors';
import { createLogger } from './log';
import { createMetricsServer } from './metrics';
import { createServer, listen, METRICS_NAMES, PUBLIC_NAMES } from './server';
import { loadDotEnv, loadSettings } from './settings';
import { warnIfStale } from './stale';

/** How long SIGTERM keeps accepting, so connections already queued are not reset. */
const SHUTDOWN_GRACE_MS = 100;

async function main(): Promise<void> {
  loadDotEnv();
  const settings = loadSettings();
  const log = createLogger(settings.logLevel);
  if (settings.secretKeyGenerated) {
    log.warn({ dataDir: settings.dataDir }, 'SECRET_KEY is not set: using one generated and kept in the data folder');
  }
  if (!cluster.isWorker) warnIfStale(log);
  const app = await createApp(settings, { logger: log });
  let metricsServer: http.Server | null = null;
  if (app.metrics && cluster.isWorker) app.metrics.answerPrimary();
  else if (app.metrics && settings.metricsPort !== null) {
    metricsServer = await listen(createMetricsServer(app.metrics), settings.metricsHost, settings.metricsPort, METRICS_NAMES).catch(async (err) => {
      await app.close();
      throw err;
    });
    log.info({ host: settings.metricsHost, port: settings.metricsPort }, `metrics on http://${settings.metricsHost}:${settings.metricsPort}/metrics`);
  }
  // Slow-client timeouts, and Node's parser errors answered in JSON (server.ts).
  const server = await listen(createServer(app.koa.callback()), settings.host, settings.port, PUBLIC_NAMES);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  log.info({ host: settings.host, port, database: settings.databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres', redis: Boolean(settings.redisUrl) }, `listening on http://${settings.host}:${port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Every answer not yet written (those in flight too) now says Connection: close, so
    // clients do not reuse a socket that is about to go.
    app.drain();
    const force = setTimeout(() => {
      log.warn('shutdown timeout: closing remaining connections');
      server.closeAllConnections();
    }, settings.shutdownTimeoutMs);
    force.unref();
    // A short grace first: connections still in the kernel's accept queue are taken in and
    // answered (closing the listener at once reset them).
    setTimeout(() => {
      log.info({ signal }, 'shutting down: finishing in-flight requests');
      // Stop accepting as net.Server does: http.Server.close() would also destroy every
      // connection that looks idle, including those whose request is still unread in the
      // socket buffer. Those are read and answered first; idle ones go a little later.
      metricsServer?.close();
      net.Server.prototype.close.call(server, async () => {
        await app.close();
        log.info('stopped');
        process.exit(0);
      });
      setTimeout(() => server.closeIdleConnections(), 200).unref();
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}


main().catch((err) => {
  if (err instanceof ImproperlyConfigured) {
    console.error(`ImproperlyConfigured: ${err.message}`);
  } else {
    console.error(err);
  }
  process.exit(1);
});
