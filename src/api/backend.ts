/**
 * openapi-backend, used through its public API only: Backend extends OpenAPIBackend, and its
 * init() replaces the library's router with ours (src/api/router.ts) and builds the validator
 * over it with OpenAPIValidator's public `router` option. Requests are never validated inside
 * handleRequest (`validate` is a predicate that always says no): the gate validates once the
 * body is read, with `validateRequest` (src/api/gate.ts), so that nothing has to be put into a
 * request openapi-backend is already handling.
 */
import { OpenAPIBackend, OpenAPIValidator, type Document, type Options } from 'openapi-backend';
import { Router } from './router';

/** handleRequest validates nothing: the gate does, after authentication, permissions, throttles and the body. */
const NEVER = (): boolean => false;

export class Backend extends OpenAPIBackend {
  declare router: Router;
  /**
   * A validator of requests against the schemas as declared (every form a value may take on the
   * wire), routing with a Router of its own; `validator` and `router` use the definition as read.
   */
  declared!: OpenAPIValidator;
  readonly #asRead: ((definition: Document) => void) | undefined;

  /**
   * `opts` as openapi-backend's, but `validate` is always NEVER and trailing slashes are always
   * optional. `asRead` turns a copy of the dereferenced definition into the one the router, the
   * handlers and `validator` use (src/api/validate.ts: asRead); without it both are the same.
   */
  constructor(opts: Omit<Options, 'validate' | 'ignoreTrailingSlashes'>, asRead?: (definition: Document) => void) {
    super({ ...opts, validate: NEVER, ignoreTrailingSlashes: true });
    this.#asRead = asRead;
  }

  /**
   * openapi-backend's init (parse and dereference the document, register the handlers given),
   * then the declared validator over the dereferenced definition, and our Router and a
   * validator that routes with it over the definition as read.
   */
  override async init(): Promise<this> {
    await super.init();
    this.declared = this.validatorOver(this.definition, new Router({ definition: this.definition }));
    if (this.#asRead) {
      const read = structuredClone(this.definition);
      this.#asRead(read);
      this.definition = read;
    }
    this.router = new Router({ definition: this.definition });
    this.validator = this.validatorOver(this.definition, this.router);
    return this;
  }

  private validatorOver(definition: Document, router: Router): OpenAPIValidator {
    return new OpenAPIValidator({
      definition,
      ajvOpts: this.ajvOpts,
      customizeAjv: this.customizeAjv,
      router,
      lazyCompileValidators: this.quick,
      coerceTypes: this.coerceTypes,
    });
  }
}
