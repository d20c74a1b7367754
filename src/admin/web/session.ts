/**
 * The console's session. The access token lives in this module only (memory: a reload loses
 * it); the refresh token is in the service's httpOnly SameSite=Strict cookie, which the page
 * cannot read: asking with `X-Refresh-Cookie: 1` makes the JWT operations set and read it.
 * Every call goes through the typed SDK (src/client); `authed()` runs one with the current
 * access token and, when it was refused as expired (401), refreshes once and runs it again.
 */
import { createClient, type LittleLemonClient } from '../../client';

/** Asks the JWT operations to keep the refresh token in the httpOnly cookie. */
const COOKIE = { 'X-Refresh-Cookie': '1' } as const;

const anonymous: LittleLemonClient = createClient({ baseUrl: location.origin });

let access: string | null = null;
let client: LittleLemonClient | null = null;
let refreshing: Promise<boolean> | null = null;

/**
 * Whether this browser may hold a refresh cookie: set while signed in, cleared when the session
 * ends. The cookie is httpOnly, so the page cannot see it; without this, every first visit
 * would ask for a refresh only to be told (400) that there is none.
 */
const HINT = 'littlelemon-admin-signed-in';

function hint(on: boolean): void {
  try {
    if (on) localStorage.setItem(HINT, '1');
    else localStorage.removeItem(HINT);
  } catch {
    // Storage refused (a private window's policy): restore() then always asks.
  }
}

function hinted(): boolean {
  try {
    return localStorage.getItem(HINT) !== null;
  } catch {
    return true;
  }
}

function setAccess(token: string | null): void {
  access = token;
  client = token === null ? null : anonymous.withJwt(token);
  hint(token !== null);
}

export function signedIn(): boolean {
  return access !== null;
}

/** DRF's error body: `{detail}` or field errors. */
export type ApiError = Record<string, unknown>;

export type SignInResult = { readonly ok: true } | { readonly ok: false; readonly status: number; readonly error: ApiError };

/** POST /api/token/ with the cookie header: the refresh goes to the cookie, the access stays here. */
export async function signIn(username: string, password: string): Promise<SignInResult> {
  const { data, error, response } = await anonymous.POST('/api/token/', { body: { username, password }, headers: COOKIE });
  if (!data) return { ok: false, status: response.status, error: (error ?? {}) as ApiError };
  setAccess(data.access);
  return { ok: true };
}

/** POST /api/token/refresh/ with the cookie: a new access token (one request at a time: rotation would see two as a reuse). */
export function refresh(): Promise<boolean> {
  refreshing ??= anonymous
    .POST('/api/token/refresh/', { body: {}, headers: COOKIE })
    .then(({ data }) => {
      setAccess(data ? data.access : null);
      return Boolean(data);
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** At start-up: the session the refresh cookie holds, if this browser was signed in (else false, without asking). */
export function restore(): Promise<boolean> {
  return hinted() ? refresh() : Promise.resolve(false);
}

/** POST /api/token/blacklist/ with the cookie: the refresh token is blacklisted and the cookie cleared. */
export async function signOut(): Promise<void> {
  try {
    await anonymous.POST('/api/token/blacklist/', { body: {}, headers: COOKIE });
  } finally {
    setAccess(null);
  }
}

/** Forgets the access token without asking the server (after the user's own credentials were revoked). */
export function forget(): void {
  setAccess(null);
}

/** Thrown by authed() when the session is over (the refresh was refused): the app shows the sign-in form. */
export class SessionEnded extends Error {
  constructor() {
    super('Your session has ended: sign in again.');
  }
}

type Listener = () => void;
const ended = new Set<Listener>();
/** Called when a call finds the session over. */
export function onSessionEnded(listener: Listener): () => void {
  ended.add(listener);
  return () => ended.delete(listener);
}

const refusedListeners = new Set<Listener>();
/** Called when the signed-in account turns out to be staff no longer (demoted while signed in). */
export function onRefused(listener: Listener): () => void {
  refusedListeners.add(listener);
  return () => refusedListeners.delete(listener);
}

/** Whether the signed-in account may use the admin: the admin API answers 403 to anyone but staff. */
export async function staffCheck(): Promise<boolean> {
  const { response } = await authed((api) => api.GET('/api/admin/users', { params: { query: { page_size: '1' } } }), false);
  return response.status !== 403;
}

let rechecking: Promise<void> | null = null;
/**
 * An admin call was refused (403): a rule (only a superuser may change a superuser), or the
 * account is no longer staff. The staff check tells which; in the second case the app shows
 * its refusal instead of a 403 in every panel. One check at a time, however many calls failed.
 */
function recheckStaff(): void {
  rechecking ??= staffCheck()
    .then((staff) => {
      if (!staff) for (const listener of refusedListeners) listener();
    })
    .catch(() => undefined)
    .finally(() => {
      rechecking = null;
    });
}

/** Whether a response came from the admin API (where 403 can mean the account is not staff). */
function fromAdminApi(response: Response): boolean {
  try {
    return new URL(response.url).pathname.startsWith('/api/admin/');
  } catch {
    return false;
  }
}

/**
 * Runs `call` with the signed-in client; after a 401, refreshes the access token once and runs
 * it again. An admin call refused with 403 has the account's staff status checked again
 * (unless `recheck` is false: the staff check's own call).
 */
export async function authed<R extends { readonly response: Response }>(call: (api: LittleLemonClient) => Promise<R>, recheck = true): Promise<R> {
  const answered = (result: R): R => {
    if (recheck && result.response.status === 403 && fromAdminApi(result.response)) recheckStaff();
    return result;
  };
  if (client) {
    const first = await call(client);
    if (first.response.status !== 401) return answered(first);
  }
  if ((await refresh()) && client) {
    const second = await call(client);
    if (second.response.status !== 401) return answered(second);
  }
  setAccess(null);
  for (const listener of ended) listener();
  throw new SessionEnded();
}
