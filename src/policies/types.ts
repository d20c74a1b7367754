/** The contracts between the request pipeline and its policies (authentication, permissions, throttles). */

/** The authenticated user, as the policies see it. */
export interface Principal {
  readonly id: number;
  readonly username: string;
  readonly email: string;
  readonly isActive: boolean;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
  /** The names of the user's groups, loaded once per request on first use. */
  groups(): Promise<ReadonlySet<string>>;
}

/** What the spec declares about the matched operation, read once at start-up. */
export interface OperationInfo {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  /** x-roles: any one of them lets the caller in. */
  readonly roles: readonly string[];
  /** x-throttle-scope: the scopes that apply (the root's default when the operation has none). */
  readonly throttles: readonly string[];
  /** The security schemes the operation accepts, in order; `anonymous` when `{}` is listed. */
  readonly schemes: readonly string[];
  readonly anonymous: boolean;
  /** x-object: the object the path names, loaded (and permission-checked) before the body is read. */
  readonly object: { readonly load: string; readonly hidden: boolean } | null;
  /** x-group: the group whose members the operation manages (one of x-groups), or null. */
  readonly group: string | null;
}

export interface RequestInfo {
  readonly method: string;
  /** The client's canonical address (src/clientAddress.ts; X-Forwarded-For is read only through NUM_PROXIES). */
  readonly ip: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly params: Readonly<Record<string, string>>;
  readonly operation: OperationInfo;
  readonly principal: Principal | null;
  /** What authenticated the request: `{ scheme: 'TokenAuth', tokenId }` or `{ scheme: 'JWTAuth', payload }`. */
  readonly auth: AuthInfo | null;
  /** The body, once the gate has read it (after the other throttles); undefined until then and without one. */
  readonly body?: unknown;
}

export type AuthInfo =
  | { readonly scheme: 'TokenAuth'; readonly tokenId: number }
  | { readonly scheme: 'JWTAuth'; readonly payload: Readonly<Record<string, unknown>> };

/** null = not my scheme; throw AuthenticationFailed = my scheme, bad credentials. */
export interface Authenticator {
  readonly scheme: string;
  authenticate(req: RequestInfo): Promise<{ principal: Principal; auth: AuthInfo } | null>;
  /** The WWW-Authenticate value sent with this scheme's 401s. */
  authenticateHeader(): string;
}

export interface Permission {
  readonly message?: string;
  hasPermission(req: RequestInfo): boolean | Promise<boolean>;
  /** Object-level check; when absent, the object is allowed. */
  hasObjectPermission?(req: RequestInfo, obj: unknown): boolean | Promise<boolean>;
}

/** Stateless: the decision carries the wait (unlike DRF's `self.history`). */
export type ThrottleDecision =
  | { readonly allowed: true; readonly headers?: Readonly<Record<string, string>> }
  | { readonly allowed: false; readonly waitSeconds: number | null; readonly headers?: Readonly<Record<string, string>> };

/**
 * What a throttle scope counts (the spec's root `x-throttle-kinds`; a scope not listed there is
 * `scoped`): `anon` anonymous requests per IP, `user` per user (per IP when anonymous), `login`
 * failed password checks, `scoped` per user or IP in the scope (DRF's ScopedRateThrottle),
 * `email` per address in the body's `email` field.
 */
export const THROTTLE_KINDS = ['anon', 'user', 'login', 'scoped', 'email'] as const;
export type ThrottleKind = (typeof THROTTLE_KINDS)[number];

/**
 * The password guard's scope, the only one of kind `login`: every operation that checks a
 * password lists it, and LoginGuard takes its points from this scope's windows.
 */
export const LOGIN_SCOPE = 'login';

export interface Throttle {
  readonly scope: string;
  check(req: RequestInfo): Promise<ThrottleDecision>;
}
