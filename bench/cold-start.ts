/**
 * The authorizer's cold start (issue #12), in fresh `node` processes:
 *
 * - the deployed handler: its bundle built by the CDK construct's own
 *   `bundleHandlers` (same esbuild options), required, then answering its
 *   first request (Alice reading her own record) with the JWKS from the local
 *   Okta stand-in. `cold_total_ms` = module load + first request (target
 *   ≤ 150 ms); Node's own start-up before the handler module is not counted
 *   (Lambda's INIT includes it either way);
 * - where it goes, part by part, in another fresh process running a probe
 *   bundled with the same options (bench/cold-start-probe.ts): parsing and
 *   compiling the JS bundle alone, reading policy.wasm + data.json, compiling
 *   the wasm, instantiating it (with the module's start) and setting data,
 *   the JWKS fetch (verifier hydrate), the first verification, the first
 *   decision. The handler overlaps the JWKS fetch with the policy load, so
 *   its total is less than the parts' sum.
 *
 * Each figure is the median of BENCH_COLD_RUNS (default 7) processes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { build } from 'rego-wasm';
import { buildHandlerBundle, bundleHandlers } from '../cdk/construct/handler-bundles';
import { requestToken } from '../local/okta/token-client';
import { startStackProcess } from '../local/stack-process';

const ROOT = join(__dirname, '..');
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? '7');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Runs `script` in a fresh node process RUNS times; the JSON each prints. */
function fresh<T>(script: string, env: NodeJS.ProcessEnv): T[] {
  const out: T[] = [];
  for (let i = 0; i < RUNS; i++) out.push(JSON.parse(execFileSync(process.execPath, [script], { env }).toString()) as T);
  return out;
}

export async function benchColdStart(): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cold-'));
  const stack = await startStackProcess({ LOCAL_QUIET: '1', LOCAL_KEYS_DIR: 'memory' });
  try {
    const policy = build({ paths: [join(ROOT, 'policies')], outfile: join(dir, 'policy.wasm') });
    const token = (await requestToken({ tokenEndpoint: stack.tokenEndpoint, username: 'alice' })).accessToken;
    const eventPath = join(dir, 'event.json');
    writeFileSync(eventPath, readFileSync(join(ROOT, 'test', 'events', 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', token));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OKTA_ISSUER: stack.issuer,
      OKTA_AUDIENCE: 'api://default',
      OKTA_JWKS_URI: `${stack.issuer}/v1/keys`,
      POLICY_WASM_PATH: join(dir, 'policy.wasm'),
      POLICY_DATA_PATH: join(ROOT, 'policies', 'data.json'),
      LOG_LEVEL: 'silent',
      PROBE_TOKEN: token,
      PROBE_EVENT: eventPath,
    };

    const bundle = join(bundleHandlers(join(ROOT, 'functions'), join(dir, 'handlers')).authorizer, 'index.js');
    const handlerScript = join(dir, 'handler-cold.js');
    writeFileSync(
      handlerScript,
      `const t0 = performance.now();
const h = require(${JSON.stringify(bundle)});
const t1 = performance.now();
h.handler(JSON.parse(require('fs').readFileSync(${JSON.stringify(eventPath)}, 'utf8'))).then((r) => {
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ load: t1 - t0, first: t2 - t1, effect: r.policyDocument.Statement[0].Effect }));
});`,
    );
    const compileScript = join(dir, 'compile-only.js');
    writeFileSync(
      compileScript,
      `const src = require('fs').readFileSync(${JSON.stringify(bundle)}, 'utf8');
const t0 = performance.now();
require('vm').compileFunction(src, ['exports', 'require', 'module', '__filename', '__dirname']);
process.stdout.write(JSON.stringify({ compile: performance.now() - t0 }));`,
    );
    const probe = join(dir, 'probe.js');
    buildHandlerBundle(esbuild, join(__dirname, 'cold-start-probe.ts'), probe, join(ROOT, 'functions'));

    const handler = fresh<{ load: number; first: number; effect: string }>(handlerScript, env);
    if (handler.some((c) => c.effect !== 'Allow')) throw new Error('the cold authorizer did not allow alice reading her own record');
    const compile = fresh<{ compile: number }>(compileScript, env);
    const parts = fresh<Record<string, number>>(probe, env);
    const part = (name: string): number => median(parts.map((p) => p[name] ?? Number.NaN));
    return {
      runs: RUNS,
      cold_total_ms: median(handler.map((c) => c.load + c.first)),
      cold_target_ms: 150,
      cold_module_load_ms: median(handler.map((c) => c.load)),
      cold_first_request_ms: median(handler.map((c) => c.first)),
      part_bundle_parse_compile_ms: median(compile.map((c) => c.compile)),
      part_policy_files_read_ms: part('policy_files_read'),
      part_wasm_compile_ms: part('wasm_compile'),
      part_wasm_instantiate_and_data_ms: part('wasm_instantiate_and_data'),
      part_jwks_fetch_ms: part('jwks_fetch'),
      part_first_verify_ms: part('first_verify'),
      part_first_decision_ms: part('first_decision'),
      authorizer_bundle_js_bytes: statSync(bundle).size,
      policy_wasm_bytes: policy.bytes.length,
    };
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
