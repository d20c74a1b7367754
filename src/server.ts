/**
 * The HTTP server around the app, for main.ts and the tests alike: slow-client timeouts, and
 * the answers Node's own parser gives outside Koa (a malformed request, oversized headers, a
 * request that took too long) in the API's JSON error shape instead of an empty body (#14).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { ImproperlyConfigured } from './errors';

/**
 * Slow clients: headers within 10 s, the whole request within 30 s, an idle keep-alive
 * connection 5 s. Node only looks every connectionsCheckingInterval (30 s by default), so look
 * every second. A request without a Host header reaches the app, whose ALLOWED_HOSTS check
 * answers it in JSON (Node's own check would send an empty 400).
 */
export const SERVER_OPTIONS = Object.freeze({
  connectionsCheckingInterval: 1000,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  requireHostHeader: false,
} satisfies http.ServerOptions);

/** An http.Server running `listener`, with SERVER_OPTIONS and answerClientError. */
export function createServer(listener: http.RequestListener): http.Server {
  const server = http.createServer({ ...SERVER_OPTIONS }, listener);
  server.on('clientError', answerClientError);
  return server;
}

const REASONS: Readonly<Record<number, readonly [string, string]>> = {
  400: ['Bad Request', 'Malformed request.'],
  408: ['Request Timeout', 'Request timed out.'],
  413: ['Payload Too Large', 'Request body is too large.'],
  431: ['Request Header Fields Too Large', 'Request header fields too large.'],
};

/** The status Node's parser error stands for: 431, 413, 408, or 400 for anything else. */
function statusOf(err: NodeJS.ErrnoException): number {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

/**
 * The server's 'clientError' listener: answers `{"detail": ...}` as JSON with
 * `Connection: close`, then closes the connection. A reset connection, one that can no longer
 * be written, or one on which an answer has already started (Node's own rule: writing another
 * would corrupt it) is destroyed without a word. The message never quotes the request.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const attached = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as { bytesWritten?: number }).bytesWritten || attached?.headersSent) {
    socket.destroy();
    return;
  }
  const status = statusOf(err);
  const [reason, detail] = REASONS[status];
  const body = JSON.stringify({ detail });
  const head = [
    `HTTP/1.1 ${status} ${reason}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'",
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${body}`, () => socket.destroy());
}

/** The settings a listener's address comes from, named in its start-up errors. */
export interface ListenNames {
  readonly host: string;
  readonly port: string;
}
export const PUBLIC_NAMES: ListenNames = Object.freeze({ host: 'HOST', port: 'PORT' });
export const METRICS_NAMES: ListenNames = Object.freeze({ host: 'METRICS_HOST', port: 'METRICS_PORT' });

/** `server` listening on host:port; rejects with listenError's ImproperlyConfigured when it cannot. */
export function listen(server: http.Server, host: string, port: number, names: ListenNames): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, host, port, names)));
    server.listen(port, host, () => resolve(server));
  });
}

/** A failed listen() as ImproperlyConfigured naming the host or port setting, or the error itself when it is something else. */
export function listenError(err: NodeJS.ErrnoException, host: string, port: number, names: ListenNames = PUBLIC_NAMES): Error {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new ImproperlyConfigured(`${names.port}: ${where} is already in use`, { cause: err });
    case 'EACCES':
      return new ImproperlyConfigured(`${names.port}: ${where} needs privileges this process does not have (ports below 1024)`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new ImproperlyConfigured(`${names.host}: ${host} is not an address of this machine`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ImproperlyConfigured(`${names.host}: ${host} does not resolve to an address`, { cause: err });
    default:
      return err;
  }
}
