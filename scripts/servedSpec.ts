/**
 * The spec as the server serves it at /openapi.json (the app's own loader: `loadSpec().publicDocument`,
 * each operation's description with its roles and throttles), written to a file for the tools
 * that read it: `npm run lint:spectral`, `npm run check:generators`.
 *
 * `tsx scripts/servedSpec.ts [file]` writes it to `file` (default: a new temporary folder) and
 * prints the path.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSpec } from '../src/spec';

/** Writes the served spec as JSON into a new temporary folder; returns the file and its folder (to remove). */
export function writeServedSpec(file?: string): { file: string; dir: string | null } {
  const dir = file ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'served-spec-'));
  const target = file ?? path.join(dir as string, 'openapi.json');
  fs.writeFileSync(target, `${JSON.stringify(loadSpec().publicDocument, null, 2)}\n`);
  return { file: target, dir };
}

if (require.main === module) {
  console.log(writeServedSpec(process.argv[2]).file);
}
