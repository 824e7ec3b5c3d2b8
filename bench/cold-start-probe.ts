/**
 * Bundled by bench/cold-start.ts with the handlers' esbuild options and run
 * in a fresh `node` process: the authorizer's cold-start work one part after
 * the other (the handler overlaps the JWKS fetch with the policy load), each
 * timed, printed as one JSON line. Reads its inputs from the environment the
 * handler reads, plus PROBE_TOKEN.
 */
import { readFileSync } from 'node:fs';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { loadPolicyWasm } from 'rego-wasm/load';
import { importedMemoryMinPages } from '../rego-wasm/src/package/wasm-binary';
import { loadAuthorizerConfig } from '../functions/shared/config';
import { decide, type PolicyEngine, type ResultSet } from '../functions/shared/policy-engine';
import { buildRequestInput, inputByNeed, requestFacts } from '../functions/shared/request-input';
import { createTokenVerifier } from '../functions/shared/token-verifier';

async function main(): Promise<void> {
  const at = (): number => performance.now();
  const parts: Record<string, number> = {};
  let t = at();
  const lap = (name: string): void => {
    const now = at();
    parts[name] = now - t;
    t = now;
  };
  const config = loadAuthorizerConfig(process.env, __dirname);
  const wasm = readFileSync(config.policy.wasmPath);
  const data = JSON.parse(readFileSync(config.policy.dataPath, 'utf8')) as object;
  lap('policy_files_read');
  const module = await WebAssembly.compile(wasm);
  lap('wasm_compile');
  const policy = await loadPolicyWasm(module, { initialMemoryPages: Math.max(5, importedMemoryMinPages(wasm)) });
  policy.setData(data);
  const need = inputByNeed(wasm);
  lap('wasm_instantiate_and_data');
  const verifier = createTokenVerifier(config);
  await verifier.hydrate();
  lap('jwks_fetch');
  const token = await verifier.verify(process.env.PROBE_TOKEN ?? '');
  lap('first_verify');
  const event = JSON.parse(readFileSync(process.env.PROBE_EVENT ?? '', 'utf8')) as APIGatewayRequestAuthorizerEvent;
  const input = buildRequestInput(requestFacts(event), token, config.apiKeyHeader, config.apiProduct);
  const engine: PolicyEngine = { revision: 'probe', evaluate: (entrypoint, doc) => policy.evaluate(need(entrypoint, doc), entrypoint) as ResultSet };
  const verdict = decide(engine, config.requestEntrypoint, input);
  lap('first_decision');
  if (!verdict.allow) throw new Error('the probe expected an Allow');
  process.stdout.write(JSON.stringify(parts));
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
