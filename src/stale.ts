/**
 * Whether the compiled service (dist/) is older than the sources beside it: `npm start` runs
 * the last build, so an edit to src/ or openapi.yaml that was not built is silently not
 * running. main.ts and cluster.ts warn, once, at start-up (#18). A warning, not a refusal:
 * a deployment may well copy sources after building (their times then say nothing).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './log';
import { PROJECT_ROOT } from './spec';

export interface Stale {
  /** The newer source, relative to the project (`src/handlers/course.ts`, `openapi.yaml`). */
  readonly source: string;
  /** What to run. */
  readonly fix: string;
}

const mtime = (file: string): number | null => {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
};

function* typescriptFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* typescriptFiles(file);
    else if (/\.(ts|tsx|css)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield file;
  }
}

/** The admin console's sources: bundled into dist/admin/app.js (scripts/buildAdmin.ts), not compiled one by one. */
const CONSOLE_SOURCES = path.join('src', 'admin', 'web') + path.sep;
const CONSOLE_BUNDLE = path.join('admin', 'app.js');

/**
 * The first source in `projectRoot` newer than what `distRoot` holds compiled from it: each
 * src/ and generated/ TypeScript file against its .js (missing counts as older), the admin
 * console's sources (src/admin/web) against their bundle, dist/admin/app.js, when there is one, and
 * openapi.yaml against the compiled generated/openapi.js (the spec is read at run time, but
 * the handlers and types built for it are not). Null when everything is built, or when the
 * sources are not there (a deployment of dist/ alone). Never throws.
 */
export function staleBuild(projectRoot: string, distRoot: string): Stale | null {
  try {
    for (const folder of ['src', 'generated']) {
      const dir = path.join(projectRoot, folder);
      if (!fs.existsSync(dir)) continue;
      for (const file of typescriptFiles(dir)) {
        const relative = path.relative(projectRoot, file);
        const bundled = relative.startsWith(CONSOLE_SOURCES);
        if (!bundled && !relative.endsWith('.ts')) continue;
        const built = mtime(path.join(distRoot, bundled ? CONSOLE_BUNDLE : relative.replace(/\.ts$/, '.js')));
        // No console bundle at all is not a stale service: /admin itself says to build it.
        if (built === null && bundled) continue;
        if (built === null || (mtime(file) ?? 0) > built) return { source: relative, fix: 'npm run build' };
      }
    }
    const spec = mtime(path.join(projectRoot, 'openapi.yaml'));
    const types = mtime(path.join(distRoot, 'generated', 'openapi.js'));
    if (spec !== null && types !== null && spec > types) return { source: 'openapi.yaml', fix: 'npm run generate && npm run build' };
  } catch {
    // An unreadable folder is no reason to stop, nor to warn.
  }
  return null;
}

/**
 * Compiled (`npm start`): one warning through the logger when dist/ is older than the sources
 * beside it, naming the source and what to run. Run from source (`npm run dev`, the tests),
 * there is nothing to compare and nothing is said.
 */
export function warnIfStale(log: Logger): void {
  if (path.extname(__filename) !== '.js') return;
  const stale = staleBuild(PROJECT_ROOT, path.resolve(__dirname, '..'));
  if (stale) log.warn({ source: stale.source }, `dist/ is older than ${stale.source}: this runs the last build, not your sources; run \`${stale.fix}\``);
}
