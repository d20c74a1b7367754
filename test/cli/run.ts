/**
 * Runs the management CLI as a real subprocess (`node --import tsx src/cli/manage.ts …`) in a
 * fresh data folder, with a minimal environment: nothing of the caller's environment (no
 * DATABASE_URL) and no `.env` (the working directory is the data folder) can reach it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = path.resolve(__dirname, '..', '..');
const MANAGE = path.join(ROOT, 'src', 'cli', 'manage.ts');
const TSX = pathToFileURL(require.resolve('tsx')).href;

export const SECRET_KEY = 'cli-test-secret-key-that-is-long-enough-0123456789';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed (unless keepStdinOpen). */
  input?: string;
  keepStdinOpen?: boolean;
  env?: Record<string, string>;
}

const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty data folder, removed when the test process exits. */
export function freshDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'little-lemon-cli-'));
  created.push(dir);
  return dir;
}

/** The environment the CLI runs with: the data folder, a secret key, silent logs. */
export function baseEnv(dataDir: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: dataDir, DATA_DIR: dataDir, SECRET_KEY, LOG_LEVEL: 'silent' };
}

/** Runs `manage <args>`; resolves with its exit code and output (never rejects on failure). */
export function manage(dataDir: string, args: readonly string[], options: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--import', TSX, MANAGE, ...args],
      { cwd: dataDir, env: { ...baseEnv(dataDir), ...options.env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && (err as { killed?: boolean }).killed) return reject(new Error(`manage ${args.join(' ')} timed out\n${stderr}`));
        resolve({ code: child.exitCode ?? 1, stdout, stderr });
      },
    );
    child.stdin!.write(options.input ?? '');
    if (!options.keepStdinOpen) child.stdin!.end();
  });
}

/** The users as `listusers --json` prints them. */
export async function listUsers(dataDir: string): Promise<Array<{ id: number; username: string; email: string; is_staff: boolean; is_superuser: boolean; is_active: boolean; groups: string[] }>> {
  const r = await manage(dataDir, ['listusers', '--json']);
  if (r.code !== 0) throw new Error(`listusers failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
