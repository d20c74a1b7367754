/**
 * GET /docs: Swagger UI from the installed swagger-ui-dist package (no CDN: it works offline),
 * with "Authorize" for both schemes, so a person can log in, paste a key or a JWT and try
 * every endpoint. Assets are read once and served from memory under /docs/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context, Next } from 'koa';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Little Lemon API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

// In a file of its own so the Content-Security-Policy needs no 'unsafe-inline' for scripts.
// TokenAuth is an apiKey whose value is the whole Authorization header (`Token <key>`); a
// person who pastes the bare 40-hex DRF key gets the `Token ` prefix added to the request
// (#15 item 2). Any other value (`Token …`, `Bearer …`) is sent as it is.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
  requestInterceptor: function (req) {
    var headers = req.headers || {};
    Object.keys(headers).forEach(function (name) {
      var value = String(headers[name]).trim();
      if (name.toLowerCase() === 'authorization' && /^[0-9a-f]{40}$/i.test(value)) headers[name] = 'Token ' + value;
    });
    return req;
  },
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout'
});
`;

/** The CSP under which /docs works: its own scripts and styles only (Swagger UI sets inline styles). */
export const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function docs() {
  const dir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Buffer>();
  const asset = (name: string): Buffer => {
    let body = cache.get(name);
    if (!body) cache.set(name, (body = fs.readFileSync(path.join(dir, name))));
    return body;
  };
  return async function docs(ctx: Context, next: Next): Promise<void> {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !ctx.path.startsWith('/docs')) return next();
    const name = ctx.path.replace(/^\/docs\/?/, '');
    if (name === '') {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = PAGE;
    } else if (name === 'init.js') {
      ctx.type = 'application/javascript; charset=utf-8';
      ctx.body = INIT;
    } else if (ASSETS[name]) {
      ctx.type = ASSETS[name];
      ctx.set('Cache-Control', 'public, max-age=86400');
      ctx.body = asset(name);
    } else {
      return next();
    }
    ctx.set('Content-Security-Policy', DOCS_CSP);
  };
}
