/**
 * `npm run dev`: the server from source (no build), restarted on every change. `tsx watch`
 * restarts it when a file it has loaded changes (src/, generated/), or openapi.yaml or .env
 * (read with fs, so named here); it stops the old process with SIGTERM, which drains it, and
 * waits for it to exit before starting the new one. When openapi.yaml changes, generated/ is
 * also regenerated (`npm run generate`): the types are for the compiler and the editor, so the
 * restart does not wait for them. A server that fails to start says why (one line) and is
 * started again at the next change. The admin console (src/admin/web) is rebuilt into
 * dist/admin on every change too (esbuild's watch, unminified): reload /admin to see it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { watchAdmin } from './buildAdmin';

const root = path.resolve(__dirname, '..');
const tsxPackage = require.resolve('tsx/package.json');
const tsx = path.join(path.dirname(tsxPackage), (JSON.parse(fs.readFileSync(tsxPackage, 'utf8')) as { bin: string }).bin);

const watch = spawn(process.execPath, [tsx, 'watch', '--clear-screen=false', '--include', 'openapi.yaml', '--include', '.env', path.join(root, 'src', 'main.ts')], { stdio: 'inherit' });

/** Regenerates generated/ from the spec: one run at a time, once more if the spec changed meanwhile. */
let generating: ChildProcess | null = null;
let again = false;
function generate(): void {
  if (generating) {
    again = true;
    return;
  }
  generating = spawn(process.execPath, [tsx, path.join(root, 'scripts', 'generate.ts')], { stdio: 'inherit' });
  generating.once('exit', () => {
    generating = null;
    if (again) {
      again = false;
      generate();
    }
  });
}

// The folder, not the file: editors often save by writing a new file and renaming it over the
// old one, after which a watch on the file itself sees nothing more.
let debounce: NodeJS.Timeout | undefined;
const specWatcher = fs.watch(root, (_event, name) => {
  if (name !== 'openapi.yaml') return;
  clearTimeout(debounce);
  debounce = setTimeout(generate, 100);
});

const adminWatch = watchAdmin().catch((err: unknown) => {
  console.error(`admin console: ${err instanceof Error ? err.message : String(err)}`);
  return null;
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A terminal's Ctrl-C reaches every process of the group; `kill` reaches only this one.
    watch.kill(signal);
  });
}
watch.once('exit', (code, signal) => {
  specWatcher.close();
  generating?.kill('SIGTERM');
  void adminWatch.then((context) => context?.dispose());
  process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1));
});
