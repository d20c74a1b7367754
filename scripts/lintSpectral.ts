/**
 * `npm run lint:spectral`: Spectral (.spectral.yaml: `spectral:oas` and the OWASP API Security
 * ruleset, with the rules that do not fit a DRF-compatible API turned off, each with its reason)
 * on the spec as the server serves it (scripts/servedSpec.ts), failing on any warning.
 * Extra arguments go to `spectral lint` (e.g. `-- -f json`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeServedSpec } from './servedSpec';

const root = path.resolve(__dirname, '..');
const { file, dir } = writeServedSpec();
let status = 1;
try {
  const cli = require.resolve('@stoplight/spectral-cli/dist/index.js', { paths: [root] });
  const args = ['lint', '--ruleset', path.join(root, '.spectral.yaml'), '--fail-severity', 'warn', ...process.argv.slice(2), file];
  const run = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: root });
  status = run.status ?? 1;
} finally {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
