/**
 * Configuration: one frozen DEFAULTS object, overlaid by the environment (and an optional
 * `.env` file). Every variable is checked at start-up; a bad one stops the process with a
 * message naming it. The server and the CLI read the same settings.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ImproperlyConfigured } from './errors';
import { parseRatesOverride } from './rates';

export interface Settings {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** `sqlite:<file>` or a `postgres://` URL. */
  readonly databaseUrl: string;
  readonly secretKey: string;
  /** True when SECRET_KEY was not set and one was generated and kept in the data folder. */
  readonly secretKeyGenerated: boolean;
  /** SECRET_KEY_FALLBACKS (Django's): older secrets that still verify JWTs (HS256) and mailed tokens. */
  readonly secretKeyFallbacks: readonly string[];
  readonly jwt: {
    readonly algorithm: 'HS256' | 'RS256' | 'ES256';
    readonly signingKeyFile: string | null;
    readonly verifyingKeyFile: string | null;
    /** Public keys of older RS256/ES256 pairs: tokens they signed still verify. */
    readonly verifyingKeyFiles: readonly string[];
    readonly accessLifetimeSeconds: number;
    readonly refreshLifetimeSeconds: number;
    readonly rotateRefreshTokens: boolean;
    readonly blacklistAfterRotation: boolean;
    readonly leewaySeconds: number;
    readonly issuer: string | null;
    readonly audience: string | null;
    /** Also send the refresh token as an httpOnly, SameSite=Strict cookie, and accept it from there. */
    readonly refreshCookie: boolean;
  };
  /** THROTTLE_RATES overrides: scope → windows. */
  readonly throttleRates: Readonly<Record<string, readonly string[]>>;
  readonly throttleFailMode: 'open' | 'closed';
  /** Prefix of the throttle counters' keys in Redis: instances sharing counters share it. */
  readonly throttleKeyPrefix: string;
  readonly redisUrl: string | null;
  readonly numProxies: number | null;
  /**
   * ALLOWED_HOSTS (Django's): the host names a request may name in its Host header (or, behind
   * NUM_PROXIES, X-Forwarded-Host), lower-cased: `*` for any, `.example.com` for the domain and
   * its subdomains, an exact name or address otherwise (`[::1]` for IPv6).
   */
  readonly allowedHosts: readonly string[];
  readonly bodyLimitBytes: number;
  readonly logLevel: string;
  readonly mail: {
    readonly dir: string;
    /** MAIL_DIR was set: mail is written there even when EMAIL_URL sends it too. */
    readonly keepFiles: boolean;
    readonly url: string | null;
    readonly from: string;
    readonly siteUrl: string;
    readonly passwordResetConfirmUrl: string;
    readonly activationUrl: string;
  };
  readonly users: {
    readonly passwordResetTimeoutSeconds: number;
    readonly setPasswordRetype: boolean;
    readonly setUsernameRetype: boolean;
    readonly userCreatePasswordRetype: boolean;
    readonly logoutOnPasswordChange: boolean;
    readonly sendActivationEmail: boolean;
  };
  readonly corsAllowedOrigins: readonly string[];
  readonly shutdownTimeoutMs: number;
  /** METRICS_PORT: where /metrics listens (null: no metrics, nothing counted). */
  readonly metricsPort: number | null;
  /** METRICS_HOST: the metrics listener's address, 127.0.0.1 by default (never the public listener). */
  readonly metricsHost: string;
  /** AUDIT_RETENTION_DAYS: audit entries older than this are pruned by `manage pruneaudit`. */
  readonly auditRetentionDays: number;
}

export const DEFAULTS = Object.freeze({
  HOST: '127.0.0.1',
  PORT: '8000',
  DATA_DIR: 'data',
  DATABASE_URL: '',
  SECRET_KEY: '',
  SECRET_KEY_FALLBACKS: '',
  JWT_ALGORITHM: 'HS256',
  JWT_SIGNING_KEY_FILE: '',
  JWT_VERIFYING_KEY_FILE: '',
  JWT_VERIFYING_KEY_FILES: '',
  ACCESS_TOKEN_LIFETIME: '300',
  REFRESH_TOKEN_LIFETIME: '86400',
  ROTATE_REFRESH_TOKENS: 'false',
  BLACKLIST_AFTER_ROTATION: 'true',
  JWT_LEEWAY: '0',
  JWT_ISSUER: '',
  JWT_AUDIENCE: '',
  JWT_REFRESH_COOKIE: 'false',
  THROTTLE_RATES: '',
  THROTTLE_FAIL_MODE: 'open',
  THROTTLE_KEY_PREFIX: 'littlelemon',
  REDIS_URL: '',
  NUM_PROXIES: '',
  ALLOWED_HOSTS: '',
  BODY_LIMIT: '1mb',
  LOG_LEVEL: 'info',
  MAIL_DIR: '',
  EMAIL_URL: '',
  DEFAULT_FROM_EMAIL: 'webmaster@localhost',
  SITE_URL: 'http://127.0.0.1:8000',
  PASSWORD_RESET_CONFIRM_URL: 'password/reset/confirm/{uid}/{token}',
  ACTIVATION_URL: 'activate/{uid}/{token}',
  PASSWORD_RESET_TIMEOUT: '259200',
  SET_PASSWORD_RETYPE: 'false',
  SET_USERNAME_RETYPE: 'false',
  USER_CREATE_PASSWORD_RETYPE: 'false',
  LOGOUT_ON_PASSWORD_CHANGE: 'false',
  SEND_ACTIVATION_EMAIL: 'false',
  CORS_ALLOWED_ORIGINS: '',
  SHUTDOWN_TIMEOUT: '10',
  METRICS_PORT: '',
  METRICS_HOST: '127.0.0.1',
  AUDIT_RETENTION_DAYS: '365',
  NODE_ENV: '',
});

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads `.env` in the working directory into process.env (variables already set win). */
export function loadDotEnv(file = '.env'): void {
  if (!fs.existsSync(file)) return;
  for (const line of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    const value = m[2].replace(/^(['"])(.*)\1$/, '$2');
    if (process.env[m[1]] === undefined) process.env[m[1]] = value;
  }
}

/**
 * Builds the settings from DEFAULTS and `env`.
 * Raises ImproperlyConfigured naming the first bad variable.
 */
export function loadSettings(env: Env = process.env): Settings {
  const get = (name: keyof typeof DEFAULTS): string => {
    const v = env[name];
    return v === undefined || v === '' ? DEFAULTS[name] : v;
  };
  const int = (name: keyof typeof DEFAULTS, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = get(name).trim();
    if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new ImproperlyConfigured(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return Number(raw);
  };
  const bool = (name: keyof typeof DEFAULTS): boolean => {
    const raw = get(name).trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    throw new ImproperlyConfigured(`${name} must be true or false, got ${JSON.stringify(raw)}`);
  };
  const optional = (name: keyof typeof DEFAULTS): string | null => get(name) || null;

  const dataDir = path.resolve(get('DATA_DIR'));
  const databaseUrl = normaliseDatabaseUrl(get('DATABASE_URL'), dataDir);

  const algorithm = get('JWT_ALGORITHM');
  if (algorithm !== 'HS256' && algorithm !== 'RS256' && algorithm !== 'ES256') {
    throw new ImproperlyConfigured(`JWT_ALGORITHM must be HS256, RS256 or ES256, got ${JSON.stringify(algorithm)}`);
  }
  const signingKeyFile = optional('JWT_SIGNING_KEY_FILE');
  const verifyingKeyFile = optional('JWT_VERIFYING_KEY_FILE');
  if (algorithm !== 'HS256' && (!signingKeyFile || !verifyingKeyFile)) {
    throw new ImproperlyConfigured(`JWT_ALGORITHM=${algorithm} needs JWT_SIGNING_KEY_FILE and JWT_VERIFYING_KEY_FILE`);
  }
  const verifyingKeyFiles = list(get('JWT_VERIFYING_KEY_FILES'));
  if (algorithm === 'HS256' && verifyingKeyFiles.length) {
    throw new ImproperlyConfigured('JWT_VERIFYING_KEY_FILES needs JWT_ALGORITHM=RS256 or ES256 (HS256 keys rotate with SECRET_KEY_FALLBACKS)');
  }
  const secretKeyFallbacks = list(get('SECRET_KEY_FALLBACKS'));
  secretKeyFallbacks.forEach((fallback, i) => {
    if (fallback.length < 32) throw new ImproperlyConfigured(`SECRET_KEY_FALLBACKS: key ${i + 1} must be at least 32 characters long`);
  });

  const numProxiesRaw = get('NUM_PROXIES');
  const failMode = get('THROTTLE_FAIL_MODE');
  if (failMode !== 'open' && failMode !== 'closed') {
    throw new ImproperlyConfigured(`THROTTLE_FAIL_MODE must be open or closed, got ${JSON.stringify(failMode)}`);
  }
  const redisUrl = optional('REDIS_URL');
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ImproperlyConfigured('REDIS_URL must start with redis:// or rediss://');
  }

  // Django refuses to start without a SECRET_KEY; a generated one is for development only (#14).
  if (!env.SECRET_KEY && get('NODE_ENV').trim().toLowerCase() === 'production') {
    throw new ImproperlyConfigured('SECRET_KEY must be set when NODE_ENV=production');
  }
  const secret = resolveSecretKey(env.SECRET_KEY, dataDir);
  const port = int('PORT', 0, 65535);
  const metricsPort = get('METRICS_PORT').trim() === '' ? null : int('METRICS_PORT', 1, 65535);
  if (metricsPort !== null && metricsPort === port) {
    throw new ImproperlyConfigured(`METRICS_PORT must not be the public PORT (${port}): metrics are served on a listener of their own`);
  }
  return Object.freeze({
    host: get('HOST'),
    port,
    dataDir,
    databaseUrl,
    secretKey: secret.key,
    secretKeyGenerated: secret.generated,
    secretKeyFallbacks: Object.freeze(secretKeyFallbacks),
    jwt: Object.freeze({
      algorithm,
      signingKeyFile,
      verifyingKeyFile,
      verifyingKeyFiles: Object.freeze(verifyingKeyFiles),
      accessLifetimeSeconds: int('ACCESS_TOKEN_LIFETIME', 1),
      refreshLifetimeSeconds: int('REFRESH_TOKEN_LIFETIME', 1),
      rotateRefreshTokens: bool('ROTATE_REFRESH_TOKENS'),
      blacklistAfterRotation: bool('BLACKLIST_AFTER_ROTATION'),
      leewaySeconds: int('JWT_LEEWAY', 0, 86400),
      issuer: optional('JWT_ISSUER'),
      audience: optional('JWT_AUDIENCE'),
      refreshCookie: bool('JWT_REFRESH_COOKIE'),
    }),
    throttleRates: Object.freeze(parseRatesOverride(get('THROTTLE_RATES'))),
    throttleFailMode: failMode,
    throttleKeyPrefix: get('THROTTLE_KEY_PREFIX'),
    redisUrl,
    numProxies: numProxiesRaw === '' ? null : int('NUM_PROXIES', 0, 100),
    allowedHosts: Object.freeze(parseAllowedHosts(get('ALLOWED_HOSTS'), get('SITE_URL'))),
    bodyLimitBytes: parseBytes(get('BODY_LIMIT')),
    logLevel: checkLogLevel(get('LOG_LEVEL')),
    mail: Object.freeze({
      dir: path.resolve(get('MAIL_DIR') || path.join(dataDir, 'mail')),
      keepFiles: get('MAIL_DIR') !== '',
      url: optional('EMAIL_URL'),
      from: get('DEFAULT_FROM_EMAIL'),
      siteUrl: get('SITE_URL').replace(/\/+$/, ''),
      passwordResetConfirmUrl: get('PASSWORD_RESET_CONFIRM_URL'),
      activationUrl: get('ACTIVATION_URL'),
    }),
    users: Object.freeze({
      passwordResetTimeoutSeconds: int('PASSWORD_RESET_TIMEOUT', 1),
      setPasswordRetype: bool('SET_PASSWORD_RETYPE'),
      setUsernameRetype: bool('SET_USERNAME_RETYPE'),
      userCreatePasswordRetype: bool('USER_CREATE_PASSWORD_RETYPE'),
      logoutOnPasswordChange: bool('LOGOUT_ON_PASSWORD_CHANGE'),
      sendActivationEmail: bool('SEND_ACTIVATION_EMAIL'),
    }),
    corsAllowedOrigins: Object.freeze(parseOrigins(get('CORS_ALLOWED_ORIGINS'))),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT', 0, 3600) * 1000,
    metricsPort,
    metricsHost: get('METRICS_HOST'),
    auditRetentionDays: int('AUDIT_RETENTION_DAYS', 1, 36500),
  });
}

/** A comma-separated list, items trimmed, empty ones dropped. */
function list(raw: string): string[] {
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

function normaliseDatabaseUrl(raw: string, dataDir: string): string {
  if (raw === '') return `sqlite:${path.join(dataDir, 'db.sqlite3')}`;
  if (/^postgres(ql)?:\/\//.test(raw)) return raw;
  if (raw === 'sqlite::memory:' || raw === ':memory:') return 'sqlite::memory:';
  const m = /^sqlite:(?:\/\/)?(.+)$/.exec(raw);
  if (m) return `sqlite:${path.resolve(m[1])}`;
  throw new ImproperlyConfigured(
    `DATABASE_URL must be postgres://user@host:port/db or sqlite:<file>, got ${JSON.stringify(maskPassword(raw))}`,
  );
}

/** A host name (`example.com`, `.example.com`), an IPv4 address, or an IPv6 one in brackets. */
const HOST_PATTERN = /^(?:\.?[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/;

/**
 * ALLOWED_HOSTS, comma-separated, lower-cased. Unset, it is SITE_URL's host, `localhost`,
 * `127.0.0.1` and `[::1]`. Raises ImproperlyConfigured for an item that is not `*`, a host name,
 * `.domain` or an address (a port or a scheme included), and for a SITE_URL without a host.
 */
function parseAllowedHosts(raw: string, siteUrl: string): string[] {
  if (raw.trim() === '') {
    let siteHost: string;
    try {
      siteHost = new URL(siteUrl).hostname.toLowerCase();
    } catch {
      throw new ImproperlyConfigured(`SITE_URL must be an absolute URL such as https://lemon.example, got ${JSON.stringify(siteUrl)}`);
    }
    return [...new Set([siteHost, 'localhost', '127.0.0.1', '[::1]'].filter(Boolean))];
  }
  const hosts = raw.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const host of hosts) {
    if (host !== '*' && !HOST_PATTERN.test(host)) {
      throw new ImproperlyConfigured(`ALLOWED_HOSTS: expected host names, .domain, addresses or *, without a scheme or a port, got ${JSON.stringify(host)}`);
    }
  }
  if (hosts.length === 0) throw new ImproperlyConfigured('ALLOWED_HOSTS names no host');
  return hosts;
}

/** `url` with its password (of the user part, or a `password=` parameter) replaced by `***`, for messages. */
export function maskPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*):[^/?#]*@/i, '$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/**
 * CORS_ALLOWED_ORIGINS: `*`, or origins as a browser sends them in `Origin` (scheme://host[:port],
 * no path, not even `/`), comma-separated. Anything else would never match a request, so it
 * stops start-up instead of being ignored (django-cors-headers refuses the same at its checks).
 * http(s) origins are kept as the browser writes them: lower case, without the default port.
 */
function parseOrigins(raw: string): string[] {
  const origins = raw.split(',').map((s) => s.trim()).filter(Boolean);
  return origins.map((origin) => {
    if (origin === '*') return origin;
    const bad = (why: string) => new ImproperlyConfigured(`CORS_ALLOWED_ORIGINS: ${JSON.stringify(maskPassword(origin))} ${why}; an origin is scheme://host[:port] (or * for any)`);
    const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/i.exec(origin);
    if (!m) throw bad('is not an origin');
    if (m[3] !== '') throw bad(`has a path, query or fragment (${JSON.stringify(m[3])})`);
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw bad('is not an origin');
    }
    if (!url.hostname || url.username || url.password) throw bad('is not an origin');
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : origin;
  });
}

function parseBytes(raw: string): number {
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw.trim());
  if (!m) throw new ImproperlyConfigured(`BODY_LIMIT must look like 1mb, 512kb or 1000, got ${JSON.stringify(raw)}`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const n = Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
  if (n < 1) throw new ImproperlyConfigured('BODY_LIMIT must be at least 1 byte');
  return n;
}

function checkLogLevel(level: string): string {
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(level)) throw new ImproperlyConfigured(`LOG_LEVEL must be one of ${levels.join(', ')}`);
  return level;
}

/** SECRET_KEY, or (outside production) one generated once and kept in `<dataDir>/secret_key` (mode 0600). */
function resolveSecretKey(fromEnv: string | undefined, dataDir: string): { key: string; generated: boolean } {
  if (fromEnv) {
    if (fromEnv.length < 32) throw new ImproperlyConfigured('SECRET_KEY must be at least 32 characters long');
    return { key: fromEnv, generated: false };
  }
  const file = path.join(dataDir, 'secret_key');
  try {
    return { key: fs.readFileSync(file, 'utf8').trim(), generated: true };
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const key = crypto.randomBytes(48).toString('base64url');
    try {
      fs.writeFileSync(file, key, { mode: 0o600, flag: 'wx' });
      return { key, generated: true };
    } catch {
      // Another process (a cluster worker) wrote it first: use theirs.
      return { key: fs.readFileSync(file, 'utf8').trim(), generated: true };
    }
  }
}
