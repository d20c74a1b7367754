/**
 * openapi-backend, used through its public API only: Backend extends OpenAPIBackend, and its
 * init() replaces the library's router with ours (src/api/router.ts) and builds the validator
 * over it with OpenAPIValidator's public `router` option. Requests are never validated inside
 * handleRequest (`validate` is a predicate that always says no): the gate validates once the
 * body is read, with `validateRequest` (src/api/gate.ts), so that nothing has to be put into a
 * request openapi-backend is already handling.
 */
import { OpenAPIBackend, OpenAPIValidator, type Options } from 'openapi-backend';
import { Router } from './router';

/** handleRequest validates nothing: the gate does, after authentication, permissions, throttles and the body. */
const NEVER = (): boolean => false;

export class Backend extends OpenAPIBackend {
  declare router: Router;

  /** `opts` as openapi-backend's, but `validate` is always NEVER and trailing slashes are always optional. */
  constructor(opts: Omit<Options, 'validate' | 'ignoreTrailingSlashes'>) {
    super({ ...opts, validate: NEVER, ignoreTrailingSlashes: true });
  }

  /**
   * openapi-backend's init (parse and dereference the document, register the handlers given),
   * then our Router over the dereferenced definition, and a validator that routes with it.
   */
  override async init(): Promise<this> {
    await super.init();
    this.router = new Router({ definition: this.definition });
    this.validator = new OpenAPIValidator({
      definition: this.definition,
      ajvOpts: this.ajvOpts,
      customizeAjv: this.customizeAjv,
      router: this.router,
      lazyCompileValidators: this.quick,
      coerceTypes: this.coerceTypes,
    });
    return this;
  }
}
