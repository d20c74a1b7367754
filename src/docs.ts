/** The interactive documents at /docs (filled in by the docs issue). */
export function docsPage(): string {
  return '<!doctype html><html><head><meta charset="utf-8"><title>Little Lemon API</title></head><body><p>The spec: <a href="/openapi.json">/openapi.json</a>, <a href="/openapi.yaml">/openapi.yaml</a>.</p></body></html>';
}
