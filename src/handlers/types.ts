/**
 * The typed handler map: one handler per operationId of the generated types, so an operation
 * without a handler, or a handler answering with a status or shape the spec does not
 * declare, fails `tsc`. A handler gets a Call (no Koa context: the api layer builds the call
 * from the request) and returns its result.
 */
import type { components, operations } from '../../generated/openapi';
import type { Services } from '../services';
import type { RequestInfo } from '../policies/types';
import type { LoginGuard } from '../policies/throttling';

/** The options operations: the service answers them from the spec (src/api/metadata.ts), not a handler. */
type Described = {
  [K in keyof operations]: operations[K]['responses'] extends { 200: components['responses']['Options'] } ? K : never;
}[keyof operations];

/** The operations that have a handler. */
export type OperationId = Exclude<keyof operations, Described>;

type Responses<K extends OperationId> = operations[K]['responses'];
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : undefined;
type SuccessStatus = 200 | 201 | 204;

/** What a handler returns: a declared 2xx status and its body. Errors are thrown (errors.ts). */
export type ResultOf<K extends OperationId> = {
  [S in keyof Responses<K> & SuccessStatus]: JsonOf<Responses<K>[S]> extends undefined
    ? { status: S; body?: undefined; headers?: Record<string, string> }
    : { status: S; body: JsonOf<Responses<K>[S]>; headers?: Record<string, string> };
}[keyof Responses<K> & SuccessStatus];

type JsonBody<RB> = RB extends { content: { 'application/json': infer B } } ? B : never;
/** The JSON body schema's type: after validation its required fields are there. `{}` for an operation without a body. */
type BodyOf<K extends OperationId> = [JsonBody<NonNullable<operations[K]['requestBody']>>] extends [never]
  ? Record<string, never>
  : JsonBody<NonNullable<operations[K]['requestBody']>>;

/** The declared parameters in `path` or `query` (strings, or what validation coerced them to); `{}` when none is declared. */
type ParamsOf<K extends OperationId, In extends 'path' | 'query'> = operations[K]['parameters'] extends { [P in In]?: infer P }
  ? [NonNullable<P>] extends [never]
    ? Record<string, never>
    : NonNullable<P>
  : Record<string, never>;

/** One call of an operation, after authentication, permissions, throttles and validation. */
export interface Call<K extends OperationId = OperationId> {
  readonly operationId: K;
  readonly req: RequestInfo;
  /** The validated body (fields the spec declares, as DRF's fields read them). */
  readonly body: BodyOf<K>;
  /** The path parameters, validated and coerced to their schema's type. */
  readonly params: ParamsOf<K, 'path'>;
  /** The declared query parameters that were sent (the last value of a repeated one); undeclared ones are left out. */
  readonly query: ParamsOf<K, 'query'>;
  readonly services: Services;
  /** The request's cookie `name` as sent (cookies are not signed here), or undefined. */
  cookie(name: string): string | undefined;
  /**
   * DRF's request.build_absolute_uri: `location` (a path and query) after the request's scheme
   * and host, as validated against ALLOWED_HOSTS. Every link the API answers with is made here.
   */
  buildAbsoluteUri(location: string): string;
  /**
   * This request's absolute URL (build_absolute_uri()) with the query parameter `name` set to
   * `value`, or removed when null: DRF's replace_query_param / remove_query_param.
   */
  urlWithQueryParam(name: string, value: string | null): string;
  /** The object the path names (`x-object`), already found and permission-checked by the gate. */
  readonly object: unknown;
  /** The password-guessing guard, when the operation lists the `login` throttle. */
  readonly loginGuard: LoginGuard | null;
}

export type Handler<K extends OperationId> = (call: Call<K>) => Promise<ResultOf<K>>;
export type Handlers = { readonly [K in OperationId]: Handler<K> };
