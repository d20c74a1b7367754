/**
 * What the benchmarks share: the start command as `npm start` runs it, free ports, waiting for a
 * server, a process's CPU time and RSS from /proc, and one autocannon load measured with the
 * server's CPU time per answered request.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';

export const ROOT = path.resolve(__dirname, '..');
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

/**
 * `npm start` as package.json writes it: its leading NAME=value assignments, then `exec` (the
 * shell hands its process to node, so npm's signals reach the server), `node`, its flags and
 * the script. The bench runs exactly that, so it measures what is shipped.
 */
export function startCommand(): { env: Record<string, string>; args: string[] } {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = pkg.scripts.start.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = (words.shift() as string).split('=');
    env[name] = value.join('=');
  }
  if (words[0] === 'exec') words.shift();
  if (words.shift() !== 'node') throw new Error(`bench: cannot read the start script ${JSON.stringify(pkg.scripts.start)}`);
  return { env, args: words };
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor(url: string, timeoutMs = 10_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return Date.now() - start;
    } catch {
      // not up yet
    }
    if (Date.now() - start > timeoutMs) throw new Error(`${url} did not answer`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** CPU time (user + system) a process has used so far, in microseconds. */
export function cpuUs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

export interface Scenario {
  name: string;
  ours: autocannon.Options;
  bare: autocannon.Options;
  /** The ceiling's process, when it is not bench/bare.ts. */
  barePid?: number;
}

/** Loads one server; also returns the server's CPU time per answered request (µs). */
export async function load(opts: autocannon.Options, pid: number): Promise<autocannon.Result & { cpuUsPerRequest: number }> {
  const before = cpuUs(pid);
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts });
  return { ...result, cpuUsPerRequest: Math.round((cpuUs(pid) - before) / Math.max(1, result.requests.total)) };
}


type Loaded = Awaited<ReturnType<typeof load>>;

/** One scenario's row: the service (`a`) against the ceiling (`b`), with the ratio of their req/s. */
export function row(scenario: string, a: Loaded, b: Loaded): Record<string, string | number> {
  console.error(`${scenario}: ${Math.round(a.requests.average)} vs ${Math.round(b.requests.average)} req/s; CPU ${a.cpuUsPerRequest} vs ${b.cpuUsPerRequest} µs/request`);
  return {
    scenario,
    ours_rps: Math.round(a.requests.average),
    ours_p50_ms: a.latency.p50,
    ours_p99_ms: a.latency.p99,
    ours_non2xx: a.non2xx,
    ours_cpu_us_per_request: a.cpuUsPerRequest,
    bare_rps: Math.round(b.requests.average),
    bare_p50_ms: b.latency.p50,
    bare_p99_ms: b.latency.p99,
    bare_cpu_us_per_request: b.cpuUsPerRequest,
    ratio: Math.round((a.requests.average / b.requests.average) * 100) / 100,
  };
}

/** The rows as the README's markdown table. */
export function table(rows: readonly Record<string, string | number>[]): string[] {
  return [
    '| scenario | ours req/s | p50 / p99 ms | CPU µs/req | ceiling req/s | p50 / p99 ms | CPU µs/req | ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.scenario} | ${r.ours_rps} | ${r.ours_p50_ms} / ${r.ours_p99_ms} | ${r.ours_cpu_us_per_request} | ${r.bare_rps} | ${r.bare_p50_ms} / ${r.bare_p99_ms} | ${r.bare_cpu_us_per_request} | ${r.ratio} |`),
  ];
}

/**
 * How a ceiling answers: the service's fixed response headers (passed in BARE_HEADERS), a request
 * id and JSON, so that the load generator parses the same responses from both.
 */
export function bareSender(): (res: ServerResponse, status: number, body: unknown) => void {
  const fixedHeaders = JSON.parse(process.env.BARE_HEADERS ?? '{}') as Record<string, string>;
  return (res, status, body) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...fixedHeaders,
      'x-request-id': crypto.randomUUID(),
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };
}
