/**
 * Reference evaluator for IR plans — a small, readable interpreter used as a
 * test oracle for the planner (run a plan in-process, compare with a case's
 * expected result) while the Wasm runtime is the product. Block semantics
 * follow reference §2.2: a block finishes normally, or breaks out of `n`
 * enclosing blocks (`break 0` = this block is undefined), or returns.
 */
import type { Block, Func, Operand, Policy, Stmt } from '../../../src/ir/plan';
import { callBuiltin } from './builtins';
import { Value, clone, equal, key as keyOf, get, isObject, isSet, mkObject, mkSet, size, sortedEntries, sortedValues } from './values';

export class EvalConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalConflictError';
  }
}

type Locals = (Value | undefined)[];
/** -1: finished normally; n ≥ 0: break out of n+1 blocks; 'ret': function returned. */
type Outcome = number | 'ret';
const OK = -1;

interface Frame {
  locals: Locals;
  ret?: Value;
}

export class PlanEvaluator {
  private readonly strings: string[];
  private readonly funcs = new Map<string, Func>();
  private readonly byPath = new Map<string, Func>();
  private readonly files: string[];
  private readonly decls = new Map<string, unknown>();
  private depth = 0;

  constructor(private readonly policy: Policy) {
    this.strings = (policy.static?.strings ?? []).map((s) => s.value);
    this.files = (policy.static?.files ?? []).map((s) => s.value);
    for (const b of policy.static?.builtin_funcs ?? []) this.decls.set(b.name, b.decl);
    for (const f of policy.funcs?.funcs ?? []) {
      this.funcs.set(f.name, f);
      if (f.path) this.byPath.set(f.path.join('\u0000'), f);
    }
  }

  /** Evaluate plan `name` and return its result set (rows as Rego objects). */
  evaluate(name: string, input: Value | undefined, data: Value): Value[] {
    const plan = this.policy.plans?.plans?.find((p) => p.name === name);
    if (!plan) throw new Error(`no plan named ${name}`);
    const results = mkSet();
    const frame: Frame = { locals: [input, data] };
    for (const b of plan.blocks) this.block(frame, b, results);
    return sortedValues(results);
  }

  private where(s: Stmt): string {
    const f = s.stmt as { file: number; row: number; col: number };
    return `${this.files[f.file] ?? '?'}:${f.row}:${f.col}`;
  }

  private op(fr: Frame, o: Operand): Value | undefined {
    if (o.type === 'local') return fr.locals[o.value];
    if (o.type === 'bool') return o.value;
    return this.strings[o.value]!;
  }

  private block(fr: Frame, b: Block, results: ReturnType<typeof mkSet> | null): Outcome {
    for (const s of b.stmts) {
      const r = this.stmt(fr, s, results);
      if (r !== OK) return r;
    }
    return OK;
  }

  /** Run a nested block; map its outcome to the containing statement's outcome. */
  private nested(fr: Frame, b: Block, results: ReturnType<typeof mkSet> | null): Outcome {
    const r = this.block(fr, b, results);
    if (r === 'ret') return r;
    return r > 0 ? r - 1 : r === 0 ? 0 : OK;
  }

  private call(name: string, args: (Value | undefined)[], s: Stmt): Value | undefined {
    const fn = this.funcs.get(name);
    if (fn) return this.callFunc(fn, args);
    if (args.some((a) => a === undefined)) return undefined;
    return callBuiltin(name, args as Value[], this.decls.get(name), this.where(s));
  }

  private callFunc(fn: Func, args: (Value | undefined)[]): Value | undefined {
    if (++this.depth > 2000) throw new Error('reference evaluator: call depth exceeded');
    try {
      const fr: Frame = { locals: [] };
      fn.params.forEach((p, i) => { fr.locals[p] = args[i]; });
      for (const b of fn.blocks) {
        const r = this.block(fr, b, null);
        if (r === 'ret') return fr.ret;
        if (r > 0) throw new Error(`break out of function ${fn.name}`);
      }
      return undefined;
    } finally {
      this.depth--;
    }
  }

  private stmt(fr: Frame, s: Stmt, results: ReturnType<typeof mkSet> | null): Outcome {
    const L = fr.locals;
    switch (s.type) {
      case 'ArrayAppendStmt': {
        const arr = L[s.stmt.array];
        const v = this.op(fr, s.stmt.value);
        if (!Array.isArray(arr) || v === undefined) return 0;
        arr.push(v);
        return OK;
      }
      case 'AssignIntStmt':
        L[s.stmt.target] = s.stmt.value;
        return OK;
      case 'AssignVarOnceStmt': {
        const v = this.op(fr, s.stmt.source);
        const cur = L[s.stmt.target];
        if (v === undefined) return 0;
        if (cur === undefined) L[s.stmt.target] = v;
        else if (!equal(cur, v)) throw new EvalConflictError(`${this.where(s)}: var assignment conflict`);
        return OK;
      }
      case 'AssignVarStmt':
        L[s.stmt.target] = this.op(fr, s.stmt.source);
        return OK;
      case 'BlockStmt':
        for (const b of s.stmt.blocks ?? []) {
          const r = this.block(fr, b, results);
          if (r === 'ret') return r;
          if (r > 0) return r - 1;
        }
        return OK;
      case 'BreakStmt':
        return s.stmt.index;
      case 'CallDynamicStmt': {
        const path = s.stmt.path.map((o) => this.op(fr, o));
        if (path.some((p) => typeof p !== 'string')) return 0;
        const fn = this.byPath.get(path.join('\u0000'));
        if (!fn) return 0;
        const v = this.callFunc(fn, s.stmt.args.map((a) => L[a]));
        if (v === undefined) return 0;
        L[s.stmt.result] = v;
        return OK;
      }
      case 'CallStmt': {
        const v = this.call(s.stmt.func, s.stmt.args.map((a) => this.op(fr, a)), s);
        if (v === undefined) {
          const decl = this.decls.get(s.stmt.func) as { result?: unknown } | undefined;
          return decl && decl.result === undefined ? OK : 0;
        }
        L[s.stmt.result] = v;
        return OK;
      }
      case 'DotStmt': {
        const src = this.op(fr, s.stmt.source);
        const k = this.op(fr, s.stmt.key);
        if (src === undefined || k === undefined) return 0;
        const v = get(src, k);
        if (v === undefined) return 0;
        L[s.stmt.target] = v;
        return OK;
      }
      case 'EqualStmt': {
        const a = this.op(fr, s.stmt.a);
        const b = this.op(fr, s.stmt.b);
        return a !== undefined && b !== undefined && equal(a, b) ? OK : 0;
      }
      case 'NotEqualStmt': {
        const a = this.op(fr, s.stmt.a);
        const b = this.op(fr, s.stmt.b);
        return a !== undefined && b !== undefined && !equal(a, b) ? OK : 0;
      }
      case 'IsArrayStmt':
        return Array.isArray(this.op(fr, s.stmt.source)) ? OK : 0;
      case 'IsObjectStmt':
        return isObject(this.op(fr, s.stmt.source)) ? OK : 0;
      case 'IsSetStmt':
        return isSet(this.op(fr, s.stmt.source)) ? OK : 0;
      case 'IsDefinedStmt':
        return L[s.stmt.source] !== undefined ? OK : 0;
      case 'IsUndefinedStmt':
        return L[s.stmt.source] === undefined ? OK : 0;
      case 'LenStmt': {
        const v = this.op(fr, s.stmt.source);
        const n = v === undefined || typeof v === 'string' ? undefined : size(v);
        if (n === undefined) return 0;
        L[s.stmt.target] = n;
        return OK;
      }
      case 'MakeArrayStmt':
        L[s.stmt.target] = [];
        return OK;
      case 'MakeNullStmt':
        L[s.stmt.target] = null;
        return OK;
      case 'MakeNumberIntStmt':
        L[s.stmt.target] = s.stmt.value;
        return OK;
      case 'MakeNumberRefStmt':
        L[s.stmt.target] = Number(this.strings[s.stmt.Index ?? s.stmt.index ?? -1]);
        return OK;
      case 'MakeObjectStmt':
        L[s.stmt.target] = mkObject();
        return OK;
      case 'MakeSetStmt':
        L[s.stmt.target] = mkSet();
        return OK;
      case 'NopStmt':
        return OK;
      case 'NotStmt': {
        const r = this.block(fr, s.stmt.block, results);
        if (r === 'ret') return r;
        if (r === OK) return 0;
        return r === 0 ? OK : r - 1;
      }
      case 'ObjectInsertOnceStmt':
      case 'ObjectInsertStmt': {
        const obj = L[s.stmt.object];
        const k = this.op(fr, s.stmt.key);
        const v = this.op(fr, s.stmt.value);
        if (!isObject(obj) || k === undefined || v === undefined) return 0;
        if (s.type === 'ObjectInsertOnceStmt') {
          const cur = get(obj, k);
          if (cur !== undefined && !equal(cur, v)) throw new EvalConflictError(`${this.where(s)}: object insert conflict`);
        }
        obj.m.set(keyOf(k), [k, v]);
        return OK;
      }
      case 'ObjectMergeStmt': {
        const a = L[s.stmt.a];
        const b = L[s.stmt.b];
        if (a === undefined || b === undefined) return 0;
        L[s.stmt.target] = merge(a, b);
        return OK;
      }
      case 'ResetLocalStmt':
        L[s.stmt.target] = undefined;
        return OK;
      case 'ResultSetAddStmt': {
        const row = L[s.stmt.value];
        if (row !== undefined && results) results.m.set(keyOf(row), clone(row));
        return OK;
      }
      case 'ReturnLocalStmt':
        fr.ret = L[s.stmt.source];
        return 'ret';
      case 'ScanStmt': {
        const src = L[s.stmt.source];
        const items: [Value, Value][] = Array.isArray(src) ? src.map((v, i) => [i, v])
          : isObject(src) ? sortedEntries(src)
            : isSet(src) ? sortedValues(src).map((v) => [v, v]) : [];
        for (const [k, v] of items) {
          L[s.stmt.key] = k;
          L[s.stmt.value] = v;
          const r = this.block(fr, s.stmt.block, results);
          if (r === 'ret') return r;
          if (r > 0) return r - 1;
        }
        return OK;
      }
      case 'SetAddStmt': {
        const set = L[s.stmt.set];
        const v = this.op(fr, s.stmt.value);
        if (!isSet(set) || v === undefined) return 0;
        set.m.set(keyOf(v), v);
        return OK;
      }
      case 'WithStmt': {
        const saved = L[s.stmt.local];
        const v = this.op(fr, s.stmt.value);
        const path = (s.stmt.path ?? []).map((i) => this.strings[i]!);
        L[s.stmt.local] = path.length === 0 ? v : upsert(saved, path, v);
        try {
          return this.nested(fr, s.stmt.block, results);
        } finally {
          L[s.stmt.local] = saved;
        }
      }
    }
  }
}


function merge(a: Value, b: Value): Value {
  if (!isObject(a) || !isObject(b)) return a;
  const out = mkObject([...a.m.values()]);
  for (const [k, v] of b.m.values()) {
    const cur = get(out, k);
    out.m.set(keyOf(k), [k, cur === undefined ? v : merge(cur, v)]);
  }
  return out;
}

function upsert(base: Value | undefined, path: string[], v: Value | undefined): Value | undefined {
  if (v === undefined) return base;
  const [head, ...rest] = path;
  const obj = isObject(base) ? mkObject([...base.m.values()]) : mkObject();
  obj.m.set(keyOf(head!), [head!, rest.length === 0 ? v : (upsert(get(obj, head!), rest, v) as Value)]);
  return obj;
}
