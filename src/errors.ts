/**
 * The API's errors, after rest_framework/exceptions.py: each class carries its status, code
 * and default detail; `render.ts` turns any of them into a response. `expose`, `status` and
 * `headers` follow Koa's conventions so Koa's own defaults agree.
 */
export type FieldErrors = Record<string, string[]>;

export class ApiError extends Error {
  static status = 500;
  static defaultDetail = 'A server error occurred.';
  static defaultCode = 'error';

  readonly status: number;
  readonly code: string;
  readonly expose: boolean;
  headers: Record<string, string> = {};

  constructor(
    readonly detail: string | FieldErrors | Record<string, unknown> = (new.target as typeof ApiError).defaultDetail,
    code?: string,
    options?: { cause?: unknown },
  ) {
    super(typeof detail === 'string' ? detail : (new.target as typeof ApiError).defaultDetail, options);
    const cls = new.target as typeof ApiError;
    this.name = cls.name;
    this.status = cls.status;
    this.code = code ?? cls.defaultCode;
    this.expose = this.status < 500;
  }

  /** The JSON body DRF's exception handler would send. */
  body(): Record<string, unknown> {
    return typeof this.detail === 'string' ? { detail: this.detail } : { ...this.detail };
  }
}

export class ValidationError extends ApiError {
  static override status = 400;
  static override defaultDetail = 'Invalid input.';
  static override defaultCode = 'invalid';
  constructor(errors: FieldErrors) {
    super(errors);
  }
  /** `{"non_field_errors": [message]}` */
  static nonField(message: string): ValidationError {
    return new ValidationError({ non_field_errors: [message] });
  }
  static field(field: string, message: string): ValidationError {
    return new ValidationError({ [field]: [message] });
  }
}

export class ParseError extends ApiError {
  static override status = 400;
  static override defaultDetail = 'Malformed request.';
  static override defaultCode = 'parse_error';
}

/** Django's DisallowedHost: the request names a host ALLOWED_HOSTS does not list (or none). */
export class DisallowedHost extends ApiError {
  static override status = 400;
  static override defaultDetail = 'Invalid HTTP_HOST header.';
  static override defaultCode = 'disallowed_host';
}

export class AuthenticationFailed extends ApiError {
  static override status = 401;
  static override defaultDetail = 'Incorrect authentication credentials.';
  static override defaultCode = 'authentication_failed';
  /** The security scheme that refused the credentials (set by the gate; the metrics count by it). */
  scheme: string | undefined = undefined;
}

/**
 * simplejwt's AuthenticationFailed: the body carries `code` (and `messages`) beside `detail`.
 * `new JwtAuthenticationFailed('User not found', 'user_not_found')`.
 */
export class JwtAuthenticationFailed extends AuthenticationFailed {
  /** Keys in simplejwt's order: detail, code, then the rest (messages). */
  override body(): Record<string, unknown> {
    const { detail, code: _ignored, ...rest } = typeof this.detail === 'string' ? { detail: this.detail } : (this.detail as Record<string, unknown>);
    return { detail, code: this.code, ...rest };
  }
}

/** simplejwt's InvalidToken: 401 `{"detail", "code": "token_not_valid", "messages"?}`. */
export class InvalidToken extends JwtAuthenticationFailed {
  static override defaultDetail = 'Token is invalid or expired';
  static override defaultCode = 'token_not_valid';
}

export class NotAuthenticated extends ApiError {
  static override status = 401;
  static override defaultDetail = 'Authentication credentials were not provided.';
  static override defaultCode = 'not_authenticated';
}

export class PermissionDenied extends ApiError {
  static override status = 403;
  static override defaultDetail = 'You do not have permission to perform this action.';
  static override defaultCode = 'permission_denied';
}

export class NotFound extends ApiError {
  static override status = 404;
  static override defaultDetail = 'Not found.';
  static override defaultCode = 'not_found';
}

export class MethodNotAllowed extends ApiError {
  static override status = 405;
  static override defaultDetail = 'Method not allowed.';
  static override defaultCode = 'method_not_allowed';
  /** `allow`: the path's methods, sent as Allow (RFC 9110 asks it of every 405; DRF sends it on every answer). */
  constructor(method: string, allow?: string) {
    super(`Method "${method.toUpperCase()}" not allowed.`);
    if (allow !== undefined) this.headers.Allow = allow;
  }
}

export class NotAcceptable extends ApiError {
  static override status = 406;
  static override defaultDetail = 'Could not satisfy the request Accept header.';
  static override defaultCode = 'not_acceptable';
}

export class PayloadTooLarge extends ApiError {
  static override status = 413;
  static override defaultDetail = 'Request body is too large.';
  static override defaultCode = 'payload_too_large';
}

export class UnsupportedMediaType extends ApiError {
  static override status = 415;
  static override defaultDetail = 'Unsupported media type in request.';
  static override defaultCode = 'unsupported_media_type';
  /** DRF's message for a media type; `detail` replaces it for another unsupported coding. */
  constructor(mediaType: string, detail?: string) {
    super(detail ?? `Unsupported media type "${mediaType}" in request.`);
  }
}

export class Throttled extends ApiError {
  static override status = 429;
  static override defaultDetail = 'Request was throttled.';
  static override defaultCode = 'throttled';
  /** `waitSeconds` is rounded up, as DRF's `math.ceil(wait)`; null when unknown. */
  constructor(waitSeconds: number | null) {
    const wait = waitSeconds === null ? null : Math.max(1, Math.ceil(waitSeconds));
    super(
      wait === null
        ? 'Request was throttled.'
        : `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.`,
    );
    if (wait !== null) this.headers['Retry-After'] = String(wait);
  }

  /** The throttle scopes that refused (the metrics count by them). */
  scopes: readonly string[] = [];
}

export class ServiceUnavailable extends ApiError {
  static override status = 503;
  static override defaultDetail = 'Service temporarily unavailable, try again later.';
  static override defaultCode = 'service_unavailable';
}

/** A configuration mistake: thrown at start-up, never on a request (Django's ImproperlyConfigured). */
export class ImproperlyConfigured extends Error {
  override name = 'ImproperlyConfigured';
}

