/**
 * `npm run check:generators`: a second client generator reads the served spec as a user's
 * toolchain would. openapi-typescript-codegen (a dev dependency, pinned) generates a fetch
 * client from /openapi.json's document (scripts/servedSpec.ts) into a temporary folder, and
 * `tsc --strict --noEmit` type-checks what it wrote. Exit 1 on a generator error or a type error
 * (e.g. TS2300: two components of one name in different sections both become models/<Name>.ts).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'openapi-typescript-codegen';
import { writeServedSpec } from './servedSpec';

const root = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const { file, dir } = writeServedSpec();
  const work = dir as string;
  try {
    const output = path.join(work, 'openapi-typescript-codegen');
    await generate({ input: file, output, httpClient: 'fetch', exportSchemas: true, useUnionTypes: true });
    fs.writeFileSync(
      path.join(work, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'ES2020', module: 'commonjs', lib: ['ES2020', 'DOM'], types: [] },
        include: ['openapi-typescript-codegen/**/*.ts'],
      }),
    );
    const files = fs.readdirSync(output, { recursive: true }).filter((f) => String(f).endsWith('.ts')).length;
    try {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', path.join(work, 'tsconfig.json')], { stdio: 'inherit' });
    } catch {
      console.error(`openapi-typescript-codegen: the client generated from the served spec does not type-check under --strict (above)`);
      process.exitCode = 1;
      return;
    }
    console.log(`openapi-typescript-codegen: ${files} files generated from the served spec type-check under --strict`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
