import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidPropError } from '../errors';

/** Name of this package in its package.json (how the package root is found from compiled or source files). */
export const PACKAGE_NAME = 'opa-okta-apigateway';

/**
 * Directories holding a bundled Lambda handler each: an `index.js` that
 * exports `handler` and needs nothing but the Node.js 22 runtime (and the
 * AWS SDK v3 it provides).
 */
export interface HandlerBundles {
  /** The REQUEST authorizer. */
  readonly authorizer: string;
  /** The claims proxy (Lambda proxy integration). */
  readonly claimsProxy: string;
}

/** Handler sources (relative to `functions/`) and the folder each bundle is written to. */
const HANDLERS: Record<keyof HandlerBundles, { readonly source: string; readonly dir: string }> = {
  authorizer: { source: path.join('authorizer', 'handler.ts'), dir: 'authorizer' },
  claimsProxy: { source: path.join('claims-proxy', 'handler.ts'), dir: 'claims-proxy' },
};

/** The folder with this package's package.json (the same from `cdk/construct/*.ts` and from `dist/construct/*.js`). */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const name = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
      if (name === PACKAGE_NAME) return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${from}`);
  }
}

/** Where `npm pack` puts the prebuilt handlers inside the package. */
export function prebuiltHandlersDir(root: string = packageRoot()): string {
  return path.join(root, 'dist', 'handlers');
}

/**
 * The handler sources next to the package, present only in the project's
 * repository (`functions/` beside `cdk/`); undefined in an installed package.
 */
export function repositoryFunctionsDir(root: string = packageRoot()): string | undefined {
  const dir = path.join(root, '..', 'functions');
  return fs.existsSync(path.join(dir, HANDLERS.authorizer.source)) ? dir : undefined;
}

let bundledFromSources: HandlerBundles | undefined;

/**
 * The handlers the construct deploys when `handlerBundles` is not given:
 * inside the repository, bundled from `functions/` once per process (so a
 * synth always ships the current sources); in an installed package, the
 * bundles shipped prebuilt in `dist/handlers`.
 */
export function defaultHandlerBundles(): HandlerBundles {
  const root = packageRoot();
  const sources = repositoryFunctionsDir(root);
  if (sources !== undefined) {
    bundledFromSources ??= bundleHandlers(sources, path.join(root, 'build', 'handlers'));
    return bundledFromSources;
  }
  const prebuilt = prebuiltHandlersDir(root);
  const bundles = handlerBundlesIn(prebuilt);
  for (const [name, dir] of Object.entries(bundles)) {
    if (!fs.existsSync(path.join(dir, 'index.js'))) {
      throw new Error(`the ${PACKAGE_NAME} package has no prebuilt ${name} handler at ${dir}/index.js (was it packed without \`npm run build\`?)`);
    }
  }
  return bundles;
}

function handlerBundlesIn(dir: string): HandlerBundles {
  return { authorizer: path.join(dir, HANDLERS.authorizer.dir), claimsProxy: path.join(dir, HANDLERS.claimsProxy.dir) };
}

/**
 * The file beside each handler's `index.js` that holds rego-wasm's host
 * builtins (RE2 regexes, Go time layouts, X.509, JWT signing, …: half of
 * the bytes), required only when a policy imports one of them. The Acme
 * policies import none, so a cold start never parses it. rego-wasm's loader
 * requires `./builtins/host` through a variable (`HOST_TABLE` in
 * rego-wasm/src/load.ts), which esbuild leaves to run time, and from the
 * bundle's `index.js` that path names this file.
 */
export const HOST_BUILTINS_FILE = 'builtins/host.js';

/** The OPA SDK's `yaml` dependency beside each handler's `index.js`, required at the first `yaml.*` builtin call (lazy-sdk-yaml.ts). */
export const SDK_YAML_FILE = 'builtins/yaml.js';

/** The files a handler bundle has beside its `index.js`, each loaded only when a policy needs it. */
export const HANDLER_SIDE_FILES: readonly string[] = [HOST_BUILTINS_FILE, SDK_YAML_FILE];

/** rego-wasm's host builtin table, the entry of the HOST_BUILTINS_FILE bundle. */
function hostBuiltinsEntry(functionsDir: string): string {
  const root = path.dirname(require.resolve('rego-wasm/package.json', { paths: [functionsDir] }));
  const candidates = [path.join(root, 'src', 'builtins', 'host', 'index.ts'), path.join(root, 'dist', 'builtins', 'host', 'index.js')];
  const found = candidates.find((f) => fs.existsSync(f));
  if (found === undefined) throw new Error(`rego-wasm's host builtins are not at ${candidates.join(' or ')}`);
  return found;
}

/**
 * The esbuild options of a handler bundle (also used by `bench/cold-start.ts`
 * to bundle its probe exactly like the handlers). Node.js 22, CommonJS,
 * minified with tree shaking, no source map or legal comments (less to load
 * at every cold start); `@aws-sdk/*` stays external (the Lambda runtime
 * provides it); package entry points as Node resolves them for `require`
 * (`mainFields`), so esbuild picks no browser or ESM build. The OPA SDK's
 * `yaml` dependency is loaded at the first `yaml.*` builtin call instead of
 * at start-up (`lazy-sdk-yaml.ts`; the alias applies to every `yaml` import
 * of the bundle, which only the SDK has), from SDK_YAML_FILE beside it.
 * rego-wasm's host builtins are not in it either: they are HOST_BUILTINS_FILE
 * beside it. `buildHandlerBundle` writes all three.
 */
export function handlerBundleOptions(entry: string, outfile: string, functionsDir: string): import('esbuild').BuildOptions {
  // The project is CommonJS, so at run time (tsx, jest, node) the OPA SDK
  // resolves to its "require" entry; esbuild would pick the "import" entry
  // for an import statement, which lacks loadPolicySync. Pin the bundle to
  // the entry the code runs with everywhere else.
  const opaSdkCjs = require.resolve('@open-policy-agent/opa-wasm', { paths: [path.dirname(require.resolve('rego-wasm/package.json', { paths: [functionsDir] }))] });
  const lazyYaml = ['lazy-sdk-yaml.ts', 'lazy-sdk-yaml.js'].map((f) => path.join(__dirname, f)).find((f) => fs.existsSync(f));
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    mainFields: ['main', 'module'],
    conditions: ['require', 'node'],
    minify: true,
    treeShaking: true,
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    alias: { '@open-policy-agent/opa-wasm': opaSdkCjs, ...(lazyYaml === undefined ? {} : { yaml: lazyYaml }) },
    external: ['@aws-sdk/*'],
    logLevel: 'error',
  };
}

/** The OPA SDK's own `yaml` module (the one its `yaml.*` builtins call). */
function sdkYamlEntry(functionsDir: string): string {
  const regoWasm = path.dirname(require.resolve('rego-wasm/package.json', { paths: [functionsDir] }));
  return require.resolve('yaml', { paths: [path.dirname(require.resolve('@open-policy-agent/opa-wasm', { paths: [regoWasm] }))] });
}

/** Writes a handler bundle: `outfile` and HANDLER_SIDE_FILES beside it. */
export function buildHandlerBundle(esbuild: typeof import('esbuild'), entry: string, outfile: string, functionsDir: string): void {
  const dir = path.dirname(outfile);
  esbuild.buildSync(handlerBundleOptions(entry, outfile, functionsDir));
  esbuild.buildSync(handlerBundleOptions(hostBuiltinsEntry(functionsDir), path.join(dir, HOST_BUILTINS_FILE), functionsDir));
  esbuild.buildSync(handlerBundleOptions(sdkYamlEntry(functionsDir), path.join(dir, SDK_YAML_FILE), functionsDir));
}

/**
 * Bundle both handlers from `functionsDir` into `<outDir>/{authorizer,claims-proxy}/index.js`
 * (each with HOST_BUILTINS_FILE beside it) with esbuild (a build-time tool: only the repository and `npm pack` call this),
 * with `handlerBundleOptions`.
 */
export function bundleHandlers(functionsDir: string, outDir: string): HandlerBundles {
  // Loaded here only: an installed package uses its prebuilt bundles and has no esbuild.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const bundles = handlerBundlesIn(outDir);
  for (const name of Object.keys(HANDLERS) as (keyof HandlerBundles)[]) {
    const outfile = path.join(bundles[name], 'index.js');
    fs.rmSync(bundles[name], { recursive: true, force: true });
    buildHandlerBundle(esbuild, path.join(functionsDir, HANDLERS[name].source), outfile, functionsDir);
  }
  return bundles;
}

/** Checks a `handlerBundles` prop: each directory must hold an `index.js`. */
export function checkHandlerBundles(bundles: HandlerBundles): HandlerBundles {
  for (const name of Object.keys(HANDLERS) as (keyof HandlerBundles)[]) {
    const dir = bundles[name];
    if (typeof dir !== 'string' || !fs.existsSync(path.join(dir, 'index.js'))) {
      throw new InvalidPropError(`handlerBundles.${name}`, `no index.js in ${String(dir)} (a directory with a bundled handler)`);
    }
  }
  return bundles;
}
