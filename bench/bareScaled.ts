/**
 * The scaled-out ceiling: a bare node:http server doing by hand what the service does for an
 * authenticated GET on PostgreSQL + Redis — the key's SHA-256 looked up with its user in one
 * named prepared statement (or an HS256 verify and the user by id), then one point taken from
 * a per-user window in Redis (rate-limiter-flexible, as the service's default_user throttle
 * does). Same pool sizes as the service, same response bytes. No framework, no validation.
 * Started by bench/scaled.ts: `tsx bench/bareScaled.ts <port> <database url> <redis url> <secret> <prefix>`.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { bareSender } from './lib';

const [port, databaseUrl, redisUrl, secret, prefix] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
const limiter = new RateLimiterRedis({ storeClient: redis, points: 100_000_000, duration: 60, keyPrefix: `${prefix}:bare` });
const key = crypto.createSecretKey(Buffer.from(secret, 'utf8'));
const byKey = { name: 'bare_by_key', text: 'SELECT u.id, u.is_active FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id WHERE t.key_hash = $1' };
const byId = { name: 'bare_by_id', text: 'SELECT id, is_active FROM auth_user WHERE id = $1' };

const send = bareSender();

async function answer(res: http.ServerResponse, row: { id: number; is_active: boolean } | undefined): Promise<void> {
  if (!row?.is_active) return send(res, 401, { detail: 'Invalid token.' });
  await limiter.consume(`user:${row.id}`);
  send(res, 200, { message: 'Some secret message' });
}

http
  .createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const fail = () => send(res, 503, {});
    switch (req.url) {
      case '/token': {
        const hash = crypto.createHash('sha256').update(auth.slice(6)).digest('hex');
        pool.query({ ...byKey, values: [hash] }).then((r) => answer(res, r.rows[0]), fail);
        return;
      }
      case '/jwt': {
        let userId: number;
        try {
          userId = (jwt.verify(auth.slice(7), key, { algorithms: ['HS256'] }) as { user_id: number }).user_id;
        } catch {
          return send(res, 401, {});
        }
        pool.query({ ...byId, values: [userId] }).then((r) => answer(res, r.rows[0]), fail);
        return;
      }
      default:
        return send(res, 404, { detail: 'Not found.' });
    }
  })
  .listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
