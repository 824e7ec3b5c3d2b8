/**
 * Compiled Rego → OPA IR plan. A TypeScript port of the structure of OPA's
 * `internal/planner` (continuation-passing: every `plan*` method emits
 * statements into the current block and then calls `iter` to plan the rest
 * of the query inside the scope it opened — a scan body, a block, …).
 *
 * Local numbering, statement order, string-pool order and function naming
 * follow OPA so that our plans can be diffed against OPA's golden plans.
 */
import type { Block, BuiltinDecl, Func, Local, Operand, Plan, Policy, Stmt, StmtFields, StmtType } from '../ir/plan';
import { ConstPool } from './pool';
import { FuncStack, MockStack, RuleTrie, TrieKey } from './ruletrie';
import { VarStack } from './varstack';
import {
  BuiltinInfo, Loc, PBody, PExpr, PModule, PRule, PTerm, PValue,
  isGeneratedVar, isGround, isWildcardVar, refString, someVar, sortedPairs, sortedTerms, term, valueRank, valueString,
} from './model';
import { planError } from './errors';

type Iter = () => void;
type Trie = RuleTrie<PRule, PValue>;

const INPUT: Local = 0;
const DATA: Local = 1;

function trieKey(v: PValue): TrieKey<PValue> {
  const text = v.t === 'string' ? v.v : v.t === 'number' ? v.text : v.t === 'var' ? v.name : valueString(v);
  return { id: `${v.t}:${text}`, rank: valueRank(v), text, value: v };
}

function refKeys(terms: PTerm[]): TrieKey<PValue>[] {
  return terms.map((t) => trieKey(t.value));
}

function local(value: Local): Operand {
  return { type: 'local', value };
}

function bool(value: boolean): Operand {
  return { type: 'bool', value };
}

export interface QuerySpec {
  name: string;
  body: PBody;
  /** Rewritten (generated) query var name → the name the user wrote. */
  rewrittenVars?: Map<string, string>;
}

export class Planner {
  private readonly strings = new ConstPool();
  private readonly files = new ConstPool();
  private readonly externs = new Map<string, BuiltinInfo>();
  private readonly rules: Trie = new RuleTrie();
  private readonly mocks = new MockStack<PTerm>();
  private readonly funcs = new FuncStack();
  private readonly outFuncs: Func[] = [];
  private readonly outPlans: Plan[] = [];
  private plan: Plan | null = null;
  private curr: Block = { stmts: [] };
  private vars: VarStack = new VarStack(new Map([['input', INPUT], ['data', DATA]]));
  private ltarget: Operand = local(0);
  private lnext: Local = 2;
  private loc: Loc | null = null;
  private everyKeys = 0;

  constructor(
    private readonly modules: PModule[],
    private readonly builtin: (name: string) => BuiltinInfo | undefined,
  ) {}

  run(queries: QuerySpec[]): Policy {
    this.buildFunctrie();
    for (const q of queries) this.planQuerySet(q);
    const builtins = [...this.externs.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, info]) => ({ name, decl: info.decl as BuiltinDecl }));
    return {
      static: {
        strings: this.strings.values.map((value) => ({ value })),
        builtin_funcs: builtins,
        files: this.files.values.map((value) => ({ value })),
      },
      plans: { plans: this.outPlans },
      funcs: { funcs: this.outFuncs.length > 0 ? this.outFuncs : null },
    };
  }

  // ---- setup ---------------------------------------------------------------

  private buildFunctrie(): void {
    for (const m of this.modules) {
      if (m.rules.length === 0) {
        this.rules.lookupOrInsert(refKeys(m.packagePath));
        continue;
      }
      for (const rule of m.rules) {
        const node = this.rules.lookupOrInsert(refKeys(stringPrefix(rule.ref)));
        node.rules = [...node.descendantRules(), rule];
        node.clearChildren();
      }
    }
  }

  // ---- emission helpers ------------------------------------------------------

  private fail(message: string, loc: Loc | null = this.loc, code: 'rego_unsupported_error' | 'rego_internal_error' = 'rego_unsupported_error'): never {
    throw planError(message, loc, code);
  }

  private newLocal(): Local {
    return this.lnext++;
  }

  private str(s: string): number {
    return this.strings.get(s);
  }

  private mk<K extends StmtType>(type: K, fields: StmtFields[K]): Stmt {
    const loc = this.loc;
    const where = loc ? { file: this.files.get(loc.file || '<query>'), row: loc.row, col: loc.col } : { file: 0, row: 0, col: 0 };
    return { type, stmt: { ...fields, ...where } } as Stmt;
  }

  private emit<K extends StmtType>(type: K, fields: StmtFields[K]): void {
    this.curr.stmts.push(this.mk(type, fields));
  }

  private emitTo<K extends StmtType>(block: Block, type: K, fields: StmtFields[K]): void {
    block.stmts.push(this.mk(type, fields));
  }

  private blockWith<K extends StmtType>(type: K, fields: StmtFields[K]): Block {
    return { stmts: [this.mk(type, fields)] };
  }

  /** Arguments of every rule-function call: input, data and the locals captured by `with` mocks. */
  private defaultOperands(): Operand[] {
    return this.funcs.vars().map((v) => local(this.vars.getOrEmpty(v)));
  }

  private targetLocal(): Local {
    if (this.ltarget.type !== 'local') this.fail('internal: expected a local target');
    return this.ltarget.value;
  }

  // ---- queries -----------------------------------------------------------------

  private planQuerySet(qs: QuerySpec): void {
    this.plan = { name: qs.name, blocks: [] };
    this.outPlans.push(this.plan);
    const rw = (v: string): string => qs.rewrittenVars?.get(v) ?? v;

    const qvs = queryVars(qs.body);
    const names = new Map<string, number>();
    for (const v of qvs) {
      const r = rw(v);
      if (!isGeneratedVar(r) && !isWildcardVar(r)) names.set(r, this.str(r));
    }

    this.loc = qs.body[0]?.loc ?? { file: '<query>', row: 1, col: 1 };
    this.vars.push();
    this.curr = { stmts: [] };
    let defined = false;
    this.planBody(qs.body, 0, () => {
      const lr = this.newLocal();
      this.emit('MakeObjectStmt', { target: lr });
      for (const v of qvs) {
        const r = rw(v);
        if (isGeneratedVar(r) || isWildcardVar(r)) continue;
        this.emit('ObjectInsertStmt', { object: lr, key: { type: 'string_index', value: names.get(r)! }, value: local(this.vars.getOrEmpty(v)) });
      }
      this.emit('ResultSetAddStmt', { value: lr });
      defined = true;
    });
    this.vars.pop();
    if (defined) this.plan.blocks.push(this.curr);
  }

  private planBody(q: PBody, index: number, iter: Iter): void {
    if (index >= q.length) {
      iter();
      return;
    }
    const old = this.loc;
    this.loc = q[index]!.loc ?? old;
    this.planExpr(q[index]!, () => {
      this.planBody(q, index + 1, () => {
        const cur = this.loc;
        this.loc = old;
        iter();
        this.loc = cur;
      });
    });
    this.loc = old;
  }

  // ---- rules -------------------------------------------------------------------

  private planRules(input: PRule[]): string {
    const pathRef = input[0]!.ref;
    let pieces = pathRef.length;
    for (const r of input) {
      r.ref.forEach((t, j) => {
        if (t.value.t !== 'string' && j > 0 && j < pieces) pieces = j;
      });
    }
    const buildObject = pieces !== pathRef.length;
    const pathPieces: string[] = [];
    for (let i = 1; i < pieces; i++) {
      const v = pathRef[i]!.value;
      if (v.t !== 'string') this.fail(`rule path ${refString(pathRef)} cannot be planned`, input[0]!.headLoc, 'rego_internal_error');
      pathPieces.push(v.v);
    }
    const path = refString(pathRef.slice(0, pieces));
    const known = this.funcs.get(path);
    if (known !== undefined) return known;
    // Longer refs first, so conflicts between deep and shallow rules are detected (stable sort).
    const rules = [...input].sort((a, b) => b.ref.length - a.ref.length);

    const saved = { vars: this.vars, curr: this.curr, ltarget: this.ltarget, lnext: this.lnext, loc: this.loc };
    this.lnext = 0;
    this.loc = input[0]!.headLoc;
    const gen = this.funcs.gen();
    const argVars = this.funcs.vars();
    const fn: Func = {
      name: `g${gen}.${path}`,
      params: argVars.map(() => this.newLocal()),
      return: this.newLocal(),
      blocks: [],
      path: [`g${gen}`, ...pathPieces],
    };
    for (let i = 0; i < rules[0]!.args.length; i++) fn.params.push(this.newLocal());
    const params = fn.params.slice(argVars.length);
    const frame = (): VarStack => new VarStack(new Map(argVars.map((v, i) => [v, fn.params[i]!] as [string, Local])));
    const multi = rules[0]!.multiValue;
    if (buildObject) fn.blocks.push(this.blockWith('MakeObjectStmt', { target: fn.return }));
    else if (multi) fn.blocks.push(this.blockWith('MakeSetStmt', { target: fn.return }));

    const lresult = this.newLocal();
    const lnext = this.lnext;
    const defaults: PRule[] = [];
    let ruleLoc: Loc | null = null;

    rules.forEach((first, i) => {
      if (i === 0) ruleLoc = this.loc;
      if (first.isDefault) {
        defaults.push(first);
        return;
      }
      let blocks: Block[];
      if (first.else === null) {
        blocks = fn.blocks;
      } else {
        const inner: Block[] = [];
        fn.blocks.push({ stmts: [this.mk('BlockStmt', { blocks: inner })] });
        blocks = inner;
      }
      let prev: PRule | null = null;
      for (let rule: PRule | null = first; rule !== null; prev = rule, rule = rule.else) {
        const r: PRule = rule;
        this.loc = r.headLoc;
        this.lnext = lnext;
        this.vars = frame();
        const cur: Block = { stmts: [] };
        blocks.push(cur);
        this.curr = cur;
        if (prev !== null) this.emit('IsUndefinedStmt', { source: lresult });
        else this.emit('ResetLocalStmt', { target: lresult });

        this.planFuncParams(params, r.args, 0, () => {
          this.planBody(r.body, 0, () => {
            const ref = r.ref;
            if (!r.multiValue) {
              const value = r.value ?? term({ t: 'boolean', v: true });
              if (buildObject) {
                this.planTerm(value, () => {
                  const v = this.ltarget;
                  this.planNestedObjects(fn.return, ref.slice(pieces, ref.length - 1), (obj) => {
                    this.planTerm(ref[ref.length - 1]!, () => {
                      this.emit('ObjectInsertOnceStmt', { object: obj, key: this.ltarget, value: v });
                    });
                  });
                });
                return;
              }
              this.planTerm(value, () => {
                this.emit('AssignVarOnceStmt', { target: lresult, source: this.ltarget });
              });
              return;
            }
            const key = r.key;
            if (!key) this.fail('multi-value rule without a key', r.headLoc, 'rego_internal_error');
            if (buildObject) {
              this.planNestedObjects(fn.return, ref.slice(pieces, ref.length - 1), (obj) => {
                this.planTerm(ref[ref.length - 1]!, () => {
                  const k = this.ltarget;
                  this.planTerm(key, () => {
                    const v = this.ltarget;
                    this.planDotOr(obj, k, (l) => this.mk('MakeSetStmt', { target: l }), (set) => {
                      this.emit('SetAddStmt', { set, value: v });
                      this.emit('ObjectInsertStmt', { key: k, value: local(set), object: obj });
                    });
                  });
                });
              });
              return;
            }
            this.planTerm(key, () => {
              this.emit('SetAddStmt', { set: fn.return, value: this.ltarget });
            });
          });
        });
      }
      if (!first.multiValue && !buildObject) {
        const end: Block = { stmts: [] };
        this.emitTo(end, 'IsDefinedStmt', { source: lresult });
        this.emitTo(end, 'AssignVarOnceStmt', { target: fn.return, source: local(lresult) });
        blocks.push(end);
      }
    });

    if (buildObject) {
      // Defaults below a non-string key (`default r[true] := 1`) each fill their own key of
      // the object when no other rule defined it; siblings do not shadow each other.
      for (const d of defaults) {
        this.loc = d.headLoc;
        const b: Block = { stmts: [] };
        fn.blocks.push(b);
        this.curr = b;
        this.vars = frame();
        this.planNestedObjects(fn.return, d.ref.slice(pieces, d.ref.length - 1), (obj) => {
          this.planTerm(d.ref[d.ref.length - 1]!, () => {
            const key = this.ltarget;
            this.emit('NotStmt', { block: this.blockWith('DotStmt', { source: local(obj), key, target: this.newLocal() }) });
            this.planTerm(d.value ?? term({ t: 'boolean', v: true }), () => {
              this.emit('ObjectInsertOnceStmt', { object: obj, key, value: this.ltarget });
            });
          });
        });
      }
    }
    const dflt = buildObject ? null : (defaults[defaults.length - 1] ?? null);
    if (dflt !== null) {
      this.loc = dflt.headLoc;
      const b = this.blockWith('IsUndefinedStmt', { source: fn.return });
      fn.blocks.push(b);
      this.curr = b;
      this.planBody(dflt.body, 0, () => {
        this.loc = dflt.headLoc;
        this.planTerm(dflt.value ?? term({ t: 'boolean', v: true }), () => {
          this.emit('AssignVarOnceStmt', { target: fn.return, source: this.ltarget });
        });
      });
    }

    this.loc = ruleLoc;
    fn.blocks.push(this.blockWith('ReturnLocalStmt', { source: fn.return }));
    this.outFuncs.push(fn);
    this.funcs.add(path, fn.name);

    this.lnext = saved.lnext;
    this.ltarget = saved.ltarget;
    this.vars = saved.vars;
    this.curr = saved.curr;
    this.loc = saved.loc;
    return fn.name;
  }

  private planFuncParams(params: Local[], args: PTerm[], idx: number, iter: Iter): void {
    if (idx >= args.length) {
      iter();
      return;
    }
    this.planUnifyLocal(local(params[idx]!), args[idx]!, () => this.planFuncParams(params, args, idx + 1, iter));
  }

  /** `obj[key]`, or a new value made by `or` when absent; `iter` may update it; then stored back. */
  private planDotOr(obj: Local, key: Operand, or: (l: Local) => Stmt, iter: (val: Local) => void): void {
    const prev = this.curr;
    const dotBlock: Block = { stmts: [] };
    this.curr = dotBlock;
    const val = this.newLocal();
    this.emit('DotStmt', { source: local(obj), key, target: val });
    this.emit('BreakStmt', { index: 1 });
    const outer: Block = { stmts: [this.mk('BlockStmt', { blocks: [dotBlock] }), or(val)] };
    this.curr = prev;
    this.emit('BlockStmt', { blocks: [outer] });
    iter(val);
    this.emit('ObjectInsertStmt', { key, value: local(val), object: obj });
  }

  private planNestedObjects(obj: Local, ref: PTerm[], iter: (obj: Local) => void): void {
    if (ref.length === 0) {
      iter(obj);
      return;
    }
    this.planTerm(ref[0]!, () => {
      const key = this.ltarget;
      this.planDotOr(obj, key, (l) => this.mk('MakeObjectStmt', { target: l }), (child) => {
        this.planNestedObjects(child, ref.slice(1), iter);
      });
    });
  }

  // ---- expressions ---------------------------------------------------------------

  private planExpr(e: PExpr, iter: Iter): void {
    if (e.negated) return this.planNot(e, iter);
    if (e.with.length > 0) return this.planWith(e, iter);
    switch (e.body.kind) {
      case 'call':
        return this.planExprCall(e, e.body.operator, e.body.operands, iter);
      case 'every':
        return this.planExprEvery(e.body, iter);
      default:
        return this.planExprTerm(e.body.term, iter);
    }
  }

  private planNot(e: PExpr, iter: Iter): void {
    const block: Block = { stmts: [] };
    const prev = this.curr;
    this.curr = block;
    this.planExpr({ ...e, negated: false }, () => {});
    this.curr = prev;
    this.emit('NotStmt', { block });
    iter();
  }

  private isFunctionRef(r: PTerm[]): boolean {
    const node = this.rules.lookup(refKeys(r));
    return node !== null && node.arity() > 0;
  }

  private planWith(e: PExpr, iter: Iter): void {
    const values: PTerm[] = [];
    const targets: PTerm[][] = [];
    const mocks = new Map<string, PTerm>();
    for (const w of e.with) {
      const tv = w.target.value;
      if (tv.t !== 'ref') this.fail('invalid with target', w.loc ?? e.loc);
      const head = tv.terms[0]!.value;
      if (!this.isFunctionRef(tv.terms) && head.t === 'var' && (head.name === 'data' || head.name === 'input')) {
        values.push(w.value);
        targets.push(tv.terms);
        continue;
      }
      mocks.set(refString(tv.terms), w.value);
    }

    this.planTermSlice(values, (locals) => {
      this.mocks.pushFrame(mocks);
      const paths: number[][] = [];
      const saveVars = new Set<string>();
      const dataRefs: PTerm[][] = [];
      targets.forEach((target, i) => {
        const p: number[] = [];
        for (let j = 1; j < target.length; j++) {
          const v = target[j]!.value;
          if (v.t !== 'string') this.fail('invalid with target: path must be made of strings', target[j]!.loc ?? e.loc);
          p.push(this.str(v.v));
        }
        paths[i] = p;
        const head = (target[0]!.value as { name: string }).name;
        saveVars.add(head);
        if (head === 'data') dataRefs.push(target);
      });

      const restore: [Local, Local][] = [];
      for (const v of [...saveVars].sort()) {
        const lorig = this.vars.getOrEmpty(v);
        const lsave = this.newLocal();
        this.emit('AssignVarStmt', { source: local(lorig), target: lsave });
        restore.push([lorig, lsave]);
      }

      const shadowing = dataRefs.some((r) => this.rules.lookup(refKeys(r)) !== null) || mocks.size > 0;
      // Locals used by mock values travel into re-planned functions as extra parameters.
      const captured: string[] = [];
      for (const value of mocks.values()) {
        someVar(value, (name) => {
          if (name !== 'input' && name !== 'data' && this.vars.get(name) !== undefined && !captured.includes(name)) captured.push(name);
          return false;
        });
      }
      const shadow = (): void => {
        this.funcs.push(captured);
        for (const r of dataRefs) this.rules.push(refKeys(r));
      };
      const unshadow = (): void => {
        this.funcs.pop();
        for (let i = dataRefs.length - 1; i >= 0; i--) this.rules.pop(refKeys(dataRefs[i]!));
      };
      if (shadowing) shadow();

      this.planWithRec(e, targets, paths, locals, 0, () => {
        this.mocks.popFrame();
        if (shadowing) unshadow();
        this.planWithUndoRec(restore, 0, () => {
          iter();
          this.mocks.pushFrame(mocks);
          if (shadowing) shadow();
        });
      });

      this.mocks.popFrame();
      if (shadowing) unshadow();
    });
  }

  private planWithRec(e: PExpr, targets: PTerm[][], paths: number[][], values: Operand[], index: number, iter: Iter): void {
    if (index >= targets.length) {
      this.planExpr({ ...e, with: [] }, iter);
      return;
    }
    const prev = this.curr;
    this.curr = { stmts: [] };
    this.planWithRec(e, targets, paths, values, index + 1, iter);
    const block = this.curr;
    this.curr = prev;
    const head = (targets[index]![0]!.value as { name: string }).name;
    this.emit('WithStmt', { local: this.vars.getOrEmpty(head), path: paths[index]!, value: values[index]!, block });
  }

  private planWithUndoRec(restore: [Local, Local][], index: number, iter: Iter): void {
    if (index >= restore.length) {
      iter();
      return;
    }
    const prev = this.curr;
    this.curr = { stmts: [] };
    this.planWithUndoRec(restore, index + 1, iter);
    const block = this.curr;
    this.curr = prev;
    const [lorig, lsave] = restore[index]!;
    this.emit('WithStmt', { local: lorig, path: [], value: local(lsave), block });
  }

  private planExprTerm(t: PTerm, iter: Iter): void {
    const v = t.value;
    if (v.t === 'boolean' && !v.v) {
      this.emit('BreakStmt', { index: 0 });
      iter();
      return;
    }
    if (v.t === 'ref' || v.t === 'var') {
      this.planTerm(t, () => {
        this.emit('NotEqualStmt', { a: this.ltarget, b: bool(false) });
        iter();
      });
      return;
    }
    if (v.t === 'call') this.fail('nested call terms must be rewritten by the compiler before planning', t.loc ?? this.loc);
    // Any other term (true, a number, a string, a collection…) is truthy.
    iter();
  }

  private planExprEvery(ev: { key: PTerm | null; value: PTerm; domain: PTerm; body: PBody }, iter: Iter): void {
    const cond0 = this.newLocal();
    const cond1 = this.newLocal();
    this.emit('ResetLocalStmt', { target: cond0 });
    const key = ev.key ?? term({ t: 'var', name: `$every_key${this.everyKeys++}` });
    this.planTerm(ev.domain, () => {
      const dom = this.ltarget;
      const guard = (type: 'IsArrayStmt' | 'IsObjectStmt' | 'IsSetStmt'): Block => ({
        stmts: [this.mk(type, { source: dom }), this.mk('BreakStmt', { index: 1 })],
      });
      this.emit('BlockStmt', {
        blocks: [{
          stmts: [
            this.mk('BlockStmt', { blocks: [guard('IsArrayStmt'), guard('IsObjectStmt'), guard('IsSetStmt')] }),
            this.mk('BreakStmt', { index: 1 }),
          ],
        }],
      });
      this.planScan(key, () => {
        this.emit('ResetLocalStmt', { target: cond1 });
        const nestedBlock: Block = { stmts: [] };
        const prev = this.curr;
        this.curr = nestedBlock;
        const lval = this.ltarget;
        this.planUnifyLocal(lval, ev.value, () => {
          this.planBody(ev.body, 0, () => {
            this.emit('AssignVarStmt', { source: bool(true), target: cond1 });
          });
        });
        this.curr = prev;
        this.emit('BlockStmt', { blocks: [nestedBlock] });
        this.emit('IsUndefinedStmt', { source: cond1 });
        this.emit('AssignVarStmt', { source: bool(true), target: cond0 });
      });
    });
    this.emit('IsUndefinedStmt', { source: cond0 });
    iter();
  }

  private planExprCall(e: PExpr, opTerm: PTerm, operands: PTerm[], iter: Iter): void {
    if (opTerm.value.t !== 'ref') this.fail('illegal call: operator is not a reference', opTerm.loc ?? e.loc);
    const opRef = opTerm.value.terms;
    let operator = refString(opRef);
    if (operator === 'eq' || operator === 'assign') {
      if (operands.length !== 2) this.fail(`illegal call: ${operator} expects 2 operands`, e.loc);
      return this.planUnify(operands[0]!, operands[1]!, iter);
    }

    const replacement = this.mocks.lookup(operator);
    if (replacement !== undefined) {
      const rv = replacement.value;
      if (rv.t === 'ref') {
        const rhead = rv.terms[0]!.value;
        const isDocRef = rhead.t === 'var' && (rhead.name === 'data' || rhead.name === 'input');
        if (!isDocRef) {
          // replacement is a builtin
          operator = refString(rv.terms);
          const bi = this.builtin(operator);
          if (!bi) this.fail(`with: unknown builtin ${operator}`, e.loc);
          this.externs.set(operator, bi);
          return this.planExprCallFunc(operator, bi.arity, false, operands, [], iter);
        }
        const node = this.rules.lookup(refKeys(rv.terms));
        if (node !== null && node.arity() > 0) {
          this.mocks.push();
          const name = this.planRules(node.collectRules());
          this.mocks.pop();
          return this.planExprCallFunc(name, node.arity(), false, operands, this.defaultOperands(), iter);
        }
      }
      const bi = this.builtin(operator);
      if (bi) return this.planExprCallValue(replacement, bi.arity, operands, iter);
      const node = this.rules.lookup(refKeys(opRef));
      if (node !== null) return this.planExprCallValue(replacement, node.arity(), operands, iter);
      this.fail(`illegal replacement of operator ${operator} by ${valueString(rv)}`, e.loc);
    }

    let name: string;
    let arity: number;
    let relation = false;
    let isVoid = false;
    let args: Operand[] = [];
    const node = this.rules.lookup(refKeys(opRef));
    if (node !== null) {
      name = this.planRules(node.collectRules());
      arity = node.arity();
      args = this.defaultOperands();
    } else {
      const bi = this.builtin(operator);
      if (!bi) this.fail(`illegal call: unknown function ${operator}`, opTerm.loc ?? e.loc);
      relation = bi.relation;
      arity = bi.arity;
      isVoid = bi.void;
      name = operator;
      this.externs.set(operator, bi);
    }
    if (operands.length < arity || operands.length > arity + 1) {
      this.fail(`illegal call: ${operator}: wrong number of operands: got ${operands.length}, want ${arity}`, e.loc);
    }
    if (relation) return this.planExprCallRelation(name, arity, operands, args, iter);
    return this.planExprCallFunc(name, arity, isVoid, operands, args, iter);
  }

  private planExprCallRelation(name: string, arity: number, operands: PTerm[], args: Operand[], iter: Iter): void {
    if (operands.length === arity) {
      this.planCallArgs(operands, 0, args, (as) => {
        const lt = this.newLocal();
        this.ltarget = local(lt);
        this.emit('CallStmt', { func: name, args: as, result: lt });
        const lsize = this.newLocal();
        this.emit('LenStmt', { source: local(lt), target: lsize });
        const lzero = this.newLocal();
        this.emit('MakeNumberIntStmt', { value: 0, target: lzero });
        this.emit('NotEqualStmt', { a: local(lsize), b: local(lzero) });
        iter();
      });
      return;
    }
    this.planCallArgs(operands.slice(0, -1), 0, args, (as) => {
      const lt = this.newLocal();
      this.ltarget = local(lt);
      this.emit('CallStmt', { func: name, args: as, result: lt });
      this.planScanValues(operands[operands.length - 1]!, () => iter());
    });
  }

  private planExprCallFunc(name: string, arity: number, isVoid: boolean, operands: PTerm[], args: Operand[], iter: Iter): void {
    if (operands.length === arity) {
      this.planCallArgs(operands, 0, args, (as) => {
        const lt = this.newLocal();
        this.ltarget = local(lt);
        this.emit('CallStmt', { func: name, args: as, result: lt });
        if (!isVoid) this.emit('NotEqualStmt', { a: local(lt), b: bool(false) });
        iter();
      });
      return;
    }
    if (operands.length === arity + 1) {
      this.planCallArgs(operands.slice(0, -1), 0, args, (as) => {
        const result = this.newLocal();
        this.emit('CallStmt', { func: name, args: as, result });
        this.planUnifyLocal(local(result), operands[operands.length - 1]!, iter);
      });
      return;
    }
    this.fail(`illegal call: ${name}: arity mismatch`);
  }

  private planExprCallValue(value: PTerm, arity: number, operands: PTerm[], iter: Iter): void {
    if (operands.length === arity) {
      this.planCallArgs(operands, 0, [], () => {
        this.ltarget = local(this.newLocal());
        this.planTerm(value, () => {
          this.emit('NotEqualStmt', { a: this.ltarget, b: bool(false) });
          iter();
        });
      });
      return;
    }
    if (operands.length === arity + 1) {
      this.planCallArgs(operands.slice(0, -1), 0, [], () => {
        this.ltarget = local(this.newLocal());
        this.planTerm(value, () => {
          this.planUnifyLocal(this.ltarget, operands[operands.length - 1]!, iter);
        });
      });
      return;
    }
    this.fail('impossible replacement, arity mismatch');
  }

  private planCallArgs(terms: PTerm[], idx: number, args: Operand[], iter: (args: Operand[]) => void): void {
    if (idx >= terms.length) {
      iter(args);
      return;
    }
    this.planTerm(terms[idx]!, () => {
      this.planCallArgs(terms, idx + 1, [...args, this.ltarget], iter);
    });
  }

  // ---- unification -------------------------------------------------------------

  private planUnify(a: PTerm, b: PTerm, iter: Iter): void {
    const va = a.value;
    const vb = b.value;
    switch (va.t) {
      case 'null': case 'boolean': case 'number': case 'string': case 'ref': case 'set':
      case 'setcomp': case 'arraycomp': case 'objectcomp':
        this.planTerm(a, () => this.planUnifyLocal(this.ltarget, b, iter));
        return;
      case 'var':
        this.planUnifyVar(va.name, b, iter);
        return;
      case 'array':
        if (vb.t === 'var') return this.planUnifyVar(vb.name, a, iter);
        if (vb.t === 'ref' || vb.t === 'arraycomp') {
          this.planTerm(b, () => this.planUnifyLocalArray(this.ltarget, va.elems, iter));
          return;
        }
        if (vb.t === 'array') {
          if (va.elems.length === vb.elems.length) this.planUnifyArraysRec(va.elems, vb.elems, 0, iter);
          return;
        }
        break;
      case 'object':
        if (vb.t === 'var') return this.planUnifyVar(vb.name, a, iter);
        if (vb.t === 'ref') {
          this.planTerm(b, () => this.planUnifyLocalObject(this.ltarget, va.pairs, iter));
          return;
        }
        if (vb.t === 'object') return this.planUnifyObjects(va.pairs, vb.pairs, iter);
        break;
      default:
        break;
    }
    this.fail(`unification of ${va.t} with ${vb.t} is not supported by the planner`, a.loc ?? this.loc);
  }

  private planUnifyVar(name: string, b: PTerm, iter: Iter): void {
    const la = this.vars.get(name);
    if (la !== undefined) {
      this.planUnifyLocal(local(la), b, iter);
      return;
    }
    this.planTerm(b, () => {
      const known = this.vars.get(name);
      if (known !== undefined) {
        this.emit('EqualStmt', { a: local(known), b: this.ltarget });
      } else {
        const target = this.newLocal();
        this.vars.put(name, target);
        this.emit('AssignVarStmt', { source: this.ltarget, target });
      }
      iter();
    });
  }

  private planUnifyLocal(a: Operand, b: PTerm, iter: Iter): void {
    const vb = b.value;
    // Constant against constant: decided at plan time.
    if (a.type === 'string_index' && vb.t === 'string') {
      if (a.value !== this.str(vb.v)) this.emit('BreakStmt', { index: 0 });
      iter();
      return;
    }
    if (a.type === 'bool' && vb.t === 'boolean') {
      if (a.value !== vb.v) this.emit('BreakStmt', { index: 0 });
      iter();
      return;
    }
    switch (vb.t) {
      case 'null': case 'boolean': case 'number': case 'string': case 'ref': case 'set':
      case 'setcomp': case 'arraycomp': case 'objectcomp':
        this.planTerm(b, () => {
          this.emit('EqualStmt', { a, b: this.ltarget });
          iter();
        });
        return;
      case 'var': {
        const lv = this.vars.get(vb.name);
        if (lv !== undefined) {
          this.emit('EqualStmt', { a, b: local(lv) });
          iter();
          return;
        }
        const nl = this.newLocal();
        this.vars.put(vb.name, nl);
        this.emit('AssignVarStmt', { source: a, target: nl });
        iter();
        return;
      }
      case 'array':
        this.planUnifyLocalArray(a, vb.elems, iter);
        return;
      case 'object':
        this.planUnifyLocalObject(a, vb.pairs, iter);
        return;
      default:
        this.fail(`unification with ${vb.t} is not supported by the planner`, b.loc ?? this.loc);
    }
  }

  private planUnifyLocalArray(a: Operand, elems: PTerm[], iter: Iter): void {
    this.emit('IsArrayStmt', { source: a });
    const blen = this.newLocal();
    const alen = this.newLocal();
    this.emit('LenStmt', { source: a, target: alen });
    this.emit('MakeNumberIntStmt', { value: elems.length, target: blen });
    this.emit('EqualStmt', { a: local(alen), b: local(blen) });
    const lkey = this.newLocal();
    this.emit('MakeNumberIntStmt', { value: 0, target: lkey });
    const lval = this.newLocal();
    const rec = (index: number): void => {
      if (index === elems.length) {
        iter();
        return;
      }
      this.emit('AssignIntStmt', { value: index, target: lkey });
      this.emit('DotStmt', { source: a, key: local(lkey), target: lval });
      this.planUnifyLocal(local(lval), elems[index]!, () => rec(index + 1));
    };
    rec(0);
  }

  private planUnifyObjects(a: [PTerm, PTerm][], b: [PTerm, PTerm][], iter: Iter): void {
    if (a.length !== b.length) return;
    const sa = sortedPairs(a);
    const sb = sortedPairs(b);
    const keyId = (t: PTerm): string => valueString(t.value);
    const bMap = new Map(sb.map(([k, v]) => [keyId(k), v] as const));
    const aMap = new Map(sa.map(([k, v]) => [keyId(k), v] as const));
    const common = sa.filter(([k]) => bMap.has(keyId(k))).map(([k]) => k);
    const onlyA = sa.filter(([k]) => !bMap.has(keyId(k))).map(([k]) => k);
    const rec = (index: number): void => {
      if (index === common.length) {
        if (onlyA.length === 0) {
          iter();
          return;
        }
        this.planObject(a, () => {
          const la = this.ltarget;
          this.planObject(b, () => {
            const lb = this.ltarget;
            const l0 = this.newLocal();
            const l1 = this.newLocal();
            const rec2 = (i: number): void => {
              if (i === onlyA.length) {
                iter();
                return;
              }
              this.planTerm(onlyA[i]!, () => {
                this.emit('DotStmt', { source: la, key: this.ltarget, target: l0 });
                this.emit('DotStmt', { source: lb, key: this.ltarget, target: l1 });
                this.emit('EqualStmt', { a: local(l0), b: local(l1) });
                rec2(i + 1);
              });
            };
            rec2(0);
          });
        });
        return;
      }
      const k = keyId(common[index]!);
      this.planUnify(aMap.get(k)!, bMap.get(k)!, () => rec(index + 1));
    };
    rec(0);
  }

  private planUnifyLocalObject(a: Operand, pairs: [PTerm, PTerm][], iter: Iter): void {
    this.emit('IsObjectStmt', { source: a });
    const blen = this.newLocal();
    const alen = this.newLocal();
    this.emit('LenStmt', { source: a, target: alen });
    this.emit('MakeNumberIntStmt', { value: pairs.length, target: blen });
    this.emit('EqualStmt', { a: local(alen), b: local(blen) });
    const lval = this.newLocal();
    const sorted = sortedPairs(pairs);
    const rec = (index: number): void => {
      if (index === sorted.length) {
        iter();
        return;
      }
      const [k, v] = sorted[index]!;
      this.planTerm(k, () => {
        this.emit('DotStmt', { source: a, key: this.ltarget, target: lval });
        this.planUnifyLocal(local(lval), v, () => rec(index + 1));
      });
    };
    rec(0);
  }

  private planUnifyArraysRec(a: PTerm[], b: PTerm[], index: number, iter: Iter): void {
    if (index === a.length) {
      iter();
      return;
    }
    this.planUnify(a[index]!, b[index]!, () => this.planUnifyArraysRec(a, b, index + 1, iter));
  }

  // ---- terms -------------------------------------------------------------------

  private planTerm(t: PTerm, iter: Iter): void {
    this.planValue(t.value, t.loc, iter);
  }

  private planValue(v: PValue, loc: Loc | null, iter: Iter): void {
    switch (v.t) {
      case 'null': {
        const target = this.newLocal();
        this.emit('MakeNullStmt', { target });
        this.ltarget = local(target);
        iter();
        return;
      }
      case 'boolean':
        this.ltarget = bool(v.v);
        iter();
        return;
      case 'number': {
        const index = this.str(v.text);
        const target = this.newLocal();
        this.emit('MakeNumberRefStmt', { Index: index, target });
        this.ltarget = local(target);
        iter();
        return;
      }
      case 'string':
        this.ltarget = { type: 'string_index', value: this.str(v.v) };
        iter();
        return;
      case 'var': {
        let l = this.vars.get(v.name);
        if (l === undefined) {
          l = this.newLocal();
          this.vars.put(v.name, l);
        }
        this.ltarget = local(l);
        iter();
        return;
      }
      case 'ref':
        this.planRef(v.terms, loc, iter);
        return;
      case 'array': {
        const larr = this.newLocal();
        this.emit('MakeArrayStmt', { capacity: v.elems.length, target: larr });
        this.planSeq(v.elems.length, (i) => [v.elems[i]!], ([val]) => {
          this.emit('ArrayAppendStmt', { array: larr, value: val! });
        }, () => {
          this.ltarget = local(larr);
          iter();
        });
        return;
      }
      case 'object':
        this.planObject(v.pairs, iter);
        return;
      case 'set':
        this.planSet(v.elems, iter);
        return;
      case 'setcomp': {
        this.loc = loc ?? this.loc;
        const lset = this.newLocal();
        this.emit('MakeSetStmt', { target: lset });
        this.planComprehension(v.body, () => {
          this.planTerm(v.term, () => this.emit('SetAddStmt', { value: this.ltarget, set: lset }));
        }, lset, iter);
        return;
      }
      case 'arraycomp': {
        this.loc = loc ?? this.loc;
        const larr = this.newLocal();
        this.emit('MakeArrayStmt', { capacity: 0, target: larr });
        this.planComprehension(v.body, () => {
          this.planTerm(v.term, () => this.emit('ArrayAppendStmt', { value: this.ltarget, array: larr }));
        }, larr, iter);
        return;
      }
      case 'objectcomp': {
        this.loc = loc ?? this.loc;
        const lobj = this.newLocal();
        this.emit('MakeObjectStmt', { target: lobj });
        this.planComprehension(v.body, () => {
          this.planTerm(v.key, () => {
            const lkey = this.ltarget;
            this.planTerm(v.value, () => this.emit('ObjectInsertOnceStmt', { key: lkey, value: this.ltarget, object: lobj }));
          });
        }, lobj, iter);
        return;
      }
      case 'call':
        this.fail('nested call terms must be rewritten by the compiler before planning', loc ?? this.loc);
    }
  }

  private planObject(pairs: [PTerm, PTerm][], iter: Iter): void {
    const lobj = this.newLocal();
    this.emit('MakeObjectStmt', { target: lobj });
    const sorted = sortedPairs(pairs);
    this.planSeq(sorted.length, (i) => sorted[i]!, ([key, value]) => {
      this.emit('ObjectInsertStmt', { key: key!, value: value!, object: lobj });
    }, () => {
      this.ltarget = local(lobj);
      iter();
    });
  }

  private planSet(elems: PTerm[], iter: Iter): void {
    const lset = this.newLocal();
    this.emit('MakeSetStmt', { target: lset });
    const sorted = sortedTerms(elems);
    this.planSeq(sorted.length, (i) => [sorted[i]!], ([val]) => {
      this.emit('SetAddStmt', { value: val!, set: lset });
    }, () => {
      this.ltarget = local(lset);
      iter();
    });
  }

  /**
   * Plan `n` groups of terms in order, calling `each` with each group's operands
   * and then `done` — the same statements as nested continuations, but terms
   * that plan to straight-line code (literals, bound vars, dot chains, comprehensions)
   * are planned in a loop, so large literals do not exhaust the JS stack.
   */
  private planSeq(n: number, group: (i: number) => PTerm[], each: (ops: Operand[]) => void, done: Iter): void {
    const step = (start: number): void => {
      let i = start;
      for (; i < n; i++) {
        const terms = group(i);
        if (!terms.every((t) => this.isStraightLine(t))) break;
        const ops: Operand[] = [];
        for (const t of terms) {
          let got: Operand | null = null;
          this.planTerm(t, () => {
            got = this.ltarget;
          });
          if (got === null) this.fail('internal: straight-line term did not produce a value', t.loc, 'rego_internal_error');
          ops.push(got);
        }
        each(ops);
      }
      if (i === n) {
        done();
        return;
      }
      this.planCallArgs(group(i), 0, [], (ops) => {
        each(ops);
        step(i + 1);
      });
    };
    step(0);
  }

  /** True when planning `t` emits statements into the current block and continues exactly once. */
  private isStraightLine(t: PTerm): boolean {
    const v = t.value;
    switch (v.t) {
      case 'null': case 'boolean': case 'number': case 'string': case 'var':
      case 'arraycomp': case 'setcomp': case 'objectcomp':
        return true;
      case 'array': case 'set':
        return v.elems.every((e) => this.isStraightLine(e));
      case 'object':
        return v.pairs.every(([k, x]) => this.isStraightLine(k) && this.isStraightLine(x));
      case 'ref': {
        const head = v.terms[0]!.value;
        if (head.t !== 'var' || head.name === 'data' || this.vars.get(head.name) === undefined) return false;
        return v.terms.slice(1).every((x) => !this.unseenVars(x) && this.isStraightLine(x));
      }
      default:
        return false;
    }
  }

  private planComprehension(body: PBody, closureIter: Iter, target: Local, iter: Iter): void {
    this.vars.push();
    const prev = this.curr;
    const block: Block = { stmts: [] };
    this.curr = block;
    const ploc = this.loc;
    this.planBody(body, 0, closureIter);
    this.curr = prev;
    this.loc = ploc;
    this.vars.pop();
    this.emit('BlockStmt', { blocks: [block] });
    this.ltarget = local(target);
    iter();
  }

  // ---- references --------------------------------------------------------------

  private planRef(ref: PTerm[], loc: Loc | null, iter: Iter): void {
    const head = ref[0]!.value;
    if (head.t !== 'var') {
      // e.g. [1, 2][i] or {"a": 1}[k]: evaluate the collection, then walk the rest of the ref.
      if (head.t === 'ref' || head.t === 'call') this.fail('illegal ref: non-var head', loc ?? this.loc);
      this.planTerm(ref[0]!, () => {
        // A scalar head (`some x in false`, `"abc"[i]`) is a constant operand: put it in a local,
        // so that selecting from it is undefined at run time for every scalar alike, as in
        // OPA, whose type checker accepts any domain (null, booleans, numbers and strings).
        if (this.ltarget.type !== 'local') {
          const l = this.newLocal();
          this.emit('AssignVarStmt', { source: this.ltarget, target: l });
          this.ltarget = local(l);
        }
        this.planRefRec(ref, 1, iter);
      });
      return;
    }
    if (head.name === 'data') {
      this.planRefData(this.rules.get(trieKey(head).id), { local: this.vars.getOrEmpty('data'), path: [] }, ref, 1, iter);
      return;
    }
    if (ref.length === 1 && head.name === 'input') {
      this.emit('IsDefinedStmt', { source: this.vars.getOrEmpty('input') });
    }
    const l = this.vars.get(head.name);
    if (l === undefined) this.fail(`illegal ref: unsafe head ${head.name}`, loc ?? this.loc);
    this.ltarget = local(l);
    this.planRefRec(ref, 1, iter);
  }

  private unseenVars(t: PTerm): boolean {
    return someVar(t, (n) => this.vars.get(n) === undefined);
  }

  private planRefRec(ref: PTerm[], index: number, iter: Iter): void {
    if (ref.length === index) {
      iter();
      return;
    }
    if (!this.unseenVars(ref[index]!)) {
      this.planDot(ref[index]!, () => this.planRefRec(ref, index + 1, iter));
      return;
    }
    this.planScan(ref[index]!, () => this.planRefRec(ref, index + 1, iter));
  }

  private planRefData(virtual: Trie | null, base: { local: Local; path: PTerm[] }, ref: PTerm[], index: number, iter: Iter): void {
    if (index >= ref.length) {
      this.planRefDataExtent(virtual, base, iter);
      return;
    }

    if (index === 1 && virtual !== null) {
      const opt = this.optimizeLookup(virtual, ref);
      if (opt !== null) {
        if (opt.rulesets.length === 0) {
          this.planRefData(null, base, ref, 1, iter);
          return;
        }
        for (const rs of opt.rulesets) this.planRules(rs);
        const idx = opt.index;
        const ltarget = this.newLocal();
        this.ltarget = local(ltarget);
        const prev = this.curr;
        const callDynBlock: Block = { stmts: [] };
        this.curr = callDynBlock;
        this.emit('CallDynamicStmt', {
          args: [this.vars.getOrEmpty('input'), this.vars.getOrEmpty('data')],
          path: opt.path,
          result: ltarget,
        });
        this.emit('BreakStmt', { index: 1 });
        const dotBlock: Block = { stmts: [] };
        this.curr = dotBlock;
        this.ltarget = local(this.vars.getOrEmpty('data'));
        this.planRefRec(ref.slice(0, idx + 1), 1, () => {
          this.emit('AssignVarStmt', { source: this.ltarget, target: ltarget });
          this.emit('BreakStmt', { index: 1 });
          this.ltarget = local(ltarget);
          const outerBlock: Block = {
            stmts: [this.mk('BlockStmt', {
              blocks: [{
                stmts: [
                  this.mk('BlockStmt', { blocks: [callDynBlock, dotBlock] }),
                  this.mk('BreakStmt', { index: 2 }),
                ],
              }],
            })],
          };
          this.curr = outerBlock;
          this.planRefRec(ref, idx + 1, iter);
          this.curr = prev;
          this.emit('BlockStmt', { blocks: [outerBlock] });
        });
        return;
      }
    }

    const cur = ref[index]!;
    if (isGround(cur)) {
      let vchild: Trie | null = null;
      let rules: PRule[] = [];
      if (virtual !== null) {
        vchild = virtual.get(trieKey(cur.value).id);
        rules = vchild ? vchild.collectRules() : [];
      }
      if (rules.length > 0) {
        if (rules[0]!.argCount > 0) this.fail(`function ${refString(ref.slice(0, index + 1))} is referenced as a value (call it with arguments)`, cur.loc ?? this.loc);
        const lt = this.newLocal();
        this.ltarget = local(lt);
        const funcName = this.planRules(rules);
        this.emit('CallStmt', { func: funcName, args: this.defaultOperands(), result: lt });
        this.planRefRec(ref, index + 1, iter);
        return;
      }
      this.planRefData(vchild, { local: base.local, path: [...base.path, cur] }, ref, index + 1, iter);
      return;
    }

    const exclude: PTerm[] = [];
    if (virtual !== null) {
      const blocks: Block[] = [];
      for (const child of virtual.childKeys()) {
        const block: Block = { stmts: [] };
        const prev = this.curr;
        this.curr = block;
        const key = term(child.value);
        exclude.push(key);
        this.vars.push();
        this.planTerm(key, () => {
          this.planUnifyLocal(this.ltarget, cur, () => {
            const cpy = [...ref];
            cpy[index] = key;
            this.planRefData(virtual, base, cpy, index, iter);
          });
        });
        this.vars.pop();
        this.curr = prev;
        blocks.push(block);
      }
      this.emit('BlockStmt', { blocks });
    }

    if (exclude.length > 0) {
      let lexclude: Operand | null = null;
      this.planSet(exclude, () => {
        lexclude = this.ltarget;
      });
      const lex = lexclude as Operand | null;
      this.ltarget = local(base.local);
      this.planRefRec(base.path, 0, () => {
        this.planScan(cur, (lkey) => {
          if (lex !== null) {
            const lignore = this.newLocal();
            this.emit('NotStmt', { block: this.blockWith('DotStmt', { source: lex, key: local(lkey), target: lignore }) });
          }
          this.planRefData(null, { local: this.targetLocal(), path: [] }, ref, index + 1, iter);
        });
      });
      return;
    }

    this.ltarget = local(base.local);
    const path = [...base.path, cur];
    this.planRefRec(path, 0, () => {
      this.planRefData(null, { local: this.targetLocal(), path: [] }, ref, index + 1, iter);
    });
  }

  private planRefDataExtent(virtual: Trie | null, base: { local: Local; path: PTerm[] } | null, iter: Iter): void {
    const vtarget = this.newLocal();
    if (virtual !== null) {
      this.emit('MakeObjectStmt', { target: vtarget });
      const keys = virtual.childKeys();
      const anyNonGround = keys.some((k) => !isGround(term(k.value)));
      if (anyNonGround) {
        const rules: PRule[] = [];
        for (const k of keys) rules.push(...(virtual.get(k.id)?.collectRules() ?? []));
        const funcName = this.planRules(rules);
        const b: Block = { stmts: [] };
        this.emitTo(b, 'CallStmt', { func: funcName, args: this.defaultOperands(), result: vtarget });
        this.emit('BlockStmt', { blocks: [b] });
      } else {
        for (const k of keys) {
          const child = virtual.get(k.id)!;
          if (child.arity() > 0) continue;
          const rules = child.collectRules();
          this.planValue(k.value, null, () => {
            const lkey = this.ltarget;
            if (rules.length === 0) {
              this.planRefDataExtent(child, null, () => {
                this.emit('ObjectInsertStmt', { object: vtarget, key: lkey, value: this.ltarget });
              });
              return;
            }
            const lvalue = this.newLocal();
            const funcName = this.planRules(rules);
            const b: Block = { stmts: [] };
            this.emitTo(b, 'CallStmt', { func: funcName, args: this.defaultOperands(), result: lvalue });
            this.emitTo(b, 'ObjectInsertStmt', { object: vtarget, key: lkey, value: local(lvalue) });
            this.emit('BlockStmt', { blocks: [b] });
          });
        }
      }
      if (base === null) {
        this.ltarget = local(vtarget);
        iter();
        return;
      }
    }
    if (base === null) this.fail('internal: extent without base or virtual document');

    const prev = this.curr;
    this.curr = { stmts: [] };
    this.ltarget = local(base.local);
    let target = this.newLocal();
    this.planRefRec(base.path, 0, () => {
      if (virtual === null) {
        target = this.targetLocal();
      } else {
        this.emit('ObjectMergeStmt', { a: this.targetLocal(), b: vtarget, target });
      }
      this.emit('BreakStmt', { index: 1 });
    });
    const inner = this.curr;
    this.curr = { stmts: [] };
    this.emit('BlockStmt', { blocks: [inner] });
    if (virtual !== null) this.emit('AssignVarStmt', { source: local(vtarget), target });
    else this.emit('BreakStmt', { index: 1 });
    const outer = this.curr;
    this.curr = prev;
    this.emit('BlockStmt', { blocks: [outer] });
    this.ltarget = local(target);
    iter();
  }

  private planDot(key: PTerm, iter: Iter): void {
    const source = this.ltarget;
    this.planTerm(key, () => {
      const target = this.newLocal();
      this.emit('DotStmt', { source, key: this.ltarget, target });
      this.ltarget = local(target);
      iter();
    });
  }

  /** ScanStmt over the current target, unifying `key` with each key; the value becomes the target. */
  private planScan(key: PTerm, iter: (lkey: Local) => void): void {
    this.planScanUnify('key', key, iter);
  }

  /** ScanStmt over the current target, unifying `val` with each value, which becomes the target. */
  private planScanValues(val: PTerm, iter: (l: Local) => void): void {
    this.planScanUnify('value', val, iter);
  }

  private planScanUnify(unifyWith: 'key' | 'value', term: PTerm, iter: (l: Local) => void): void {
    const source = this.targetLocal();
    const lkey = this.newLocal();
    const lval = this.newLocal();
    const bound = unifyWith === 'key' ? lkey : lval;
    const block: Block = { stmts: [] };
    const prev = this.curr;
    this.curr = block;
    this.planUnifyLocal(local(bound), term, () => {
      this.ltarget = local(lval);
      iter(bound);
    });
    this.curr = prev;
    this.emit('ScanStmt', { source, key: lkey, value: lval, block });
  }

  private planTermSlice(terms: PTerm[], iter: (ops: Operand[]) => void): void {
    const ops: Operand[] = new Array(terms.length);
    const rec = (i: number): void => {
      if (i >= terms.length) {
        iter(ops);
        return;
      }
      this.planTerm(terms[i]!, () => {
        ops[i] = this.ltarget;
        rec(i + 1);
      });
    };
    rec(0);
  }

  private optimizeLookup(t: Trie, ref: PTerm[]): { rulesets: PRule[][]; path: Operand[]; index: number } | null {
    // CallDynamicStmt passes only input and data; functions that capture locals need a direct call.
    if (this.funcs.vars().length > 2) return null;
    let nodes: Trie[] = [t];
    let opt = false;
    let index = 0;
    outer: for (let i = 1; i < ref.length; i++) {
      index = i;
      const r = ref[i]!.value;
      const next: Trie[] = [];
      if (r.t === 'var') {
        if (this.vars.get(r.name) === undefined) return null;
        opt = true;
        for (const node of nodes) {
          if (node.collectRules().length > 0) return null;
          for (const k of node.childKeys()) {
            const c = node.get(k.id);
            if (c) next.push(c);
          }
        }
      } else if (r.t === 'string') {
        for (const node of nodes) {
          if (node.collectRules().length > 0) return null;
          const c = node.get(trieKey(r).id);
          if (c) next.push(c);
        }
      } else {
        return null;
      }
      nodes = next;
      let all = 0;
      for (const n of nodes) {
        if (i < ref.length - 1) {
          const ahead = ref[i + 1]!.value;
          if (ahead.t === 'var') all += n.childrenCount();
          else if (n.get(trieKey(ahead).id)) all++;
        }
      }
      if (all === 0) break;
      if (index === ref.length - 2) {
        for (const n of nodes) {
          if (n.collectRules().some((rule) => !rule.ref.slice(1).every((x) => isGround(x)))) break outer;
        }
      }
    }
    if (!opt) return null;
    const rulesets: PRule[][] = [];
    for (const node of nodes) {
      if (index === ref.length - 1 && node.collectRules().length === 0 && node.childrenCount() > 0) return null;
      const rs = node.collectRules();
      if (rs.length > 0) rulesets.push(rs);
    }
    if (rulesets.length === 0) return { rulesets, path: [], index };
    const path: Operand[] = [{ type: 'string_index', value: this.str(`g${this.funcs.gen()}`) }];
    for (let i = 1; i <= index; i++) {
      const r = ref[i]!.value;
      if (r.t === 'var') {
        const lv = this.vars.get(r.name);
        if (lv === undefined) return null;
        path.push(local(lv));
      } else if (r.t === 'string') {
        path.push({ type: 'string_index', value: this.str(r.v) });
      }
    }
    return { rulesets, path, index };
  }
}

/** The ref up to (not including) its first non-string term after the head (OPA's StringPrefix). */
function stringPrefix(ref: PTerm[]): PTerm[] {
  for (let i = 1; i < ref.length; i++) {
    if (ref[i]!.value.t !== 'string') return ref.slice(0, i);
  }
  return ref;
}

/** Vars of a query body, sorted, skipping ref heads / call operators and closures (OPA's q.Vars). */
function queryVars(body: PBody): string[] {
  const out = new Set<string>();
  const visitTerm = (t: PTerm): void => {
    const v = t.value;
    switch (v.t) {
      case 'var':
        out.add(v.name);
        return;
      case 'ref':
        v.terms.forEach((x) => visitTerm(x));
        return;
      case 'call':
        v.terms.forEach((x, i) => { if (i > 0) visitTerm(x); });
        return;
      case 'array':
      case 'set':
        v.elems.forEach((x) => visitTerm(x));
        return;
      case 'object':
        v.pairs.forEach(([k, x]) => { visitTerm(k); visitTerm(x); });
        return;
      default:
        return; // closures are skipped
    }
  };
  for (const e of body) {
    const b = e.body;
    if (b.kind === 'term') visitTerm(b.term);
    else if (b.kind === 'call') b.operands.forEach((x) => visitTerm(x));
    else {
      if (b.key) visitTerm(b.key);
      visitTerm(b.value);
      visitTerm(b.domain);
    }
    for (const w of e.with) visitTerm(w.value);
  }
  out.delete('input');
  out.delete('data');
  return [...out].sort();
}
