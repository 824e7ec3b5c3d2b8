/**
 * Bundle sizes of the two Lambdas as `npm run synth` builds them (local
 * esbuild, policy built by the in-house toolchain): authorizer target ≤ 1 MB
 * including policy.wasm. Synthesises into a temporary directory with the
 * example tenant, offline.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AUTHORIZER_BUNDLE_BUDGET_BYTES, FunctionBundleSize } from '../cdk/bundle-sizes';
import { synthesize } from '../cdk/synthesize';

function fileBytes(bundle: FunctionBundleSize, name: string): number {
  return bundle.files.find((f) => f.file === name)?.bytes ?? 0;
}

export async function benchBundleSizes(): Promise<Record<string, number>> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bundle-'));
  try {
    const started = process.hrtime.bigint();
    const result = synthesize({ context: {}, outdir });
    const synthMs = Number(process.hrtime.bigint() - started) / 1e6;
    const a = result.authorizerBundle;
    const p = result.claimsProxyBundle;
    return {
      authorizer_total_bytes: a.totalBytes,
      authorizer_zipped_bytes: a.deflatedBytes,
      authorizer_js_bytes: fileBytes(a, 'index.js'),
      policy_wasm_bytes: fileBytes(a, 'policy.wasm'),
      policy_data_bytes: fileBytes(a, 'data.json'),
      claims_proxy_total_bytes: p.totalBytes,
      claims_proxy_js_bytes: fileBytes(p, 'index.js'),
      authorizer_budget_bytes: AUTHORIZER_BUNDLE_BUDGET_BYTES,
      authorizer_within_budget: result.authorizerWithinBudget ? 1 : 0,
      synth_ms: Math.round(synthMs),
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
