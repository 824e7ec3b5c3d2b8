/**
 * Bundle the portal with esbuild: `src/main.ts` (+ oidc-client-ts) →
 * `app.js` (minified IIFE, ES2020), beside `index.html` and `style.css`.
 * `buildPortal()` returns the files in memory (the local server serves them);
 * `npm run portal:build` writes them to `portal/dist/` for a static host.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

export const PORTAL_DIR = __dirname;

/** File name → contents, everything a static host needs except config.json. */
export type PortalFiles = ReadonlyMap<string, Buffer>;

export async function buildPortal(): Promise<PortalFiles> {
  const result = await build({
    entryPoints: [path.join(PORTAL_DIR, 'src', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    platform: 'browser',
    legalComments: 'none',
    write: false,
    outfile: 'app.js',
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('app.js'));
  if (!js) throw new Error('esbuild produced no app.js');
  return new Map<string, Buffer>([
    ['index.html', fs.readFileSync(path.join(PORTAL_DIR, 'index.html'))],
    ['style.css', fs.readFileSync(path.join(PORTAL_DIR, 'style.css'))],
    ['app.js', Buffer.from(js.contents)],
  ]);
}

if (require.main === module) {
  const out = path.resolve(process.argv[2] ?? path.join(PORTAL_DIR, 'dist'));
  buildPortal()
    .then((files) => {
      fs.mkdirSync(out, { recursive: true });
      for (const [name, contents] of files) {
        fs.writeFileSync(path.join(out, name), contents);
        process.stdout.write(`${path.join(path.relative(process.cwd(), out), name)}  ${(contents.length / 1024).toFixed(1)} KiB\n`);
      }
      process.stdout.write('add config.json (see portal/README.md) and serve the folder over https\n');
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
