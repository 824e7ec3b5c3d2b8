/**
 * Large-policy figures (issue #12): for the generated large policy set
 * (bench/large-policy-gen.ts, ~300 packages) and the Acme policies/, the four
 * numbers that grow with a policy:
 *
 *   wasm_bytes              size of policy.wasm
 *   load_ms_p50             `loadPolicy` of the unmodified OPA SDK in a fresh node
 *                           process (median over several child processes)
 *   memory_after_load/eval  `memory.buffer.byteLength` after loading, and after
 *                           `setData` + the first evaluation
 *   eval_us                 µs per evaluation in a warm process (SDK round trip included)
 *
 * plus, for the large set, the memory after one evaluation of an entrypoint that
 * reads a single package. BASELINE holds the figures measured before the
 * compact plan (same generator, same machine class) so that every run prints
 * its ratio to them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, loadPolicyWasm } from 'rego-wasm';
import { importedMemoryMinPages } from '../rego-wasm/src/package/wasm-binary';
import { generateLargePolicySet } from './large-policy-gen';

const POLICY_DIR = join(__dirname, '..', 'policies');
const FRESH_RUNS = 7;

/**
 * Figures of the JSON-plan packager (commit 997b89f, 2026-12-03, 2 shared cores),
 * `npm run -s bench -- large-policy`. Load times on this machine vary ±50% between runs.
 */
const BASELINE: Record<string, number> = {
  large_wasm_bytes: 6494430,
  large_load_ms_p50: 2743,
  large_memory_after_load_bytes: 205520896,
  large_memory_after_eval_bytes: 205520896,
  large_eval_us: 28665,
  acme_wasm_bytes: 234239,
  acme_load_ms_p50: 413,
  acme_memory_after_eval_bytes: 2621440,
  acme_eval_us: 59.2,
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeLoop(n: number, fn: () => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

interface FreshFigures {
  loadMs: number;
  memoryAfterLoad: number;
  memoryAfterEval: number;
  firstEvalMs: number;
}

/**
 * Runs in a new node process: reads the module, times the SDK's loadPolicy,
 * then sets data and evaluates once. Plain JavaScript so that no TypeScript
 * loader is part of what is timed.
 */
const CHILD = `
const { readFileSync } = require('node:fs');
const { loadPolicy } = require(process.env.SDK);
(async () => {
  const bytes = readFileSync(process.env.WASM);
  const data = JSON.parse(readFileSync(process.env.DATA, 'utf8'));
  const input = JSON.parse(readFileSync(process.env.INPUT, 'utf8'));
  const t0 = process.hrtime.bigint();
  const policy = await loadPolicy(bytes, { initial: Number(process.env.PAGES) });
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const memoryAfterLoad = policy.mem.buffer.byteLength;
  const t1 = process.hrtime.bigint();
  policy.setData(data);
  const result = policy.evaluate(input, process.env.ENTRYPOINT);
  const firstEvalMs = Number(process.hrtime.bigint() - t1) / 1e6;
  if (!Array.isArray(result) || result.length !== 1) throw new Error('no result: ' + JSON.stringify(result));
  process.stdout.write(JSON.stringify({ loadMs, memoryAfterLoad, memoryAfterEval: policy.mem.buffer.byteLength, firstEvalMs }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

function fresh(dir: string, wasm: Uint8Array, data: unknown, input: unknown, entrypoint: string): FreshFigures[] {
  const files = { WASM: join(dir, 'policy.wasm'), DATA: join(dir, 'data.json'), INPUT: join(dir, 'input.json') };
  writeFileSync(files.WASM, wasm);
  writeFileSync(files.DATA, JSON.stringify(data));
  writeFileSync(files.INPUT, JSON.stringify(input));
  const env = {
    ...process.env,
    ...files,
    SDK: require.resolve('@open-policy-agent/opa-wasm'),
    PAGES: String(Math.max(5, importedMemoryMinPages(wasm))),
    ENTRYPOINT: entrypoint,
  };
  const out: FreshFigures[] = [];
  for (let i = 0; i < FRESH_RUNS; i++) {
    out.push(JSON.parse(execFileSync(process.execPath, ['-e', CHILD], { env, encoding: 'utf8', maxBuffer: 1 << 20 })) as FreshFigures);
  }
  return out;
}

async function warmEvalUs(wasm: Uint8Array, data: unknown, input: unknown, entrypoint: string, n: number): Promise<number> {
  const policy = await loadPolicyWasm(wasm);
  policy.setData(data as object);
  policy.evaluate(input, entrypoint);
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) rounds.push(timeLoop(n, () => policy.evaluate(input, entrypoint)));
  return median(rounds);
}

async function figuresFor(
  prefix: string,
  dir: string,
  wasm: Uint8Array,
  data: unknown,
  input: unknown,
  entrypoint: string,
  evals: number,
): Promise<Record<string, number>> {
  const runs = fresh(dir, wasm, data, input, entrypoint);
  return {
    [`${prefix}_wasm_bytes`]: wasm.length,
    [`${prefix}_load_ms_p50`]: median(runs.map((r) => r.loadMs)),
    [`${prefix}_memory_after_load_bytes`]: median(runs.map((r) => r.memoryAfterLoad)),
    [`${prefix}_memory_after_eval_bytes`]: median(runs.map((r) => r.memoryAfterEval)),
    [`${prefix}_first_eval_ms_p50`]: median(runs.map((r) => r.firstEvalMs)),
    [`${prefix}_eval_us`]: await warmEvalUs(wasm, data, input, entrypoint, evals),
  };
}

const ACME_INPUT = {
  method: 'GET',
  path: ['v1', 'claims', 'enrollee', '1001'],
  rawPath: '/v1/claims/enrollee/1001',
  query: {},
  headers: { accept: 'application/json' },
  sourceIp: '203.0.113.7',
  token: {
    payload: {
      iss: 'http://127.0.0.1:9000/oauth2/default',
      sub: 'bob@acme.example',
      uid: '00ubob',
      cid: '0oabenchclient000000',
      enrolleeId: '1002',
      enrolleeType: 'secondary',
      dependants: [],
    },
    scopes: ['claims:read', 'openid'],
  },
};

export async function benchLargePolicy(): Promise<Record<string, number | string>> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-large-policy-'));
  try {
    const set = generateLargePolicySet({ dir: join(tmp, 'policies') });
    const t0 = process.hrtime.bigint();
    const large = build({ paths: [set.dir], entrypoints: set.entrypoints });
    const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const figures: Record<string, number | string> = {
      large_packages: set.files - 1,
      large_rules: set.rules,
      large_rego_bytes: set.bytes,
      large_build_ms: buildMs,
      ...(await figuresFor('large', tmp, large.bytes, {}, set.input, set.entrypoints[0], 20)),
    };
    const one = fresh(tmp, large.bytes, {}, set.input, set.entrypoints[1]);
    figures.large_one_package_memory_after_eval_bytes = median(one.map((r) => r.memoryAfterEval));

    const acme = build({ paths: [POLICY_DIR] });
    const acmeData = JSON.parse(readFileSync(join(POLICY_DIR, 'data.json'), 'utf8')) as unknown;
    Object.assign(figures, await figuresFor('acme', tmp, acme.bytes, acmeData, ACME_INPUT, 'acme/authz/decision', 2000));

    for (const [k, base] of Object.entries(BASELINE)) {
      const now = figures[k];
      if (typeof now === 'number') figures[`${k}_vs_baseline`] = now / base;
    }
    return figures;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
