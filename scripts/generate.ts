/**
 * Regenerates generated/ from openapi.yaml: `npm run generate`.
 * `npm run gen:check` fails (exit 1) when generated/ differs from what the spec gives.
 *
 * The types are those of the spec as the service reads it (src/api/validate.ts, asRead): a
 * request value declared with several forms (`anyOf`: a price as a string or a number) is typed
 * as its first, the one handlers receive and our client sends.
 */
import fs from 'node:fs';
import path from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import YAML from 'yaml';
import { asRead } from '../src/api/validate';

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'generated', 'openapi.ts');
const BANNER = `/**
 * GENERATED FROM openapi.yaml BY \`npm run generate\` (openapi-typescript). DO NOT EDIT.
 * CI fails when this file differs from what the spec gives.
 */

`;

async function main(): Promise<void> {
  const spec = YAML.parse(fs.readFileSync(path.join(root, 'openapi.yaml'), 'utf8'));
  asRead(spec);
  const ast = await openapiTS(spec, { alphabetize: true });
  const text = BANNER + astToString(ast);
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current !== text) {
      console.error('generated/openapi.ts is out of date with openapi.yaml: run `npm run generate` and commit the result.');
      process.exit(1);
    }
    console.log('generated/ is in sync with openapi.yaml');
    return;
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, text);
  console.log(`wrote ${path.relative(root, target)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
