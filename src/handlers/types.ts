/**
 * The typed handler map: one handler per operationId of the generated types, so an operation
 * without a handler, or a handler answering with a status or shape the spec does not
 * declare, fails `tsc`.
 */
import type { Context } from 'koa';
import type { operations } from '../../generated/openapi';
import type { Services } from '../services';
import type { RequestInfo } from '../policies/types';
import type { LoginGuard } from '../policies/throttling';

export type OperationId = keyof operations;

type Responses<K extends OperationId> = operations[K]['responses'];
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : undefined;
type SuccessStatus = 200 | 201 | 204;

/** What a handler returns: a declared 2xx status and its body. Errors are thrown (errors.ts). */
export type ResultOf<K extends OperationId> = {
  [S in keyof Responses<K> & SuccessStatus]: JsonOf<Responses<K>[S]> extends undefined
    ? { status: S; body?: undefined; headers?: Record<string, string> }
    : { status: S; body: JsonOf<Responses<K>[S]>; headers?: Record<string, string> };
}[keyof Responses<K> & SuccessStatus];

type BodyOf<K extends OperationId> = operations[K] extends { requestBody?: infer RB }
  ? RB extends { content: { 'application/json': infer B } }
    ? Partial<B>
    : Record<string, never>
  : Record<string, never>;

type ParamsOf<K extends OperationId, In extends 'path' | 'query'> = operations[K]['parameters'] extends Record<In, infer P>
  ? P extends Record<string, unknown>
    ? P
    : Record<string, never>
  : Record<string, never>;

/** One call of an operation, after authentication, permissions, throttles and validation. */
export interface Call<K extends OperationId = OperationId> {
  readonly operationId: K;
  readonly req: RequestInfo;
  /** The validated body (fields the spec declares, as DRF's fields read them). */
  readonly body: BodyOf<K>;
  readonly params: ParamsOf<K, 'path'>;
  readonly query: Partial<Record<string, string>>;
  readonly services: Services;
  readonly ctx: Context;
  /**
   * DRF's request.build_absolute_uri: `location` (a path and query) after the request's scheme
   * and host, as validated against ALLOWED_HOSTS. Every link the API answers with is made here.
   */
  buildAbsoluteUri(location: string): string;
  /** The object the path names (`x-object`), already found and permission-checked by the gate. */
  readonly object: unknown;
  /** The password-guessing guard, when the operation lists the `login` throttle. */
  readonly loginGuard: LoginGuard | null;
}

export type Handler<K extends OperationId> = (call: Call<K>) => Promise<ResultOf<K>>;
export type Handlers = { readonly [K in OperationId]: Handler<K> };
