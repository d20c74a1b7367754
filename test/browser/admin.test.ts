/**
 * The admin console (/admin) in a real browser (Debian's Chromium through playwright-core),
 * driven as a person (or an assistive technology) would: by roles and labels, with the exact
 * accessible names issue #17 lists. A staff user signs in, finds a user, puts them in Manager,
 * creates a DRF key that then works over HTTP, revokes it, and sees it all in the audit log; a
 * non-staff user is refused. On every page axe-core reports no serious or critical violation,
 * the page breaks no Content-Security-Policy rule, and a screenshot at 1280 and at 390 px wide
 * goes to test-artifacts/admin-<page>-<width>.png.
 * The bundle is rebuilt from src/admin/web first, so the test checks the source as it is.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildAdmin } from '../../scripts/buildAdmin';
import { PROJECT_ROOT } from '../../src/spec';
import { launchChromium } from '../helpers/browser';
import { DEFAULT_PASSWORD, startServer, type TestServer } from '../helpers/server';

const ARTIFACTS = path.join(PROJECT_ROOT, 'test-artifacts');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const REFUSED = 'This account cannot use the admin.';
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

let server: TestServer;
let browser: Browser;
const ids: Record<string, number> = {};

before(async () => {
  await buildAdmin();
  server = await startServer();
  ids.staffer = await server.createUser({ username: 'staffer', email: 'staffer@example.com', isStaff: true });
  ids.luigi = await server.createUser({ username: 'luigi', email: 'luigi@example.com' });
  ids.mario = await server.createUser({ username: 'mario', email: 'mario@example.com' });
  for (let i = 1; i <= 3; i++) await server.createUser({ username: `guest${i}`, email: `guest${i}@example.com` });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

interface Watched {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught errors and CSP violations seen so far. */
  problems(): Promise<string[]>;
}

async function open(width: number): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`uncaught: ${String(err)}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /content.security.policy/i.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  // Every violation, as the browser reports it to the page. (A string: this file has no DOM types.)
  await page.addInitScript(`
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  `);
  return {
    context,
    page,
    async problems() {
      const csp = ((await page.evaluate('window.__csp').catch(() => [])) as string[]).map((v) => `CSP: ${v}`);
      return [...errors, ...csp];
    },
  };
}

/** axe-core run in the page: no serious or critical violation. (Evaluated, not added as a <script>: the page's CSP refuses inline scripts, as it should.) */
async function accessible(page: Page, name: string): Promise<void> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE);
  const found = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) })))`)) as {
    id: string;
    impact: string;
    help: string;
    nodes: string[];
  }[];
  const bad = found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe on ${name}: ${bad.map((v) => `${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(', ')}`).join('; ')}`);
}

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const width = page.viewportSize()?.width ?? 0;
  await page.screenshot({ path: path.join(ARTIFACTS, `admin-${name}-${width}.png`), fullPage: true });
}

/** The page is what it says (axe), and a screenshot of it is kept. */
async function check(page: Page, name: string): Promise<void> {
  await accessible(page, name);
  await shot(page, name);
}

async function signIn(page: Page, username: string, password = DEFAULT_PASSWORD): Promise<void> {
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Runs `body`; when it fails, keeps a screenshot and says what the page saw. */
async function withPage(width: number, name: string, body: (w: Watched) => Promise<void>): Promise<void> {
  const w = await open(width);
  try {
    await body(w);
    assert.deepEqual(await w.problems(), [], 'errors or CSP violations in the page');
  } catch (err) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await w.page.screenshot({ path: path.join(ARTIFACTS, `admin-${name}-failure-${width}.png`), fullPage: true }).catch(() => undefined);
    const seen = (await w.problems().catch(() => [])).map((t) => `\n  page: ${t}`).join('');
    throw Object.assign(new Error(`${(err as Error).message}${seen}`, { cause: err }), { stack: (err as Error).stack });
  } finally {
    await w.context.close();
  }
  // Every answer the page got matched the spec (the helper reports a broken one at the next request).
  await server.request('GET', '/healthz');
}

async function status(url: string, key: string): Promise<number> {
  return (await fetch(url, { headers: { Authorization: `Token ${key}` } })).status;
}

test('/admin is served under its CSP, with no inline script or style', async () => {
  const page = await server.request('GET', '/admin');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(page.headers.get('content-security-policy'), CSP);
  assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/i, 'an inline <script>');
  assert.doesNotMatch(page.text, /<style|\sstyle=|\son[a-z]+=/i, 'inline style or event handler');
  assert.match(page.text, /<script src="\/admin\/app\.js"><\/script>/);
  for (const [asset, type] of [
    ['/admin/app.js', /^application\/javascript/],
    ['/admin/app.css', /^text\/css/],
  ] as const) {
    const r = await server.request('GET', asset);
    assert.equal(r.status, 200, asset);
    assert.match(r.headers.get('content-type') ?? '', type);
    assert.equal(r.headers.get('content-security-policy'), CSP);
  }
  assert.equal((await server.request('GET', '/admin/nothing.js')).status, 404);
});

test('a staff user finds luigi, puts him in Manager, creates a key that works, revokes it, and sees it in the audit log', async () => {
  await withPage(1280, 'walk', async ({ page }) => {
    const refreshes: string[] = [];
    page.on('request', (r) => void (new URL(r.url()).pathname === '/api/token/refresh/' && refreshes.push(r.method())));
    await page.goto(`${server.url}/admin`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    assert.deepEqual(refreshes, [], 'a first visit asks for no refresh: this browser holds no cookie');
    await check(page, 'signin');

    // A wrong password: the API's message, as an alert.
    await signIn(page, 'staffer', 'not-the-password');
    assert.match(await page.getByRole('alert').innerText(), /No active account found with the given credentials/);
    await signIn(page, 'staffer');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    for (const link of ['Users', 'Groups', 'Menu items', 'Audit log']) await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link, exact: true }).waitFor();
    await page.getByRole('link', { name: 'guest3', exact: true }).waitFor();
    await check(page, 'users');

    // Find luigi (who has signed in with a JWT pair: his page lists the refresh token).
    const pair = await server.jwtFor('luigi');
    await page.getByLabel('Search users').fill('luig');
    await page.getByRole('link', { name: 'guest3', exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'luigi', exact: true }).click();
    await page.getByRole('heading', { name: 'luigi', level: 1 }).waitFor();
    assert.equal(await page.title(), 'luigi · Little Lemon admin');
    assert.equal(await page.getByLabel('Active', { exact: true }).isChecked(), true);
    assert.equal(await page.getByLabel('Staff status', { exact: true }).isChecked(), false);

    // Put him in Manager: his own key then reaches the Manager-only view.
    await page.getByLabel('Manager', { exact: true }).check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();
    const own = await server.tokenFor('luigi');
    assert.equal(await status(`${server.url}/api/manager-view/`, own), 200);

    // A key for him, shown once; it works over HTTP until it is revoked.
    await page.getByRole('button', { name: 'Create token', exact: true }).click();
    const key = await page.getByLabel('New token', { exact: true }).inputValue();
    assert.match(key, /^[0-9a-f]{40}$/);
    assert.equal(await status(`${server.url}/api/secret/`, key), 200);
    const row = page.getByRole('region', { name: 'DRF keys' }).getByRole('row').filter({ hasText: key.slice(0, 8) });
    await row.getByRole('button', { name: 'Revoke', exact: true }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal(await status(`${server.url}/api/secret/`, key), 401);
    assert.equal(await status(`${server.url}/api/secret/`, own), 200, 'only that key was revoked');

    // His audit trail says so.
    const trail = page.getByRole('region', { name: 'Audit trail' });
    for (const what of ['Added to group', 'Key created', 'Key or token revoked']) await trail.getByRole('cell', { name: what, exact: true }).first().waitFor();
    await check(page, 'user');

    // The audit log, filtered to key creation.
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByLabel('Kind').selectOption('token_created');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('cell', { name: 'Added to group', exact: true }).first().waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: 'Key created', exact: true }).first().waitFor();
    const entry = page.getByRole('row').filter({ hasText: 'Key created' }).first();
    await entry.getByRole('link', { name: 'luigi', exact: true }).waitFor();
    await entry.getByRole('link', { name: 'staffer', exact: true }).waitFor();
    await check(page, 'audit');

    // A reload keeps the session (the refresh token is in the httpOnly cookie, not in the page).
    await page.reload();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Sign in', exact: true }).count(), 0);
    const cookies = await page.context().cookies();
    assert.ok(cookies.some((c) => c.name === 'refresh_token' && c.httpOnly && c.sameSite === 'Strict'), 'the refresh token in an httpOnly SameSite=Strict cookie');
    assert.equal(await page.evaluate('document.cookie'), '', 'the page cannot read it');

    // Groups: Manager lists luigi; removing him from there works too.
    await page.getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();
    await check(page, 'groups');
    await page.getByRole('link', { name: 'Manager', exact: true }).click();
    await page.getByRole('heading', { name: 'Group Manager', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'luigi', exact: true }).waitFor();
    await check(page, 'group');
    await page.getByRole('button', { name: 'Remove luigi' }).click();
    await page.getByText('No members.').waitFor();
    assert.equal(await status(`${server.url}/api/manager-view/`, own), 403);
    await page.getByLabel("Member's username").fill('nobody-by-that-name');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('alert').waitFor();

    // Menu items: the API's field errors next to the field, then a valid item.
    await page.getByRole('link', { name: 'Menu items', exact: true }).click();
    await page.getByRole('heading', { name: 'Menu items', level: 1 }).waitFor();
    await page.getByLabel('Title').fill('Lemon tart');
    await page.getByLabel('Price').fill('not a price');
    await page.getByLabel('Inventory').fill('4');
    await page.getByRole('button', { name: 'Create menu item' }).click();
    const price = page.getByLabel('Price');
    await page.locator('#new-item-price[aria-invalid="true"]').waitFor();
    const described = await price.getAttribute('aria-describedby');
    assert.ok(described, 'the price field points at its errors');
    assert.match(await page.locator(`#${described}`).innerText(), /valid number/i);
    await price.fill('6.50');
    await page.getByRole('button', { name: 'Create menu item' }).click();
    await page.getByRole('rowheader', { name: 'Lemon tart' }).waitFor();
    await check(page, 'menu');

    // Sign out everywhere revokes all of luigi's credentials (a weak password is refused first, next to its field).
    await page.goto(`${server.url}/admin#/users/${ids.luigi}`);
    await page.getByRole('heading', { name: 'luigi', level: 1 }).waitFor();
    await page.getByLabel('New password').fill('123');
    await page.getByRole('button', { name: 'Set password', exact: true }).click();
    await page.locator('#user-new-password[aria-invalid="true"]').waitFor();
    assert.match(await page.locator('#user-new-password-errors').innerText(), /too short/);
    assert.equal(await status(`${server.url}/api/secret/`, own), 200, 'a refused password changes nothing');
    await page.getByRole('button', { name: 'Sign out everywhere', exact: true }).click();
    await page.getByText('Every key and refresh token of luigi is revoked.').waitFor();
    assert.equal(await status(`${server.url}/api/secret/`, own), 401);
    const refreshed = await server.request('POST', '/api/token/refresh/', { json: { refresh: pair.refresh } });
    assert.equal(refreshed.status, 401);
    await page.getByRole('region', { name: 'Audit trail' }).getByRole('cell', { name: 'Signed out everywhere', exact: true }).first().waitFor();
    await page.getByRole('link', { name: 'Blacklisted tokens', exact: true }).click();
    await page.getByRole('heading', { name: 'Blacklisted tokens', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'luigi', exact: true }).first().waitFor();
    await check(page, 'blacklist');

    // A user created here, then deleted.
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByLabel('New username').fill('temp-user');
    await page.getByLabel('Email').fill('not an address');
    await page.getByRole('button', { name: 'Create user', exact: true }).click();
    await page.locator('#new-user-email[aria-invalid="true"]').waitFor();
    await page.getByLabel('Email').fill('temp@example.com');
    await page.getByRole('button', { name: 'Create user', exact: true }).click();
    await page.getByRole('link', { name: 'temp-user', exact: true }).click();
    await page.getByRole('heading', { name: 'temp-user', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Delete user…', exact: true }).click();
    await page.getByRole('button', { name: 'Delete temp-user', exact: true }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'luigi', exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'temp-user', exact: true }).count(), 0);

    // Sign out: the refresh token is blacklisted, so a reload asks to sign in again.
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  });

  // Each step was recorded, with the acting user.
  const staff = await server.jwtFor('staffer');
  const log = await server.request('GET', `/api/admin/audit?user=${ids.luigi}&page_size=100`, { jwt: staff.access });
  assert.equal(log.status, 200);
  const kinds = (log.body.results as { kind: string; actor_username: string | null }[]).map((e) => e.kind);
  for (const kind of ['group_member_added', 'token_created', 'token_revoked', 'group_member_removed', 'logout_all']) assert.ok(kinds.includes(kind), `audit has ${kind}: ${kinds.join(', ')}`);
});

test('a non-staff user is refused with one sentence, and nothing else', async () => {
  for (const width of [1280, 390]) {
    await withPage(width, 'refused', async ({ page }) => {
      await page.goto(`${server.url}/admin`);
      await signIn(page, 'mario');
      await page.getByText(REFUSED).waitFor();
      assert.equal((await page.locator('body').innerText()).trim(), REFUSED);
      await check(page, 'refused');
      // Nor does a reload let them in: the refused session was signed out.
      await page.reload();
      await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    });
  }
});

test('a staff user demoted while signed in gets the refusal at their next step, not a 403 in each panel', async () => {
  const id = await server.createUser({ username: 'demoted', email: 'demoted@example.com', isStaff: true });
  const bossId = await server.createUser({ username: 'boss', email: 'boss@example.com', isStaff: true, isSuperuser: true });
  await withPage(1280, 'demoted', async ({ page }) => {
    await page.goto(`${server.url}/admin`);
    await signIn(page, 'demoted');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    const boss = await server.jwtFor('boss');
    assert.equal((await server.request('PATCH', `/api/admin/users/${id}`, { jwt: boss.access, json: { is_staff: false } })).status, 200);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByText(REFUSED).waitFor();
    assert.equal((await page.locator('body').innerText()).trim(), REFUSED);
    await check(page, 'demoted');
    // Signed out as well: a reload asks for a sign-in.
    await page.reload();
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  });
  // A 403 that is a rule, not a demotion, leaves a staff user in: the page shows the API's message.
  await withPage(1280, 'rule', async ({ page }) => {
    await page.goto(`${server.url}/admin`);
    await signIn(page, 'staffer');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.goto(`${server.url}/admin#/users/${bossId}`);
    await page.getByRole('heading', { name: 'boss', level: 1 }).waitFor();
    await page.getByLabel('Active', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Only a superuser' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups', exact: true }).click();
    await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();
    assert.equal(await page.getByText(REFUSED).count(), 0);
  });
});

test('at 390 px, signed in with the keyboard alone, every page is accessible and readable', async () => {
  await withPage(390, 'tour', async ({ page }) => {
    await page.goto(`${server.url}/admin`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await check(page, 'signin');
    // Keyboard only: Tab to the fields, Enter to submit.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.id'), 'signin-username');
    await page.keyboard.type('staffer');
    await page.keyboard.press('Tab');
    await page.keyboard.type(DEFAULT_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    // The page's heading has the focus: Shift+Tab back to the Groups link in the header, and follow it.
    for (let i = 0; i < 10 && (await page.evaluate('document.activeElement.textContent')) !== 'Groups'; i++) await page.keyboard.press('Shift+Tab');
    // The focused link shows it (an outline of its own, not the browser's default only).
    assert.notEqual(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle'), 'none');
    await shot(page, 'keyboard-focus');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();

    const groups = await server.request('GET', '/api/admin/groups', { jwt: (await server.jwtFor('staffer')).access });
    const manager = (groups.body.results as { id: number; name: string }[]).find((g) => g.name === 'Manager');
    assert.ok(manager);
    const pages: [string, string, RegExp][] = [
      ['users', '#/users', /^Users$/],
      ['user', `#/users/${ids.luigi}`, /^luigi$/],
      ['groups', '#/groups', /^Groups$/],
      ['group', `#/groups/${manager.id}`, /^Group Manager$/],
      ['menu', '#/menu', /^Menu items$/],
      ['audit', '#/audit', /^Audit log$/],
      ['blacklist', '#/blacklist', /^Blacklisted tokens$/],
    ];
    for (const [name, hash, heading] of pages) {
      await page.goto(`${server.url}/admin${hash}`);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.getByText('Loading…').first().waitFor({ state: 'detached' });
      // Nothing wider than the screen but the tables' own scrolling boxes.
      const overflow = (await page.evaluate('document.documentElement.scrollWidth')) as number;
      assert.ok(overflow <= 390, `${name} is ${overflow} px wide at 390`);
      await check(page, name);
    }
  });
});

test('an expired access token is refreshed once through the cookie, even when a page makes several calls at once (refresh rotation on)', async () => {
  const short = await startServer({ ACCESS_TOKEN_LIFETIME: '3', ROTATE_REFRESH_TOKENS: 'true' });
  try {
    await short.createUser({ username: 'staffer', isStaff: true });
    const luigi = await short.createUser({ username: 'luigi' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${short.url}/admin`);
      await signIn(page, 'staffer');
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      // The access token (3 s: at least 2 once whole seconds are counted) expires; luigi's page then makes five calls, each refused once.
      await page.waitForTimeout(3_200);
      await page.goto(`${short.url}/admin#/users/${luigi}`);
      await page.getByRole('heading', { name: 'luigi', level: 1 }).waitFor();
      await page.getByRole('region', { name: 'Audit trail' }).getByRole('table').waitFor();
      await page.getByRole('region', { name: 'DRF keys' }).getByText('No keys.').waitFor();
      await page.waitForTimeout(3_200);
      await page.getByRole('button', { name: 'Create token', exact: true }).click();
      assert.match(await page.getByLabel('New token', { exact: true }).inputValue(), /^[0-9a-f]{40}$/);
      assert.equal(await page.getByRole('button', { name: 'Sign in', exact: true }).count(), 0, 'still signed in');
      // Had two refreshes raced, rotation would have seen a reuse and revoked the whole family:
      // a reload (a refresh through the cookie) would then ask to sign in again.
      await page.reload();
      await page.getByRole('heading', { name: 'luigi', level: 1 }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Sign in', exact: true }).count(), 0, 'the session survived the reload');
      await short.request('GET', '/healthz');
    } finally {
      await context.close();
    }
  } finally {
    await short.close();
  }
});
