/**
 * Input by need over OPA's conformance cases: for every case that has an
 * input, planned by our front end and as OPA planned it, evaluating with the input pruned to the
 * reported paths gives the result (or the error) the full input gives; and
 * adding fields the analysis says are not read (fast-check) changes nothing.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { planRegoQuery } from '../src/frontend';
import { inputPaths, pruneInput } from '../src/plan/input-paths';
import type { Policy } from '../src/ir/plan';
import { buildPolicyWasm, importedMemoryMinPages } from '../src/package';
import { loadPolicyWasmSync, type LoadedPolicy } from '../src/load';
import { sdkExtendedHostBuiltins } from '../src/builtins/host/extended';
import { readCases } from '../tools/compliance';
import { describeWithCases } from '../tools/compliance-dir';
import type { ComplianceCase } from '../tools/compliance-case';

function caseFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? caseFiles(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : []))
    .sort();
}

/** Builtins whose value changes between evaluations: such cases cannot be compared run to run. */
const NONDETERMINISTIC = /\b(time\.now_ns|rand\.intn|uuid\.rfc4122|http\.send|net\.lookup_ip_addr|opa\.runtime)\b/;

type Outcome = { ok: string } | { error: true };

function outcome(policy: LoadedPolicy, input: unknown): Outcome {
  try {
    return { ok: JSON.stringify(policy.evaluate(input, 'eval')) };
  } catch {
    return { error: true };
  }
}

interface Prepared {
  note: string;
  policy: LoadedPolicy;
  input: unknown;
  paths: string[][];
}

/** The case planned by our front end, or (`opa`) OPA's own plan stored with the case. */
function prepare(c: ComplianceCase, planner: 'ours' | 'opa'): Prepared | undefined {
  if (c.inputText === undefined || c.input_term !== undefined || c.ignore) return undefined;
  if ((c.modules ?? []).some((m) => NONDETERMINISTIC.test(m)) || NONDETERMINISTIC.test(c.query)) return undefined;
  if (planner === 'opa' && c.plan === undefined) return undefined;
  let plan: Policy;
  let wasm: Uint8Array;
  try {
    plan = planner === 'opa' ? (c.plan as Policy) : planRegoQuery(c.modules ?? [], c.query);
    wasm = buildPolicyWasm(plan, { extraHostBuiltins: Object.keys(sdkExtendedHostBuiltins) });
  } catch {
    return undefined; // compile-error cases and unsupported builtins: nothing to evaluate
  }
  const policy = loadPolicyWasmSync(wasm, { initialMemoryPages: importedMemoryMinPages(wasm), builtins: sdkExtendedHostBuiltins });
  if (c.data !== undefined) policy.setData(c.data as object);
  return { note: `${c.note} (${planner} plan)`, policy, input: JSON.parse(c.inputText) as unknown, paths: inputPaths(plan).eval ?? [[]] };
}

/** Adds a field named `name` (holding `value`) to every object of `input` that the paths do not cover whole. */
function withNoise(input: unknown, paths: readonly (readonly string[])[], name: string, value: unknown): unknown {
  if (paths.some((p) => p.length === 0)) return input;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  // Never a key some path names here: that field is read (or its absence is).
  if (!Object.hasOwn(out, name) && !paths.some((p) => p[0] === name)) out[name] = value;
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    const below = paths.filter((p) => p[0] === k).map((p) => p.slice(1));
    if (below.length > 0) out[k] = withNoise(v, below, name, value);
  }
  return out;
}

describeWithCases('input paths over the conformance cases', (dir) => {
  const prepared: Prepared[] = [];
  beforeAll(() => {
    for (const file of caseFiles(dir)) {
      for (const c of readCases(file)) {
        for (const planner of ['ours', 'opa'] as const) {
          const p = prepare(c, planner);
          if (p) prepared.push(p);
        }
      }
    }
  }, 300_000);

  test('pruning the input to the reported paths keeps every result', () => {
    expect(prepared.length).toBeGreaterThan(160);
    const differ: string[] = [];
    for (const p of prepared) {
      const pruned = pruneInput(p.input, p.paths);
      const full = outcome(p.policy, p.input);
      const got = outcome(p.policy, pruned);
      if (JSON.stringify(full) !== JSON.stringify(got)) differ.push(`${p.note}: paths ${JSON.stringify(p.paths)}: full ${JSON.stringify(full)}, pruned ${JSON.stringify(got)}`);
    }
    expect(differ).toEqual([]);
    // The analysis is not trivially "everything": most cases read named parts only (the noise test below relies on it).
    expect(prepared.filter((p) => !p.paths.some((x) => x.length === 0)).length).toBeGreaterThan(160);
  }, 300_000);

  test('the analysis runs on every plan OPA itself produced for the cases', () => {
    let plans = 0;
    const bad: string[] = [];
    for (const file of caseFiles(dir)) {
      for (const c of readCases(file)) {
        if (!c.plan) continue;
        plans++;
        const paths = inputPaths(c.plan);
        const ok = Object.values(paths).every((ps) => Array.isArray(ps) && ps.every((p) => Array.isArray(p) && p.every((seg) => typeof seg === 'string')));
        if (!ok || Object.keys(paths).length !== (c.plan.plans?.plans ?? []).length) bad.push(c.note);
      }
    }
    expect(plans).toBeGreaterThan(1000);
    expect(bad).toEqual([]);
  }, 300_000);

  test('fields outside the reported paths change no result (fast-check)', () => {
    const json = fc.jsonValue({ maxDepth: 2 });
    const name = fc.string({ minLength: 1, maxLength: 6 });
    for (const p of prepared) {
      const full = JSON.stringify(outcome(p.policy, p.input));
      fc.assert(
        fc.property(name, json, (k, v) => {
          expect(JSON.stringify(outcome(p.policy, withNoise(p.input, p.paths, k, v)))).toBe(full);
        }),
        { numRuns: 5, seed: 12 },
      );
    }
  }, 300_000);
});
