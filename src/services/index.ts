/**
 * createServices(settings): everything the server, the cluster primary and the management
 * commands work with, built in one place (#16): the database (opened through src/data and
 * migrated), the spec's groups, Redis when configured, the throttles, the JWT backend and
 * service, the DRF keys, the mailer and the account services. Handlers and policies receive
 * them by constructor or through their Call. (The other files of src/services/ are the account
 * services themselves; this one assembles them.)
 */
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../clock';
import { openDatabase, type Database } from '../data/db';
import { ImproperlyConfigured } from '../errors';
import { createLogger, type Logger } from '../log';
import { ThrottleRegistry } from '../policies/throttling';
import { TokenKeys } from './accounts';
import { AdminActions } from './admin';
import { AuditLog } from './audit';
import { createMailer, type Mailer } from './mail';
import { Accounts } from './users';
import { maskPassword, type Settings } from '../settings';
import { loadSpec, type Spec } from '../spec';
import { TokenBackend } from '../tokens/backend';
import { JwtService } from '../tokens/tokens';

export interface Services {
  readonly settings: Settings;
  /** The database: its repositories, and transactions over them. */
  readonly db: Database;
  readonly log: Logger;
  readonly jwt: JwtService;
  readonly keys: TokenKeys;
  readonly accounts: Accounts;
  /** The audit log (#17): entries written in the transactions of the changes they record. */
  readonly audit: AuditLog;
  /** The admin API's changes (users, groups, memberships, refresh tokens), each with its audit entry. */
  readonly admin: AdminActions;
  /** The spec's `x-groups`: they exist, and cannot be deleted through the admin API. */
  readonly declaredGroups: readonly string[];
  readonly throttles: ThrottleRegistry;
  readonly mailer: Mailer;
  /** The Redis client when REDIS_URL is set (the throttles' store; readiness and the metrics look at it), else null. */
  readonly redis: Redis | null;
  /** The one clock that everything built here was given (src/clock.ts; tests may inject one). */
  readonly clock: Clock;
  /** Password checks made since start-up, right and wrong (src/services/credentials.ts counts; /metrics reads). */
  readonly passwordChecks: PasswordChecks;
  /** Closes what createServices opened: Redis and the database. */
  close(): Promise<void>;
}

/** How many password checks found the password right, and how many wrong. Counted, never reset. */
export interface PasswordChecks {
  right: number;
  wrong: number;
}

export interface ServicesOptions {
  /** Defaults to a JSON logger at settings.logLevel. */
  readonly logger?: Logger;
  /** The service's clock (src/clock.ts); the system clock when absent. Only code passes one (the tests): no setting does. */
  readonly clock?: Clock;
  /** Defaults to the spec on disk (openapi.yaml). */
  readonly spec?: Spec;
  /** Connect to REDIS_URL when it is set (default true). The management commands do not. */
  readonly redis?: boolean;
}

/**
 * Opens and migrates the database, creates the spec's `x-groups`, connects to Redis (when
 * configured and asked for), and builds the services on them. Raises ImproperlyConfigured for
 * a THROTTLE_RATES scope the spec does not declare; whatever it raises, it has closed what it
 * opened.
 */
export async function createServices(settings: Settings, options: ServicesOptions = {}): Promise<Services> {
  const log = options.logger ?? createLogger(settings.logLevel);
  const spec = options.spec ?? loadSpec();
  const clock = options.clock ?? systemClock;
  const db = openDatabase(settings.databaseUrl, { log: (level, message) => log[level === 'deprecate' ? 'warn' : level]({ source: 'knex' }, message) });
  let redis: Redis | null = null;
  const close = async () => {
    redis?.disconnect();
    await db.destroy();
  };
  try {
    await db.migrate();
    await db.users.ensureGroups(spec.groups);
    for (const scope of Object.keys(settings.throttleRates)) {
      if (!(scope in spec.throttleRates)) throw new ImproperlyConfigured(`THROTTLE_RATES names ${JSON.stringify(scope)}, a scope the spec does not declare`);
    }
    if (settings.redisUrl && options.redis !== false) redis = await connectRedis(settings.redisUrl);
    const throttles = new ThrottleRegistry(
      { ...spec.throttleRates, ...settings.throttleRates },
      { redis, failMode: settings.throttleFailMode, keyPrefix: settings.throttleKeyPrefix, kinds: spec.throttleKinds },
    );
    const backend = new TokenBackend({ ...settings.jwt, secretKey: settings.secretKey, secretKeyFallbacks: settings.secretKeyFallbacks }, clock);
    const audit = new AuditLog(db, clock);
    const jwt = new JwtService(backend, db, settings.jwt, clock, audit);
    const keys = new TokenKeys(db, clock);
    return {
      settings,
      db,
      log,
      clock,
      jwt,
      keys,
      accounts: new Accounts(db, keys, jwt, settings, clock, audit),
      audit,
      admin: new AdminActions(db, audit, clock),
      declaredGroups: spec.groups,
      throttles,
      redis,
      passwordChecks: { right: 0, wrong: 0 },
      mailer: createMailer({ dir: settings.mail.dir, url: settings.mail.url, from: settings.mail.from, keepFiles: settings.mail.keepFiles }, log),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Connects to Redis. Raises ImproperlyConfigured naming REDIS_URL (its password masked) and
 * the reason when it cannot: a service configured to share its counters must not start
 * counting alone. Once started, a Redis that goes away is THROTTLE_FAIL_MODE's business.
 */
async function connectRedis(url: string): Promise<Redis> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis');
  const redis = new RedisClient(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 2000, commandTimeout: 1000 });
  // ioredis rejects connect() with a bare "Connection is closed."; the cause comes as an event.
  let cause: Error | null = null;
  redis.on('error', (err: Error) => {
    cause ??= err; // after start-up, state changes are seen through the limiter's fallback
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    const reason = ((cause ?? err) as Error).message.split('\n', 1)[0];
    throw new ImproperlyConfigured(`REDIS_URL: cannot connect to ${maskPassword(url)}: ${reason}`, { cause: cause ?? err });
  }
  return redis;
}
