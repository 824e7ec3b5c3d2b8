/**
 * One OPA conformance case: how it is read, run and judged. The runner
 * (compliance.ts) only schedules cases and prints counts.
 */
import type { Policy } from '../src/ir/plan';
import { buildPolicyWasm, importedMemoryMinPages, UnsupportedBuiltinError } from '../src/package';
import { loadPolicyWasmSync } from '../src/load';
import { sdkExtendedHostBuiltins } from '../src/builtins/host/extended';

/** A case as stored in ../shared/opa-compliance (swift-opa packaging of OPA's suite). */
export interface ComplianceCase {
  note: string;
  query: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  input_term?: string;
  want_defined?: boolean;
  want_result?: Record<string, unknown>[] | null;
  want_plan_result?: Record<string, unknown>[] | null;
  want_error?: string;
  want_error_code?: string;
  strict_error?: boolean;
  sort_bindings?: boolean;
  ignore_generated_vars?: boolean;
  ignore?: boolean;
  plan?: Policy;
  /** The suite directory the case came from (set by the runner). */
  category?: string;
  /** Raw JSON text of `data` / `input`, kept exact (numbers beyond float64). */
  dataText?: string;
  inputText?: string;
}

export type Mode = 'plans' | 'rego';

export type Outcome =
  | { status: 'passed' }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; reason: string };

/** Turns a case's Rego modules + query into a plan (the Rego front end). */
export type Planner = (modules: string[], query: string) => Policy;

/** Compile-time errors the Rego front end reports carry an OPA error code. */
interface CodedError {
  code?: unknown;
  message: string;
}

/** Categories whose cases need features this project declares out of scope. */
export const EXEMPT_CATEGORIES: ReadonlyMap<string, string> = new Map([
  ['netlookupipaddr', 'net.lookup_ip_addr needs DNS'],
]);

export function categoryOf(c: ComplianceCase): string {
  if (c.category) return c.category;
  const slash = c.note.indexOf('/');
  return slash < 0 ? c.note : c.note.slice(0, slash);
}

function expectsError(c: ComplianceCase): boolean {
  return (c.want_error !== undefined || c.want_error_code !== undefined) && !c.strict_error;
}

function isCompileErrorCode(code: string | undefined): boolean {
  return code !== undefined && code.startsWith('rego_');
}

/** Rego's total order, for order-insensitive comparison of bindings. */
function canonical(value: unknown, sortArrays: boolean): string {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v, sortArrays));
    if (sortArrays) items.sort();
    return `[${items.join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k], sortArrays)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

function canonicalRows(rows: Record<string, unknown>[], c: ComplianceCase): string[] {
  return rows
    .map((row) => {
      const kept: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) {
        if (c.ignore_generated_vars && k.startsWith('__')) continue;
        kept[k] = v;
      }
      return canonical(kept, c.sort_bindings === true);
    })
    .sort();
}

function truncate(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** Runs one case. Never throws: every problem is an outcome. */
export function runCase(c: ComplianceCase, mode: Mode, planner?: Planner): Outcome {
  const exempt = EXEMPT_CATEGORIES.get(categoryOf(c));
  if (exempt) return { status: 'skipped', reason: exempt };
  if (c.ignore) return { status: 'skipped', reason: 'marked ignore by the suite' };

  let policy: Policy;
  if (mode === 'plans') {
    if (!c.plan) {
      if (isCompileErrorCode(c.want_error_code)) return { status: 'skipped', reason: 'compile-error case (no plan)' };
      return { status: 'skipped', reason: 'case has no plan' };
    }
    policy = c.plan;
  } else {
    if (!planner) return { status: 'failed', reason: 'no Rego front end available' };
    try {
      policy = planner(c.modules ?? [], c.query);
    } catch (e) {
      const err = e as CodedError;
      if (isCompileErrorCode(c.want_error_code)) {
        const codeOk = err.code === undefined || err.code === c.want_error_code || err.message.includes(c.want_error_code ?? '');
        const msgOk = c.want_error === undefined || err.message.includes(c.want_error);
        return codeOk && msgOk
          ? { status: 'passed' }
          : { status: 'failed', reason: `compile error differs: want ${c.want_error_code} ${c.want_error ?? ''}, got ${truncate(err.message)}` };
      }
      return { status: 'failed', reason: `compile error: ${truncate(err.message)}` };
    }
    if (isCompileErrorCode(c.want_error_code)) {
      return { status: 'failed', reason: `expected compile error ${c.want_error_code}, compiled fine` };
    }
  }

  let wasm: Uint8Array;
  try {
    wasm = buildPolicyWasm(policy, { extraHostBuiltins: Object.keys(sdkExtendedHostBuiltins) });
  } catch (e) {
    if (e instanceof UnsupportedBuiltinError) return { status: 'skipped', reason: e.message };
    return { status: 'failed', reason: `build: ${truncate(e instanceof Error ? e.message : String(e))}` };
  }

  const enc = new TextEncoder();
  const toBuffer = (text: string): ArrayBuffer => {
    const bytes = enc.encode(text);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  };
  let rows: Record<string, unknown>[];
  try {
    const loaded = loadPolicyWasmSync(wasm, { initialMemoryPages: importedMemoryMinPages(wasm), builtins: sdkExtendedHostBuiltins });
    if (c.dataText !== undefined) loaded.setData(toBuffer(c.dataText));
    const inputText = c.input_term ?? c.inputText;
    const result: unknown = loaded.evaluate(inputText === undefined ? undefined : toBuffer(inputText), 'eval');
    if (!Array.isArray(result)) return { status: 'failed', reason: `result set is not an array: ${truncate(JSON.stringify(result))}` };
    rows = result as Record<string, unknown>[];
  } catch (e) {
    const message = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
    if (expectsError(c)) {
      if (c.want_error !== undefined && !message.includes(c.want_error)) {
        // OPA's Wasm backend words conflicts differently from topdown; accept either family.
        const conflict = /conflict|multiple outputs|produced conflicting values/;
        if (!(conflict.test(c.want_error) && conflict.test(message))) {
          return { status: 'failed', reason: `error differs: want "${c.want_error}", got "${truncate(message)}"` };
        }
      }
      return { status: 'passed' };
    }
    return { status: 'failed', reason: `evaluation error: ${truncate(message)}` };
  }
  if (expectsError(c)) return { status: 'failed', reason: `expected an error (${c.want_error ?? c.want_error_code}), got ${truncate(JSON.stringify(rows))}` };

  const want = (mode === 'plans' ? c.want_plan_result ?? c.want_result : c.want_result) ?? [];
  if (c.want_defined !== undefined && (mode === 'rego' ? c.want_result === undefined : c.want_plan_result == null)) {
    const defined = rows.length > 0;
    return defined === c.want_defined
      ? { status: 'passed' }
      : { status: 'failed', reason: `want defined=${c.want_defined}, got ${truncate(JSON.stringify(rows))}` };
  }
  const got = canonicalRows(rows, c);
  const exp = canonicalRows(want, c);
  if (got.length === exp.length && got.every((g, i) => g === exp[i])) return { status: 'passed' };
  return { status: 'failed', reason: `want ${truncate(exp.join(' | '))}\n      got  ${truncate(got.join(' | '))}` };
}
