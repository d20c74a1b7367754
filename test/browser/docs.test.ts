/**
 * /docs in a real browser (Chromium through playwright-core): a person authorizes with a DRF
 * key in Swagger UI and calls GET /api/secret/ from the page, under the page's
 * Content-Security-Policy. Chromium must be installed at /usr/bin/chromium (CI installs it;
 * CHROMIUM_PATH overrides the path): without it this test fails, it does not skip.
 * The screenshot goes to test-artifacts/docs.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type ConsoleMessage } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/spec';
import { startServer, type TestServer } from '../helpers/server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.join(PROJECT_ROOT, 'test-artifacts', 'docs.png');

let server: TestServer;
let browser: Browser;

before(async () => {
  server = await startServer();
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * In a fresh browser context: opens /docs, authorizes TokenAuth with `value` as typed into the
 * dialog, tries out GET /api/secret/ and checks it answered 200 with the key sent as
 * `Authorization: Token <key>`, with no CSP violation and no error in the page.
 */
async function callSecretWithTokenAuth(value: string, key: string, screenshot: string): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  // Every violation, as the browser reports it to the page (console wording varies by version).
  // (A string: this file is compiled without the DOM's types.)
  await page.addInitScript(`
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  `);

  try {
    const docs = await page.goto(`${server.url}/docs`);
    assert.equal(docs?.status(), 200);
    assert.match((await docs?.headerValue('content-security-policy')) ?? '', /script-src 'self'/);

    // Authorize with the TokenAuth (apiKey) scheme: its value is the whole header.
    await page.getByRole('button', { name: 'Authorize', exact: true }).first().click();
    const tokenAuth = page.locator('.auth-container').filter({ hasText: 'TokenAuth' });
    await tokenAuth.locator('input').fill(value);
    // The modal's buttons carry aria-labels ("Apply credentials", ...): find them by their text.
    await tokenAuth.locator('button', { hasText: 'Authorize' }).click();
    await tokenAuth.locator('button', { hasText: 'Logout' }).waitFor();
    await page.locator('.dialog-ux button.btn-done').first().click();
    await page.locator('.dialog-ux').waitFor({ state: 'detached' });

    // GET /api/secret/: expand it, try it out, execute.
    const op = page.locator('#operations-course-secret');
    await op.locator('.opblock-summary').click();
    const tryItOut = op.locator('button', { hasText: 'Try it out' });
    if (await tryItOut.isVisible()) await tryItOut.click();
    await op.locator('button', { hasText: 'Execute' }).click();

    const live = op.locator('.live-responses-table .response');
    await live.locator('.response-col_status').filter({ hasText: '200' }).waitFor();
    const body = await live.locator('.response-col_description').innerText();
    assert.match(body, /Some secret message/);
    // The request the page made carried the key.
    assert.match(await op.locator('.curl-command').innerText(), new RegExp(`Authorization: Token ${key}`));

    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await op.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshot });
  } catch (err) {
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot.replace(/\.png$/, '-failure.png'), fullPage: true }).catch(() => undefined);
    // What the page saw says more than a timeout does (a request blocked by the CSP, say).
    const seen = [...consoleErrors, ...pageErrors].map((t) => `\n  page: ${t}`).join('');
    throw Object.assign(new Error(`${(err as Error).message}${seen}`, { cause: err }), { stack: (err as Error).stack });
  }

  const violations = (await page.evaluate('window.__csp')) as string[];
  assert.deepEqual(violations, [], 'Content-Security-Policy violations');
  assert.deepEqual(consoleErrors.filter((t) => /content security policy|content-security-policy/i.test(t)), [], 'console errors about the CSP');
  assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  await context.close();

  // The page's calls went to the server directly: the helper's request() reports any answer
  // that broke the spec since the last one.
  await server.request('GET', '/healthz');
}

test('in Swagger UI a person authorizes with a DRF key and calls GET /api/secret/, with no CSP violation', async () => {
  await server.createUser({ username: 'docs-user' });
  const key = await server.tokenFor('docs-user');
  await callSecretWithTokenAuth(`Token ${key}`, key, SCREENSHOT);
});

test('in Swagger UI the bare 40-hex DRF key will do for TokenAuth: the page adds the `Token ` prefix (#15 item 2)', async () => {
  await server.createUser({ username: 'docs-bare' });
  const key = await server.tokenFor('docs-bare');
  // Without the prefix the server sees no DRF scheme in the header: the caller is anonymous, 401.
  assert.equal((await server.request('GET', '/api/secret/', { headers: { authorization: key } })).status, 401);
  await callSecretWithTokenAuth(key, key, SCREENSHOT.replace(/\.png$/, '-bare-key.png'));
});
