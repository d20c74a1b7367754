/**
 * openapi-backend's own router, untouched, as a reference for tests that judge our routing.
 * openapi-backend drops trailing slashes from the request only, never from the spec's paths, so
 * given the spec as written its router matches none of the paths declared with one
 * (test/unit/api/router.test.ts shows it): the reference gets each path without its trailing
 * slash, as its matching needs them. Where our routing answers otherwise on purpose (an empty
 * path segment, HEAD, a static path first), router.test.ts lists the difference.
 */
import { OpenAPIRouter, type Document } from 'openapi-backend';

export function referenceRouter(definition: Document): OpenAPIRouter {
  const copy = { ...definition, paths: {} as Record<string, unknown> };
  for (const [p, item] of Object.entries(definition.paths ?? {})) copy.paths[p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p] = item;
  return new OpenAPIRouter({ definition: copy as Document, ignoreTrailingSlashes: true });
}
