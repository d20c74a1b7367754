/**
 * `npm start`: read the settings, build the app, listen. SIGTERM/SIGINT stop accepting
 * connections, let in-flight requests finish, then close the database.
 */
import http from 'node:http';
import { createApp } from './app';
import { ImproperlyConfigured } from './errors';
import { createLogger } from './log';
import { loadDotEnv, loadSettings } from './settings';

async function main(): Promise<void> {
  loadDotEnv();
  const settings = loadSettings();
  const log = createLogger(settings.logLevel);
  if (settings.secretKeyGenerated) {
    log.warn({ dataDir: settings.dataDir }, 'SECRET_KEY is not set: using one generated and kept in the data folder');
  }
  const app = await createApp(settings, { logger: log });
  // Slow clients: headers within 10 s, the whole request within 30 s. Node only looks every
  // connectionsCheckingInterval (30 s by default), so look every second.
  const server = http.createServer({ connectionsCheckingInterval: 1000, headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 }, app.koa.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  log.info({ host: settings.host, port, database: settings.databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres', redis: Boolean(settings.redisUrl) }, `listening on http://${settings.host}:${port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      log.warn('shutdown timeout: closing remaining connections');
      server.closeAllConnections();
    }, settings.shutdownTimeoutMs);
    force.unref();
    server.close(async () => {
      await app.close();
      log.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
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
