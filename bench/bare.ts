/**
 * The ceiling: a bare node:http server doing by hand the same work as the service's
 * endpoints — a constant JSON answer; the token lookup as one prepared statement; an HS256
 * verify with a key object made once; the menu list as one prepared statement; a login as
 * one argon2 verify and one insert. No framework, no validation, no policies. It answers
 * with the same bytes: the service's fixed response headers (passed in BARE_HEADERS) and a
 * request id, so the load generator parses the same responses from both.
 * Started by bench/run.ts: `tsx bench/bare.ts <port> <sqlite file> <secret>`.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import { verifyPassword } from '../src/passwords/hashers';
import { bareSender } from './lib';

const [port, file, secret] = process.argv.slice(2);
const db = new Database(file, { readonly: false });
db.pragma('journal_mode = WAL');
const byKey = db.prepare('SELECT u.id, u.is_active FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id WHERE t.key_hash = ?');
const byId = db.prepare('SELECT id, is_active FROM auth_user WHERE id = ?');
const menu = db.prepare('SELECT id, title, price_cents, inventory FROM menu_items ORDER BY id');
const byName = db.prepare('SELECT id, password FROM auth_user WHERE username = ?');
const insertKey = db.prepare('INSERT INTO authtoken_token (key_hash, user_id, created) VALUES (?, ?, ?)');
const key = crypto.createSecretKey(Buffer.from(secret, 'utf8'));
const hits = new Map<string, number>();

const send = bareSender();

http
  .createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    switch (req.url) {
      case '/public':
        return send(res, 200, { keys: [] });
      case '/token': {
        const row = byKey.get(crypto.createHash('sha256').update(auth.slice(6)).digest('hex')) as { is_active: number } | undefined;
        return row?.is_active ? send(res, 200, { message: 'Some secret message' }) : send(res, 401, { detail: 'Invalid token.' });
      }
      case '/jwt': {
        try {
          const payload = jwt.verify(auth.slice(7), key, { algorithms: ['HS256'] }) as { user_id: number };
          const row = byId.get(payload.user_id) as { is_active: number } | undefined;
          return row?.is_active ? send(res, 200, { message: 'Some secret message' }) : send(res, 401, {});
        } catch {
          return send(res, 401, {});
        }
      }
      case '/throttled': {
        // The same work as a counted request: a per-client counter in memory.
        const ip = req.socket.remoteAddress ?? '';
        hits.set(ip, (hits.get(ip) ?? 0) + 1);
        return send(res, 200, { message: 'successful' });
      }
      case '/menu': {
        const rows = menu.all() as { id: number; title: string; price_cents: number; inventory: number }[];
        return send(res, 200, rows.map((r) => ({ id: r.id, title: r.title, price: (r.price_cents / 100).toFixed(2), inventory: r.inventory })));
      }
      case '/login': {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c));
        req.on('end', async () => {
          const { username, password } = JSON.parse(raw) as { username: string; password: string };
          const user = byName.get(username) as { id: number; password: string } | undefined;
          if (!user || !(await verifyPassword(password, user.password)).valid) return send(res, 400, {});
          const k = crypto.randomBytes(20).toString('hex');
          insertKey.run(crypto.createHash('sha256').update(k).digest('hex'), user.id, Date.now());
          send(res, 200, { auth_token: k });
        });
        return;
      }
      default:
        return send(res, 404, { detail: 'Not found.' });
    }
  })
  .listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
