// `npm run build -w opa-okta-apigateway` (and `npm pack`'s prepack): compile the
// construct to dist/ (JS + .d.ts) and bundle both handlers from ../functions
// into dist/handlers, so an installed package needs neither TypeScript,
// esbuild nor the functions' dependencies.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleHandlers, packageRoot, prebuiltHandlersDir, repositoryFunctionsDir } from '../construct/handler-bundles';

const root = packageRoot(__dirname);
const functionsDir = repositoryFunctionsDir(root);
if (functionsDir === undefined) throw new Error(`no functions/ beside ${root}: the package is built from the project's repository`);

// The construct's types import rego-wasm's published API (its dist/*.d.ts), as a consumer's would.
const regoWasmRoot = path.dirname(require.resolve('rego-wasm/package.json', { paths: [root] }));
if (!fs.existsSync(path.join(regoWasmRoot, 'dist', 'index.d.ts'))) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const built = spawnSync(npm, ['run', '--silent', 'build'], { cwd: regoWasmRoot, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
const bundles = bundleHandlers(functionsDir, prebuiltHandlersDir(root));
for (const [name, dir] of Object.entries(bundles)) {
  const bytes = fs.statSync(path.join(dir, 'index.js')).size;
  process.stdout.write(`${name}: ${path.relative(root, dir)}/index.js (${(bytes / 1024).toFixed(0)} KiB)\n`);
}
