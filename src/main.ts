/**
 * `npm start`: read the settings, build the app, listen. SIGTERM/SIGINT stop accepting
 * connections, let in-flight requests finish, then close the database.
 */
import cluster from 'node:cluster';
import net from 'node:net';
import { createApp } from './app';
import { ImproperlyConfigured } from './errors';
import { createLogger } from './log';
import { createServer } from './server';
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
  // Slow-client timeouts, and Node's parser errors answered in JSON (server.ts).
  const server = createServer(app.koa.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, settings.host, settings.port)));
    server.listen(settings.port, settings.host, resolve);
  });
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

/** A failed listen() as ImproperlyConfigured naming HOST or PORT, or the error itself when it is something else. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new ImproperlyConfigured(`PORT: ${where} is already in use`, { cause: err });
    case 'EACCES':
      return new ImproperlyConfigured(`PORT: ${where} needs privileges this process does not have (ports below 1024)`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new ImproperlyConfigured(`HOST: ${host} is not an address of this machine`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ImproperlyConfigured(`HOST: ${host} does not resolve to an address`, { cause: err });
    default:
      return err;
  }
}

main().catch((err) => {
  if (err instanceof ImproperlyConfigured) {
    console.error(`ImproperlyConfigured: ${err.message}`);
  } else {
    console.error(err);
  }
  process.exit(1);
});
