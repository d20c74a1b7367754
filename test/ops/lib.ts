/**
 * What the operations tests share: the service as it ships (compiled, started by `npm start`
 * or `npm run start:cluster`) and as it is developed (`tsx src/main.ts`), run as real processes
 * whose stdout/stderr lines, exit status and ports the tests read.
 *
 * Compiled runs never use the checkout's dist/, which may be stale or absent: `builtProject()`
 * compiles src/ and generated/ once per test file into a scratch copy of the project (its
 * package.json, openapi.yaml and a node_modules link), so they always test the current source.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../../src/spec';
import { sleep } from '../hardening/lib';

export { freePort, sleep } from '../hardening/lib';

export const SECRET_KEY = 'ops-test-secret-key-0123456789abcdefghijklmnop';
const TSX = pathToFileURL(require.resolve('tsx')).href;

const scratch: string[] = [];
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) killGroup(c, 'SIGKILL');
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

/** Signals `child`'s whole process group (npm, node, cluster workers: run() makes each its own group). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    // already gone
  }
}

/** A temporary folder, removed when the test process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ops-${prefix}-`));
  scratch.push(dir);
  return dir;
}

let built: string | null = null;

/**
 * A scratch copy of the project with dist/ compiled from the current src/ and generated/
 * (tsc, a few seconds, once per test process). Returns its folder: `npm start` works there.
 */
export function builtProject(): string {
  if (built) return built;
  const dir = tempDir('build');
  for (const f of ['package.json', 'openapi.yaml']) fs.copyFileSync(path.join(PROJECT_ROOT, f), path.join(dir, f));
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const tsconfig = {
    extends: path.join(PROJECT_ROOT, 'tsconfig.json'),
    compilerOptions: { rootDir: PROJECT_ROOT, outDir: path.join(dir, 'dist'), declaration: false, sourceMap: false },
    include: [path.join(PROJECT_ROOT, 'src'), path.join(PROJECT_ROOT, 'generated')],
  };
  fs.writeFileSync(path.join(dir, 'tsconfig.build.json'), JSON.stringify(tsconfig));
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.build.json')], { stdio: 'inherit' });
  built = dir;
  return dir;
}

/** The environment of a child process: ours without the test runner's, npm kept quiet and offline. */
export function childEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v;
  for (const k of ['NODE_TEST_CONTEXT', 'NODE_OPTIONS', 'DATABASE_URL', 'REDIS_URL', 'NODE_ENV', 'WEB_CONCURRENCY']) delete base[k];
  return {
    ...base,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    SECRET_KEY,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...env,
  };
}

export interface Proc {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first line (stdout or stderr, past or future) that matches. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Kills its process group (SIGKILL unless told), and waits for it to end. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `command args` in `cwd`, collecting its output line by line. It runs in a process
 * group of its own, so that stop() also ends what it started (node under npm, cluster workers)
 * even when a test fails half-way.
 */
export function run(command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Proc {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const collect = (sink: string[]) => {
    let partial = '';
    return (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        sink.push(line);
        for (const w of [...waiters]) {
          if (w.re.test(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    };
  };
  child.stdout?.on('data', collect(stdout));
  child.stderr?.on('data', collect(stderr));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stdout,
    stderr,
    exited,
    waitForLine(re, timeoutMs = 20_000) {
      const seen = [...stdout, ...stderr].find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms:\n${[...stdout, ...stderr].join('\n')}`)), timeoutMs);
        const gone = () => reject(new Error(`exited before a line matching ${re}:\n${[...stdout, ...stderr].join('\n')}`));
        void exited.then(() => setTimeout(gone, 50));
        waiters.push({ re, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      });
    },
    async stop(signal = 'SIGKILL') {
      killGroup(child, signal);
      await exited;
    },
  };
}

/** `node --import tsx src/main.ts` (the development entry point) with `env`, in `cwd`. */
export function runSource(entry: 'main' | 'cluster', env: Record<string, string>, cwd: string): Proc {
  return run(process.execPath, ['--import', TSX, path.join(PROJECT_ROOT, 'src', `${entry}.ts`)], { cwd, env: childEnv(env) });
}

/** Runs a server until it exits by itself (a start-up failure); gives up after `timeoutMs`. */
export async function runToExit(proc: Proc, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string[]; stderr: string[] }> {
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const { code } = await proc.exited;
  clearTimeout(timer);
  return { code, stdout: proc.stdout, stderr: proc.stderr };
}

/** Polls `url` until it answers 2xx; throws after `timeoutMs` or when `proc` has exited. */
export async function waitForHttp(url: string, proc: Proc, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`exited before answering:\n${[...proc.stdout, ...proc.stderr].join('\n')}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** True when nothing listens on 127.0.0.1:`port` (a connection is refused). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

/** True when the process `pid` has ended (no such process, or a zombie waiting to be reaped). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    // The third field of /proc/<pid>/stat after the parenthesised name is the state.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** `promise`, or a rejection naming `what` after `ms` (so a hung process fails a test instead of hanging it). */
export function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `probe` until it is true; returns how long that took, or throws after `ms`. */
export async function until(ms: number, probe: () => boolean | Promise<boolean>, what: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

/** Each line parsed as JSON; throws naming the first line that is not a JSON object. */
export function jsonLines(lines: readonly string[], what: string): Record<string, unknown>[] {
  return lines
    .filter((l) => l !== '')
    .map((l) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(l);
      } catch {
        throw new Error(`${what}: a line that is not JSON: ${l}`);
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${what}: not a JSON object: ${l}`);
      return parsed as Record<string, unknown>;
    });
}
