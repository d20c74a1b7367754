/**
 * The service with one difference: no operation is throttled (every `x-throttle-scope` emptied in
 * the spec it loads). bench/run.ts loads it beside the real one to price the throttle check.
 * `tsx bench/unthrottled.ts <port>`; settings from the environment, as `npm start`.
 */
import http from 'node:http';
import { createApp } from '../src/app';
import { loadSettings } from '../src/settings';
import { loadSpec } from '../src/spec';
import type { OperationInfo } from '../src/policies/types';

async function main(): Promise<void> {
  const spec = loadSpec();
  const operations = new Map<string, OperationInfo>();
  for (const [id, info] of spec.operations) operations.set(id, { ...info, throttles: [] });
  const app = await createApp(loadSettings(), { spec: { ...spec, operations } });
  http.createServer(app.koa.callback()).listen(Number(process.argv[2]), '127.0.0.1', () => process.send?.('ready'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
