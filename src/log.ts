/**
 * Structured JSON logs (pino). A request's line (src/app.ts) carries the request id sent back
 * in X-Request-Id (the proxy's own, when it sent a UUID or 32 hex digits), the method, the
 * operationId and route template (an unmatched request: its path, never the query string), the
 * status, the time, the user id and the client address as the throttles count it: never a
 * header, a body, a password, a token or a key.
 *
 * A person at a terminal outside production gets the same records made readable by
 * pino-pretty (one line each, coloured); anything else (a pipe, a file, a log collector, or
 * NODE_ENV=production) gets one JSON object per line.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

/** True when logs should be pretty-printed: stdout is a terminal and NODE_ENV is not production. */
export function prettyLogs(stdoutIsTTY: boolean | undefined, nodeEnv: string | undefined): boolean {
  return stdoutIsTTY === true && nodeEnv !== 'production';
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: { paths: ['*.authorization', '*.password', '*.token', '*.key', '*.secret', 'headers', 'body'], censor: '[redacted]' },
  };
  if (!destination && prettyLogs(process.stdout.isTTY, process.env.NODE_ENV)) {
    // Loaded only here: production never pays for it. In-process and synchronous (not a
    // transport's worker thread), so nothing is lost when the process exits.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pino(options, pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname' }));
  }
  return pino(options, destination);
}
