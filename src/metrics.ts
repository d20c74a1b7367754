/**
 * Metrics in Prometheus' text format (prom-client; this file is its only importer), served on a
 * listener of their own when METRICS_PORT is set (METRICS_HOST, 127.0.0.1 by default) and never
 * on the public port. Without METRICS_PORT nothing is counted: the app gets no Metrics and its
 * hot path skips the calls.
 *
 * Each app has a registry of its own (tests run several in one process). Counted per request, by
 * the error boundary (src/app.ts): requests by operationId, method and status, their latency, and
 * the refusals the errors carry (authentication failures by scheme and reason, throttle
 * refusals by scope). Read at scrape time: password checks right and wrong (counted by the
 * services), password hashes running and queued, the database
 * pools, Redis, and prom-client's default process metrics.
 *
 * `npm run start:cluster`: each worker keeps its registry and answers the primary, which serves
 * the workers' sum (prom-client's AggregatorRegistry) on METRICS_PORT.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { PoolUse } from './data/db';
import { AuthenticationFailed, Throttled } from './errors';
import { hashingLoad } from './passwords/hashers';
import type { PasswordChecks } from './services';

/** Metric names begin with this; prom-client's process metrics keep their own names. */
const PREFIX = 'littlelemon_';

/** Latency buckets, in seconds: a cached GET takes well under a millisecond, a password hash tens of them. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The operationId label of a request that matched no operation (404, 405, the spec and its docs). */
export const UNMATCHED = '';

/** What the gauges read when scraped. */
export interface MetricSources {
  /** The password checks counted so far (Services.passwordChecks). */
  readonly passwordChecks: Readonly<PasswordChecks>;
  /** The database's pools (Database.pools()). */
  pools(): readonly PoolUse[];
  /** The Redis client when REDIS_URL is set, else null. */
  readonly redis: Redis | null;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'operationId' | 'method' | 'status'>;
  private readonly latency: Histogram<'operationId' | 'method'>;
  private readonly authFailures: Counter<'scheme' | 'reason'>;
  private readonly throttleRefusals: Counter<'scope'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: `${PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by operationId (empty when none matched), method and status.',
      labelNames: ['operationId', 'method', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'Time from a request reaching the app to its answer being ready, by operationId and method.',
      labelNames: ['operationId', 'method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.authFailures = new Counter({
      name: `${PREFIX}auth_failures_total`,
      help: 'Credentials refused (401), by security scheme and reason (the error code).',
      labelNames: ['scheme', 'reason'],
      registers,
    });
    this.throttleRefusals = new Counter({
      name: `${PREFIX}throttle_refusals_total`,
      help: 'Requests refused by a throttle (429), by the scope that refused.',
      labelNames: ['scope'],
      registers,
    });
    const counted: PasswordChecks = { right: 0, wrong: 0 };
    new Counter({
      name: `${PREFIX}password_checks_total`,
      help: 'Passwords checked (the four logins, set_password, set_username, deleting an account), by result: right or wrong. Those the login guard refused before any check are in throttle_refusals_total.',
      labelNames: ['result'],
      registers,
      collect() {
        for (const result of ['right', 'wrong'] as const) {
          const now = sources.passwordChecks[result];
          if (now > counted[result]) this.inc({ result }, now - counted[result]);
          else this.inc({ result }, 0); // both series exist from the first scrape
          counted[result] = now;
        }
      },
    });
    new Gauge({
      name: `${PREFIX}password_hashes_running`,
      help: 'Password hashes and checks running now.',
      registers,
      collect() {
        this.set(hashingLoad().running);
      },
    });
    new Gauge({
      name: `${PREFIX}password_hashes_queued`,
      help: 'Password hashes and checks waiting for a free slot.',
      registers,
      collect() {
        this.set(hashingLoad().queued);
      },
    });
    new Gauge({
      name: `${PREFIX}db_pool_connections_in_use`,
      help: 'Database connections lent out, by pool.',
      labelNames: ['pool'],
      registers,
      collect() {
        for (const p of sources.pools()) this.set({ pool: p.pool }, p.inUse);
      },
    });
    new Gauge({
      name: `${PREFIX}db_pool_waiting`,
      help: 'Queries waiting for a database connection, by pool.',
      labelNames: ['pool'],
      registers,
      collect() {
        for (const p of sources.pools()) this.set({ pool: p.pool }, p.waiting);
      },
    });
    if (sources.redis) {
      const redis = sources.redis;
      new Gauge({
        name: `${PREFIX}redis_up`,
        help: 'Whether the Redis client is connected and ready (1) or not (0). Present only when REDIS_URL is set.',
        registers,
        aggregator: 'min', // a cluster is up when every worker is
        collect() {
          this.set(redis.status === 'ready' ? 1 : 0);
        },
      });
    }
    collectDefaultMetrics({ register: this.registry });
  }

  /** One answered request. `operationId` is UNMATCHED when none matched. */
  observe(operationId: string, method: string, status: number, seconds: number): void {
    this.requests.inc({ operationId, method, status });
    this.latency.observe({ operationId, method }, seconds);
  }

  /** What a refusal says: an authentication failure by its scheme and code, a throttle refusal by its scopes. */
  refused(err: unknown): void {
    if (err instanceof AuthenticationFailed) {
      this.authFailures.inc({ scheme: err.scheme ?? '', reason: err.code });
    } else if (err instanceof Throttled) {
      for (const scope of err.scopes) this.throttleRefusals.inc({ scope });
    }
  }

  /** The text a scrape gets. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** In a cluster worker: answer the primary's requests for this registry. */
  answerPrimary(): void {
    AggregatorRegistry.setRegistries([this.registry]);
    new AggregatorRegistry(); // its constructor installs the worker's listener
  }
}

/** The cluster primary's source: every worker's registry, summed. */
export function clusterScrape(): { scrape(): Promise<string>; readonly contentType: string } {
  if (!cluster.isPrimary) throw new Error('clusterScrape is for the cluster primary');
  const aggregator = new AggregatorRegistry();
  return { scrape: () => aggregator.clusterMetrics(), contentType: aggregator.contentType };
}

/**
 * The metrics listener: GET (or HEAD) /metrics answers the scrape, anything else 404. It is
 * meant for a private interface (METRICS_HOST); it serves nothing of the API.
 */
export function createMetricsServer(source: { scrape(): Promise<string>; readonly contentType: string }): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found.\n');
      return;
    }
    source.scrape().then(
      (text) => res.writeHead(200, { 'Content-Type': source.contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text),
      () => res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Metrics unavailable.\n'),
    );
  });
}
