/**
 * Bundles the admin console (src/admin/web, Preact + the typed SDK) with esbuild into
 * dist/admin/app.js and dist/admin/app.css, minified, which src/admin/serve.ts serves at /admin.
 * Run by `npm run build` and `prepare` (so `npm install` builds it) from dist/scripts/ after tsc,
 * so an install needs no tsx; `npm run dev` calls watchAdmin() to rebuild on every change.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

/** The folder holding package.json and src/ (from scripts/ or from dist/scripts/). */
export const ROOT = ((): string => {
  for (let d = __dirname; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'src', 'admin', 'web'))) return d;
    if (path.dirname(d) === d) throw new Error(`src/admin/web not found above ${__dirname}`);
  }
})();

export function adminBuildOptions(): esbuild.BuildOptions {
  return {
    absWorkingDir: ROOT,
    entryPoints: { app: path.join(ROOT, 'src', 'admin', 'web', 'main.tsx') },
    outdir: path.join(ROOT, 'dist', 'admin'),
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
    // openapi-fetch reads process.env nowhere, but a dependency that did would break the page.
    define: { 'process.env.NODE_ENV': '"production"' },
  };
}

/** One build; throws (with esbuild's messages printed) when it fails. */
export async function buildAdmin(): Promise<void> {
  await esbuild.build(adminBuildOptions());
}

/** Rebuilds on every change under src/admin/web (and what it imports) until the process ends. */
export async function watchAdmin(): Promise<esbuild.BuildContext> {
  const context = await esbuild.context({ ...adminBuildOptions(), minify: false, logLevel: 'info' });
  await context.watch();
  return context;
}

if (require.main === module) {
  buildAdmin().then(
    () => {
      const out = path.join(ROOT, 'dist', 'admin');
      const sizes = fs.readdirSync(out).map((f) => `${f} ${(fs.statSync(path.join(out, f)).size / 1024).toFixed(1)} KiB`);
      console.log(`admin console built: ${sizes.join(', ')}`);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
