/**
 * Input by need: which parts of `input` each plan of an IR policy can read.
 *
 * An abstract interpretation over the plan (OPA's IR, `../ir/plan.ts`): every
 * local carries the set of input paths it may alias at each point (local 0 is
 * the input, path `[]`), statement by statement: the planner reuses locals
 * across sibling rule bodies, so an assignment replaces what a local aliased,
 * and the state after a block joins every state inside it (a block can be
 * left after any statement). A `DotStmt` with a constant string key extends a path; anything
 * that looks at a value as a whole (comparison, builtin or function argument
 * the analysis cannot follow, iteration, `count`, result, `with`, a dynamic
 * key, a value stored into a collection) marks the aliased path as read
 * *whole*. Values are followed through locals, function calls (each function
 * analysed per pattern of argument aliases) and dynamic calls (every function
 * whose path can match). Existence and kind checks (`IsDefined`, `IsObject`,
 * …) need only the node itself: they are satisfied by any read below it, and
 * otherwise become a whole read. When unsure, the analysis reads the subtree.
 *
 * The result per plan is a list of paths (string segments; `[]` alone is the
 * whole input). `pruneInput` keeps exactly those subtrees of an input (and
 * the objects on the way to them); evaluating a plan on the pruned input
 * gives the result it gives on the full input (property-tested over OPA's
 * conformance cases and the Acme policy). Plans decoded from OPA's JSON may
 * carry null for empty lists (Go nil slices): they read as empty.
 */
import type { Block, Func, Local, Operand, Policy, Stmt } from '../ir/plan';

/** Paths into `input`, each a list of object keys; `[[]]` is the whole input. */
export type InputPaths = readonly (readonly string[])[];

/** Beyond this depth a path is read whole (bounds the analysis on deep refs). */
const MAX_DEPTH = 32;
/** Iterations of a scan body before what it aliases is read whole (bounds a path growing per element). */
const MAX_ROUNDS = 64;
/** Beyond this many distinct argument patterns per function, its arguments are read whole. */
const MAX_CONTEXTS = 16;

/** The needed part of the input, as a trie. */
interface Need {
  whole: boolean;
  /** The node must exist with its kind (satisfied by any read below it). */
  present: boolean;
  children: Map<string, Need>;
}

const newNeed = (): Need => ({ whole: false, present: false, children: new Map() });

/** Paths a local may alias, keyed by their JSON (dedup). */
type Origins = Map<string, readonly string[]>;

const keyOf = (path: readonly string[]): string => JSON.stringify(path);
const ROOT_KEY = keyOf([]);

class Analysis {
  private readonly need = newNeed();
  private readonly funcs: Map<string, Func>;
  /** Function name + argument pattern → origins of its return value. */
  private readonly memo = new Map<string, Origins>();
  private readonly active = new Set<string>();
  private readonly contexts = new Map<string, number>();

  constructor(
    private readonly policy: Policy,
    private readonly strings: readonly string[],
  ) {
    this.funcs = new Map((policy.funcs?.funcs ?? []).map((f) => [f.name, f]));
  }

  private node(path: readonly string[]): Need {
    let n = this.need;
    for (const seg of path) {
      if (n.whole) return n;
      let c = n.children.get(seg);
      if (c === undefined) {
        c = newNeed();
        n.children.set(seg, c);
      }
      n = c;
    }
    return n;
  }

  private whole(origins: Origins | undefined): void {
    if (origins) for (const p of origins.values()) this.node(p).whole = true;
  }

  private present(origins: Origins | undefined): void {
    if (origins) for (const p of origins.values()) this.node(p).present = true;
  }

  /** The plan's needs as minimal paths. */
  result(): string[][] {
    const out: string[][] = [];
    const walk = (n: Need, path: string[]): void => {
      if (n.whole) {
        out.push(path);
        return;
      }
      const kept = [...n.children].filter(([, c]) => hasNeed(c));
      if (kept.length === 0) {
        // Only the node's existence or kind is looked at: keep it whole.
        if (n.present) out.push(path);
        return;
      }
      for (const [k, c] of kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) walk(c, [...path, k]);
    };
    walk(this.need, []);
    return out;
  }

  analysePlan(blocks: Block[]): void {
    const state: State = new Map([[0, new Map([[ROOT_KEY, []]])]]);
    this.body(blocks, state);
  }

  /** A function body or plan: its blocks in order; returns the origins of what it returns. */
  private body(blocks: readonly Block[], state: State): Origins {
    const frame: Frame = { ret: new Map(), once: new Map() };
    countOnce(blocks, frame.once);
    let st = state;
    for (const b of blocks) st = this.block(b, st, frame);
    return frame.ret;
  }

  /**
   * Run a block from `entry`, statement by statement: a statement that
   * defines a local replaces what it aliased (the planner reuses locals
   * across sibling bodies). A block can be left after any statement, so the
   * state after it joins every state on the way: `entry` and every value
   * assigned in it. `entry` is not changed.
   */
  private block(b: Block, entry: State, frame: Frame): State {
    const cur: State = new Map(entry);
    const after: State = new Map(entry);
    // Arrays of constant strings built in this block so far (`object.get(x, ["a", "b"], d)`).
    const arrays = new Map<Local, readonly string[]>();
    const set = (l: Local, o: Origins): void => {
      cur.set(l, o);
      joinInto(after, l, o);
      arrays.delete(l);
    };
    for (const s of b.stmts ?? []) this.stmt(s, cur, set, frame, arrays);
    return after;
  }

  /** What `src.seg` aliases; the key must be kept where it exists, even if its value is never used. */
  private dot(src: Origins | undefined, seg: string): Origins {
    if (src === undefined || src.size === 0) return NONE;
    const out: Origins = new Map();
    for (const p of src.values()) {
      if (p.length >= MAX_DEPTH) this.node(p).whole = true;
      else {
        const q = [...p, seg];
        out.set(keyOf(q), q);
        this.node(q).present = true;
      }
    }
    return out;
  }

  private operand(op: Operand, state: State): Origins | undefined {
    return op.type === 'local' ? state.get(op.value) : undefined;
  }

  private stmt(s: Stmt, state: State, set: (l: Local, o: Origins) => void, frame: Frame, arrays: Map<Local, readonly string[]>): void {
    const op = (o: Operand): Origins | undefined => this.operand(o, state);
    const loc = (l: Local): Origins | undefined => state.get(l);
    /** Continue with the state a nested block left (which may have changed any array). */
    const adopt = (st: State): void => {
      for (const [l, o] of st) if (state.get(l) !== o) set(l, o);
      arrays.clear();
    };
    switch (s.type) {
      case 'DotStmt': {
        const src = op(s.stmt.source);
        if (src === undefined || src.size === 0) {
          set(s.stmt.target, NONE);
          return;
        }
        const key = s.stmt.key;
        if (key.type !== 'string_index') {
          // A dynamic or non-string key (array index, `input.headers[x]`): the subtree.
          this.whole(src);
          this.whole(op(key));
          set(s.stmt.target, NONE);
          return;
        }
        set(s.stmt.target, this.dot(src, this.strings[key.value] ?? ''));
        return;
      }
      case 'AssignVarStmt':
        set(s.stmt.target, op(s.stmt.source) ?? NONE);
        return;
      case 'AssignVarOnceStmt': {
        // Assigned at more than one place: the later ones compare with the first.
        const many = (frame.once.get(s.stmt.target) ?? 0) > 1;
        if (many) {
          this.whole(op(s.stmt.source));
          this.whole(loc(s.stmt.target));
        }
        // Keeps the first value when already set: both may flow on.
        set(s.stmt.target, union(loc(s.stmt.target), op(s.stmt.source)));
        return;
      }
      case 'ReturnLocalStmt': {
        const src = loc(s.stmt.source);
        if (src) for (const [k, p] of src) if (!frame.ret.has(k)) frame.ret.set(k, p);
        return;
      }
      case 'IsDefinedStmt':
      case 'IsUndefinedStmt':
        this.present(loc(s.stmt.source));
        return;
      case 'IsObjectStmt':
      case 'IsArrayStmt':
      case 'IsSetStmt':
        this.present(op(s.stmt.source));
        return;
      case 'EqualStmt':
      case 'NotEqualStmt':
        this.whole(op(s.stmt.a));
        this.whole(op(s.stmt.b));
        return;
      case 'LenStmt':
        this.whole(op(s.stmt.source));
        set(s.stmt.target, NONE);
        return;
      case 'ScanStmt': {
        this.whole(loc(s.stmt.source));
        // The body runs once per element: iterate until what its locals alias stops growing.
        let st: State = new Map(state);
        for (let round = 0; ; round++) {
          st.set(s.stmt.key, NONE);
          st.set(s.stmt.value, NONE);
          const out = this.block(s.stmt.block, st, frame);
          const joined = joinStates(st, out);
          if (joined === undefined) break;
          st = joined;
          if (round >= MAX_ROUNDS) {
            // Not settling (a path growing on each iteration): what it aliases is read whole.
            for (const o of st.values()) this.whole(o);
            break;
          }
        }
        adopt(st);
        return;
      }
      case 'ArrayAppendStmt': {
        const built = arrays.get(s.stmt.array);
        const value = s.stmt.value;
        if (built !== undefined && value.type === 'string_index') arrays.set(s.stmt.array, [...built, this.strings[value.value] ?? '']);
        else arrays.delete(s.stmt.array);
        this.whole(op(value));
        this.whole(loc(s.stmt.array));
        return;
      }
      case 'SetAddStmt':
        this.whole(op(s.stmt.value));
        this.whole(loc(s.stmt.set));
        return;
      case 'ObjectInsertStmt':
      case 'ObjectInsertOnceStmt':
        this.whole(op(s.stmt.key));
        this.whole(op(s.stmt.value));
        this.whole(loc(s.stmt.object));
        return;
      case 'ObjectMergeStmt':
        this.whole(loc(s.stmt.a));
        this.whole(loc(s.stmt.b));
        set(s.stmt.target, NONE);
        return;
      case 'ResultSetAddStmt':
        this.whole(loc(s.stmt.value));
        return;
      case 'CallStmt': {
        const args = (s.stmt.args ?? []).map(op);
        const fn = this.funcs.get(s.stmt.func);
        if (fn === undefined) {
          const key = s.stmt.args?.[1];
          const path = key?.type === 'string_index' ? [this.strings[key.value] ?? ''] : key?.type === 'local' ? arrays.get(key.value) : undefined;
          if (s.stmt.func === 'object.get' && args.length === 3 && path !== undefined) {
            // `object.get(x, "k", default)` reads x.k as `x.k` would (a path key: x.a.b), or gives the default.
            set(s.stmt.result, union(path.reduce((o, seg) => this.dot(o, seg), args[0] ?? NONE), args[2]));
            return;
          }
          // A builtin: it may look at all of each argument.
          for (const a of args) this.whole(a);
          set(s.stmt.result, NONE);
          return;
        }
        set(s.stmt.result, this.call(fn, args));
        return;
      }
      case 'CallDynamicStmt': {
        const path = s.stmt.path ?? [];
        for (const p of path) this.whole(op(p));
        const args = (s.stmt.args ?? []).map(loc);
        const segs = path.map((p) => (p.type === 'string_index' ? this.strings[p.value] : undefined));
        let result: Origins = NONE;
        for (const fn of this.funcs.values()) {
          if (fn.path === undefined || fn.path.length !== segs.length) continue;
          if (!segs.every((seg, i) => seg === undefined || seg === fn.path?.[i])) continue;
          result = union(result, this.call(fn, args));
        }
        set(s.stmt.result, result);
        return;
      }
      case 'WithStmt': {
        // `with input.a.b as v` (or `with data… as input.x`): the replaced subtree and the value.
        const target = loc(s.stmt.local);
        const segs = (s.stmt.path ?? []).map((i) => this.strings[i] ?? '');
        const value = op(s.stmt.value);
        // The planner restores the input after a `with` by replacing it with its saved self: no read.
        const restore = segs.length === 0 && target !== undefined && value !== undefined && sameOrigins(target, value);
        if (!restore) {
          if (target) for (const p of target.values()) this.node([...p, ...segs].slice(0, MAX_DEPTH)).whole = true;
          this.whole(value);
        }
        adopt(this.block(s.stmt.block, state, frame));
        return;
      }
      case 'BlockStmt': {
        let st: State = state;
        for (const b of s.stmt.blocks ?? []) st = this.block(b, st, frame);
        adopt(st);
        return;
      }
      case 'NotStmt':
        adopt(this.block(s.stmt.block, state, frame));
        return;
      case 'MakeArrayStmt':
        set(s.stmt.target, NONE);
        arrays.set(s.stmt.target, []);
        return;
      case 'AssignIntStmt':
      case 'MakeNullStmt':
      case 'MakeNumberIntStmt':
      case 'MakeNumberRefStmt':
      case 'MakeObjectStmt':
      case 'MakeSetStmt':
      case 'ResetLocalStmt':
        set(s.stmt.target, NONE);
        return;
      case 'BreakStmt':
      case 'NopStmt':
        return;
      default: {
        // A statement this analysis does not know: everything it names is read whole.
        for (const v of Object.values((s as unknown as { stmt: Record<string, unknown> }).stmt)) {
          if (typeof v === 'number') this.whole(state.get(v));
          else if (v !== null && typeof v === 'object' && (v as Operand).type === 'local') this.whole(op(v as Operand));
        }
        this.whole(state.get(0));
      }
    }
  }

  /** Origins of `fn`'s result when called with arguments aliasing `args`. */
  private call(fn: Func, args: readonly (Origins | undefined)[], bounded = true): Origins {
    const pattern = args.map((a) => (a ? [...a.keys()].sort() : []));
    const key = `${fn.name}\u0000${JSON.stringify(pattern)}`;
    const known = this.memo.get(key);
    if (known) return known;
    const seen = this.contexts.get(fn.name) ?? 0;
    if (this.active.has(key)) {
      // Recursion (never planned from Rego): its result is unknown, so the whole input.
      this.node([]).whole = true;
      return new Map();
    }
    if (bounded && seen >= MAX_CONTEXTS) {
      // Too many patterns: arguments are read whole and the body analysed once without
      // their aliases, except the input itself (every function's first parameter).
      const plain = args.map((a) => {
        if (a !== undefined && a.size === 1 && a.has(ROOT_KEY)) return a;
        this.whole(a);
        return undefined;
      });
      return this.call(fn, plain, false);
    }
    this.contexts.set(fn.name, seen + 1);
    this.active.add(key);
    const state: State = new Map();
    (fn.params ?? []).forEach((param, i) => {
      const a = args[i];
      if (a && a.size > 0) state.set(param, new Map(a));
    });
    const ret = this.body(fn.blocks ?? [], state);
    this.active.delete(key);
    this.memo.set(key, ret);
    return ret;
  }
}

/** What each local may alias at one point of a block (an Origins value is never changed once stored). */
type State = Map<Local, Origins>;

/** Per function body: what it returns, and which locals `AssignVarOnceStmt` assigns more than once. */
interface Frame {
  readonly ret: Origins;
  readonly once: Map<Local, number>;
}

const NONE: Origins = new Map();

function union(a: Origins | undefined, b: Origins | undefined): Origins {
  if (a === undefined || a.size === 0) return b ?? NONE;
  if (b === undefined || b.size === 0 || a === b) return a;
  const out: Origins = new Map(a);
  for (const [k, p] of b) out.set(k, p);
  return out.size === a.size ? a : out;
}

function joinInto(state: State, l: Local, o: Origins): void {
  const had = state.get(l);
  state.set(l, had === undefined ? o : union(had, o));
}

/** `a` joined with `b`, or undefined when `b` adds nothing to `a`. */
function joinStates(a: State, b: State): State | undefined {
  let out: State | undefined;
  for (const [l, o] of b) {
    const had = a.get(l);
    const joined = had === undefined ? o : union(had, o);
    if (joined === had || (had === undefined && o.size === 0)) continue;
    out ??= new Map(a);
    out.set(l, joined);
  }
  return out;
}

function sameOrigins(a: Origins, b: Origins): boolean {
  return a.size === b.size && [...a.keys()].every((k) => b.has(k));
}

function hasNeed(n: Need): boolean {
  return n.whole || n.present || [...n.children.values()].some(hasNeed);
}

/** How many `AssignVarOnceStmt`s assign each local (in these blocks, nested ones included). */
function countOnce(blocks: readonly Block[], out: Map<Local, number>): void {
  for (const b of blocks) {
    for (const s of b.stmts ?? []) {
      if (s.type === 'AssignVarOnceStmt') out.set(s.stmt.target, (out.get(s.stmt.target) ?? 0) + 1);
      else if (s.type === 'BlockStmt') countOnce(s.stmt.blocks ?? [], out);
      else if (s.type === 'NotStmt' || s.type === 'ScanStmt' || s.type === 'WithStmt') countOnce([s.stmt.block], out);
    }
  }
}

/**
 * The input paths each plan of `policy` can read, by plan name (for
 * `planEntrypoints`, the entrypoint `a/b/p`). `[[]]` means the whole input;
 * `[]` means the plan never reads the input.
 */
export function inputPaths(policy: Policy): Record<string, string[][]> {
  const strings = (policy.static?.strings ?? []).map((s) => s.value);
  const out: Record<string, string[][]> = {};
  for (const plan of policy.plans?.plans ?? []) {
    const a = new Analysis(policy, strings);
    a.analysePlan(plan.blocks ?? []);
    out[plan.name] = a.result();
  }
  return out;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Set) && !(v instanceof Map);
}

export interface PathTrie {
  whole: boolean;
  children: Map<string, PathTrie>;
}

export function trieOf(paths: InputPaths): PathTrie {
  const root: PathTrie = { whole: false, children: new Map() };
  for (const path of paths) {
    let n = root;
    for (const seg of path) {
      if (n.whole) break;
      let c = n.children.get(seg);
      if (c === undefined) {
        c = { whole: false, children: new Map() };
        n.children.set(seg, c);
      }
      n = c;
    }
    n.whole = true;
    n.children.clear();
  }
  return root;
}

type Select = (value: unknown) => unknown;

const keepAll: Select = (value) => value;

/**
 * The trie as nested closures: one property read per kept key (and an own-key
 * check for names Object.prototype also has), nothing else walked. A subtree
 * kept whole is taken by reference without a call.
 */
function compile(trie: PathTrie): Select {
  if (trie.whole) return keepAll;
  const keys: string[] = [];
  // null: keep the value whole
  const selects: (Select | null)[] = [];
  for (const [k, child] of trie.children) {
    keys.push(k);
    selects.push(child.whole ? null : compile(child));
  }
  const n = keys.length;
  // A key named `__proto__` stays an ordinary own property (known when the trie is compiled).
  const protoAt = keys.indexOf('__proto__');
  const inherited = keys.map((k) => k in Object.prototype);
  return (value) => {
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = keys[i] as string;
      const v = value[k];
      // undefined: absent, or a value JSON leaves out anyway; a key Object.prototype
      // also has (constructor, toString...) counts only as the object's own.
      if (v === undefined || (inherited[i] === true && !Object.hasOwn(value, k))) continue;
      const select = selects[i];
      const kept = select === null ? v : (select as Select)(v);
      if (i === protoAt) Object.defineProperty(out, k, { value: kept, enumerable: true, writable: true, configurable: true });
      else out[k] = kept;
    }
    return out;
  };
}

/**
 * Select the parts of `input` that `paths` name: each path's subtree whole,
 * and the objects on the way to it with only the keys on some path. Arrays,
 * strings and other non-objects met on the way are kept whole. Returns the
 * input itself when `paths` contains `[]`.
 */
export function pruneInput(input: unknown, paths: InputPaths): unknown {
  return compile(trieOf(paths))(input);
}

/**
 * A compiled selector for repeated use: `inputSelector(paths)(input)` is
 * `pruneInput(input, paths)` without rebuilding the trie per call.
 */
export function inputSelector(paths: InputPaths): (input: unknown) => unknown {
  return compile(trieOf(paths));
}
