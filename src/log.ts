/**
 * Structured JSON logs (pino). Request logs carry method, path (never the query string),
 * status, time and user id: never a header, a body, a password, a token or a key.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: ['*.authorization', '*.password', '*.token', '*.key', '*.secret', 'headers', 'body'], censor: '[redacted]' },
    },
    destination,
  );
}
