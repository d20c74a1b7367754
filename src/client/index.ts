/**
 * The typed client SDK: openapi-fetch over the types that openapi-typescript generates from
 * openapi.yaml (generated/openapi.ts). Every path, method, parameter, request body and
 * declared answer is typed from the spec; nothing here is written per endpoint, so the SDK
 * cannot drift from the API.
 *
 *   import { createClient } from 'little-lemon-api/client';
 *   const api = createClient({ baseUrl: 'http://127.0.0.1:8000' });
 *   const { data } = await api.POST('/auth/token/login/', { body: { username, password } });
 *   const me = api.withToken(data!.auth_token);
 *   const { data: secret, error, response } = await me.GET('/api/secret/');
 *
 * A call resolves to `{ data, response }` for a 2xx and `{ error, response }` otherwise (the
 * error is DRF's JSON body); it rejects only when the network fails.
 */
import createFetchClient, { type Client, type ClientOptions as FetchClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from '../../generated/openapi';

export type { components, operations, paths };

/** The spec's schemas by name: `Schemas['MenuItem']`. */
export type Schemas = components['schemas'];

export interface ClientOptions extends Omit<FetchClientOptions, 'baseUrl' | 'headers'> {
  /** Where the API answers, such as `http://127.0.0.1:8000`. */
  readonly baseUrl: string;
  /** A DRF token key (from `/auth/token/login/` or `/api/api-token-auth/`): sent as `Authorization: Token <key>`. */
  readonly token?: string;
  /** A simplejwt access token (from `/api/token/` or `/auth/jwt/create/`): sent as `Authorization: Bearer <jwt>`. */
  readonly jwt?: string;
  /** Headers sent with every request. An `Authorization` here is replaced when `token` or `jwt` is given. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** An openapi-fetch client typed by the spec, with helpers to switch credentials. */
export interface LittleLemonClient extends Client<paths, 'application/json'> {
  /** The options this client was made with. */
  readonly options: Readonly<ClientOptions>;
  /** A new client for the same API that sends `Authorization: Token <key>`. */
  withToken(key: string): LittleLemonClient;
  /** A new client for the same API that sends `Authorization: Bearer <access>`. */
  withJwt(access: string): LittleLemonClient;
  /** A new client for the same API that sends no credentials. */
  anonymous(): LittleLemonClient;
}

/**
 * Spread into a call's options to send its body as a URL-encoded form, as the course's notes
 * do (`curl -d refresh=...`): `api.POST('/api/token/refresh/', { body: { refresh }, ...formEncoded })`.
 */
export const formEncoded = Object.freeze({ headers: Object.freeze({ 'Content-Type': 'application/x-www-form-urlencoded' }) });

/** The `Authorization` value for a DRF key or an access JWT, or null for neither. Throws TypeError for both. */
export function authorizationHeader(credentials: { readonly token?: string; readonly jwt?: string }): string | null {
  const { token, jwt } = credentials;
  if (token !== undefined && jwt !== undefined) throw new TypeError('give a token or a jwt, not both');
  if (token !== undefined) return `Token ${token}`;
  if (jwt !== undefined) return `Bearer ${jwt}`;
  return null;
}

/**
 * A client for the API at `baseUrl`, authenticated with `token` or `jwt` when one is given.
 * Throws TypeError when both are given or `baseUrl` is not an absolute http(s) URL.
 * Middleware added with `use()` stays on this client; `withToken()` and friends start afresh.
 */
export function createClient(options: ClientOptions): LittleLemonClient {
  if (!/^https?:\/\//i.test(options.baseUrl)) throw new TypeError(`baseUrl must be an absolute http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
  const authorization = authorizationHeader(options);
  const { token: _token, jwt: _jwt, headers = {}, ...fetchOptions } = options;
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (authorization === null || name.toLowerCase() !== 'authorization') sent[name] = value;
  }
  if (authorization !== null) sent.Authorization = authorization;

  const client = createFetchClient<paths, 'application/json'>({ ...fetchOptions, headers: sent });
  const anonymousOptions = (): ClientOptions => {
    const rest: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== 'authorization') rest[name] = value;
    return { ...fetchOptions, headers: rest };
  };
  return Object.assign(client, {
    options: Object.freeze({ ...options }),
    withToken: (key: string) => createClient({ ...anonymousOptions(), token: key }),
    withJwt: (access: string) => createClient({ ...anonymousOptions(), jwt: access }),
    anonymous: () => createClient(anonymousOptions()),
  });
}
