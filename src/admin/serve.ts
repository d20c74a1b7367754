/**
 * GET /admin: the admin console, a page of the service's own (no CDN, works offline) that is a
 * client of the spec: the bundle (dist/admin/app.js and app.css, built by scripts/buildAdmin.ts
 * at install) makes every call through the typed SDK. The page has no inline script or style,
 * so its Content-Security-Policy allows only the service's own files.
 * The bundle is read at each request (it is small, and `npm run dev` rebuilds it in place).
 * Running from source without a build, /admin says to run `npm run build`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context, Next } from 'koa';
import { PROJECT_ROOT } from '../spec';

/** The CSP of every /admin answer: the service's own scripts, styles and API, nothing inline. */
export const ADMIN_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const ASSETS: Readonly<Record<string, string>> = {
  'app.js': 'application/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Little Lemon admin</title>
  <link rel="stylesheet" href="/admin/app.css">
</head>
<body>
  <div id="app"></div>
  <script src="/admin/app.js"></script>
</body>
</html>
`;

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Little Lemon admin: not built</title>
</head>
<body>
  <main>
    <h1>The admin console is not built</h1>
    <p>Its bundle (dist/admin/app.js) is missing: run <code>npm run build</code> and reload this page.</p>
  </main>
</body>
</html>
`;

/** The /admin middleware; `dir` is where the bundle is (dist/admin by default). */
export function adminConsole(dir = path.join(PROJECT_ROOT, 'dist', 'admin')) {
  return async function adminConsole(ctx: Context, next: Next): Promise<void> {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !(ctx.path === '/admin' || ctx.path.startsWith('/admin/'))) return next();
    const name = ctx.path.replace(/^\/admin\/?/, '');
    if (name === '') {
      const built = fs.existsSync(path.join(dir, 'app.js'));
      ctx.status = built ? 200 : 503;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = built ? PAGE : NOT_BUILT;
    } else if (Object.hasOwn(ASSETS, name)) {
      let body: Buffer;
      try {
        body = await fs.promises.readFile(path.join(dir, name));
      } catch {
        return next();
      }
      ctx.type = ASSETS[name];
      // Revalidated each time: a rebuild shows at the next reload.
      ctx.set('Cache-Control', 'no-cache');
      ctx.body = body;
    } else {
      return next();
    }
    ctx.set('Content-Security-Policy', ADMIN_CSP);
  };
}
