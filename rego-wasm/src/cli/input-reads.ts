/**
 * Which parts of `input` a policy may read, from its IR plan (for `replay`: a decision whose
 * logged input had fields erased or masked can be replayed faithfully only if the candidate
 * cannot read them).
 *
 * A conservative, flow-insensitive analysis over the plan and its functions. Local 0 of a plan
 * holds `input` (OPA's IR convention); locals derived from it carry the input paths they may
 * hold. `DotStmt` with a constant key extends a path and reads that path's presence; every
 * other use of an input-derived local — compared, passed to a builtin, scanned, put into an
 * object or a result, a dynamic key, `with` — reads the whole value at that path. Paths flow
 * through assignments and into user functions' parameters and out of their return values
 * (iterated to a fixpoint). A field at pointer E may influence the result when some path R
 * read whole is a prefix of E or has E as a prefix, or some path read for presence equals E or
 * lies below it.
 */
import type { Block, Local, Operand, Policy, Stmt } from '../ir/plan';
import { instantiateForInspection } from '../package/engine';

export interface InputReads {
  /** Input paths whose whole value may be read. */
  whole: string[][];
  /** Input paths whose presence may be tested (a lookup that fails when absent). */
  presence: string[][];
}

const key = (p: readonly string[]): string => JSON.stringify(p);
const isPrefix = (a: readonly string[], b: readonly string[]): boolean => a.length <= b.length && a.every((s, i) => s === b[i]);

/** Whether a field at `pointer` (segments below `input`) may influence results, given the reads. */
export function mayRead(reads: InputReads, pointer: readonly string[]): boolean {
  return reads.whole.some((r) => isPrefix(r, pointer) || isPrefix(pointer, r)) || reads.presence.some((r) => isPrefix(pointer, r));
}

interface Body {
  name: string;
  blocks: Block[];
  params: Local[];
  ret?: Local;
}

/** The input reads of one plan (entrypoint) with the functions it calls; all plans without `plan`. */
export function inputReads(policy: Policy, plan?: string): InputReads {
  const strings = (policy.static?.strings ?? []).map((s) => s.value);
  const funcs = new Map((policy.funcs?.funcs ?? []).map((f) => [f.name, f]));
  const bodies: Body[] = [
    ...(policy.plans?.plans ?? []).filter((p) => plan === undefined || p.name === plan).map((p) => ({ name: `plan:${p.name}`, blocks: p.blocks, params: [0] })),
    ...[...funcs.values()].map((f) => ({ name: f.name, blocks: f.blocks, params: f.params, ret: f.return })),
  ];
  // local → input paths, per body; the function parameters' and return values' paths
  const locals = new Map<string, Map<Local, Map<string, string[]>>>();
  const params = new Map<string, Map<number, Map<string, string[]>>>();
  const returns = new Map<string, Map<string, string[]>>();
  const whole = new Map<string, string[]>();
  const presence = new Map<string, string[]>();
  let changed = true;

  const addTo = (m: Map<string, string[]>, p: string[]): void => {
    const k = key(p);
    if (!m.has(k)) {
      m.set(k, p);
      changed = true;
    }
  };
  const localPaths = (body: string, l: Local): Map<string, string[]> => {
    let b = locals.get(body);
    if (!b) locals.set(body, (b = new Map()));
    let m = b.get(l);
    if (!m) b.set(l, (m = new Map()));
    return m;
  };
  const paramPaths = (fn: string, i: number): Map<string, string[]> => {
    let f = params.get(fn);
    if (!f) params.set(fn, (f = new Map()));
    let m = f.get(i);
    if (!m) f.set(i, (m = new Map()));
    return m;
  };
  const returnPaths = (fn: string): Map<string, string[]> => {
    let m = returns.get(fn);
    if (!m) returns.set(fn, (m = new Map()));
    return m;
  };

  for (const b of bodies) if (b.name.startsWith('plan:')) addTo(localPaths(b.name, 0), []);

  const walk = (body: Body, blocks: readonly Block[] | null | undefined): void => {
    const of = (op: Operand | Local | undefined): string[][] => {
      if (op === undefined) return [];
      const l = typeof op === 'number' ? op : op.type === 'local' ? op.value : undefined;
      return l === undefined ? [] : [...localPaths(body.name, l).values()];
    };
    const readWhole = (op: Operand | Local | undefined): void => {
      for (const p of of(op)) addTo(whole, p);
    };
    const flow = (from: Operand | Local, to: Local): void => {
      for (const p of of(from)) addTo(localPaths(body.name, to), p);
    };
    for (const block of blocks ?? []) {
      for (const s of block.stmts as Stmt[]) {
        switch (s.type) {
          case 'DotStmt': {
            const k = s.stmt.key;
            if (k.type === 'string_index') {
              for (const p of of(s.stmt.source)) {
                const next = [...p, strings[k.value] ?? `#${k.value}`];
                addTo(presence, next);
                addTo(localPaths(body.name, s.stmt.target), next);
              }
            } else {
              readWhole(s.stmt.source);
              readWhole(k);
            }
            break;
          }
          case 'AssignVarStmt':
          case 'AssignVarOnceStmt':
            flow(s.stmt.source, s.stmt.target);
            break;
          case 'CallStmt': {
            const callee = funcs.get(s.stmt.func);
            if (callee) {
              s.stmt.args.forEach((a, i) => {
                for (const p of of(a)) addTo(paramPaths(callee.name, i), p);
              });
              for (const p of returnPaths(callee.name).values()) addTo(localPaths(body.name, s.stmt.result), p);
            } else {
              s.stmt.args.forEach(readWhole);
            }
            break;
          }
          case 'ResultSetAddStmt':
            readWhole(s.stmt.value);
            break;
          case 'ReturnLocalStmt':
            for (const p of of(s.stmt.source)) addTo(returnPaths(body.name), p);
            break;
          case 'ScanStmt':
            readWhole(s.stmt.source);
            walk(body, [s.stmt.block]);
            break;
          case 'BlockStmt':
            walk(body, s.stmt.blocks);
            break;
          case 'NotStmt':
            walk(body, [s.stmt.block]);
            break;
          case 'WithStmt':
            readWhole(s.stmt.value);
            walk(body, [s.stmt.block]);
            break;
          case 'CallDynamicStmt':
            s.stmt.args.forEach(readWhole);
            s.stmt.path.forEach(readWhole);
            break;
          default: {
            // Any other use of an input-derived local reads its whole value.
            const fields = s.stmt as unknown as Record<string, unknown>;
            for (const [name, v] of Object.entries(fields)) {
              if (name === 'target' || name === 'file' || name === 'row' || name === 'col') continue;
              if (typeof v === 'number' && !['capacity', 'index', 'Index', 'value'].includes(name)) readWhole(v);
              else if (v && typeof v === 'object' && 'type' in v) readWhole(v as Operand);
            }
          }
        }
      }
    }
  };

  for (let round = 0; changed && round < 100; round++) {
    changed = false;
    for (const b of bodies) {
      if (!b.name.startsWith('plan:')) {
        b.params.forEach((l, i) => {
          for (const p of paramPaths(b.name, i).values()) addTo(localPaths(b.name, l), p);
        });
      }
      walk(b, b.blocks);
    }
  }
  if (changed) return { whole: [[]], presence: [] }; // no fixpoint: assume everything is read
  return { whole: [...whole.values()], presence: [...presence.values()] };
}

/**
 * The IR plan a rego-wasm policy.wasm embeds (exported globals `opa_plan_addr`/`opa_plan_len`),
 * or undefined for modules that carry none (e.g. built by opa).
 */
export function embeddedPlan(wasm: Uint8Array): Policy | undefined {
  try {
    const inst = instantiateForInspection(wasm);
    const ex = inst.exports as unknown as Record<string, unknown>;
    const addr = ex.opa_plan_addr;
    const len = ex.opa_plan_len;
    if (!(addr instanceof WebAssembly.Global) || !(len instanceof WebAssembly.Global)) return undefined;
    const bytes = new Uint8Array(inst.memory.buffer, Number(addr.value), Number(len.value));
    return JSON.parse(new TextDecoder().decode(bytes)) as Policy;
  } catch {
    return undefined;
  }
}
