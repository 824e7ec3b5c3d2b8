// IR plan decoder and interpreter (block/break/return model of OPA's IR).
import {
  Value, StrV, ArrV, ObjV, SetV, BoolV, NULL, TRUE,
  T_NUM, T_STR, T_ARR, T_OBJ, T_SET, T_BOOL,
  objGet, objGetStr, objPut, objCopy, setAdd, setHas, setFrom, eq, eqFast, cpCount, strEq, objIndexStr, pushValue,
} from "./value";
import { NumV, numI64, numParse } from "./num";
import { fatal, opa_builtin0, opa_builtin1, opa_builtin2, opa_builtin3, opa_builtin4 } from "./env";
import { nativeId, callNative } from "./builtins";
import { parseJson } from "./json";

// statement kinds
const S_ArrayAppend = 0, S_AssignInt = 1, S_AssignVarOnce = 2, S_AssignVar = 3, S_Block = 4,
  S_Break = 5, S_CallDynamic = 6, S_Call = 7, S_Dot = 8, S_Equal = 9, S_IsArray = 10,
  S_IsDefined = 11, S_IsObject = 12, S_IsSet = 13, S_IsUndefined = 14, S_Len = 15, S_MakeArray = 16,
  S_MakeNull = 17, S_MakeNumberInt = 18, S_MakeNumberRef = 19, S_MakeObject = 20, S_MakeSet = 21,
  S_Nop = 22, S_NotEqual = 23, S_Not = 24, S_ObjectInsertOnce = 25, S_ObjectInsert = 26,
  S_ObjectMerge = 27, S_ResetLocal = 28, S_ResultSetAdd = 29, S_ReturnLocal = 30, S_Scan = 31,
  S_SetAdd = 32, S_With = 33;

const OK: i32 = -1;
const RET: i32 = -2;

export class Op {
  isLocal: bool = false;
  local: i32 = 0;
  val: Value | null = null;
}

export class Block {
  stmts: Array<Stmt> = new Array<Stmt>();
}

export class Stmt {
  t: i32 = 0;
  a: Op | null = null;
  b: Op | null = null;
  // operands a/b flattened for the interpreter: local index, or -1 and a constant
  al: i32 = -1;
  av: Value | null = null;
  bl: i32 = -1;
  bv: Value | null = null;
  l1: i32 = 0;
  l2: i32 = 0;
  l3: i32 = 0;
  ival: i64 = 0;
  cval: Value | null = null;
  blocks: Array<Block> | null = null;
  block: Block | null = null;
  args: Array<Op> | null = null;
  largs: Array<i32> | null = null;
  path: Array<Value> | null = null;
  hint: i32 = 0;     // DotStmt: index where the key was last found (checked before use)
  fn: i32 = -1;      // user function index
  bi: i32 = -1;      // native builtin id
  host: i32 = -1;    // host builtin index (in static.builtin_funcs)
  file: i32 = 0;
  row: i32 = 0;
  col: i32 = 0;
  fname: string = "";
}

export class Func {
  name: string = "";
  params: Array<i32> = new Array<i32>();
  ret: i32 = 0;
  blocks: Array<Block> = new Array<Block>();
  nlocals: i32 = 0;
  memo: bool = false; // rules (2 params: input, data) are memoised per evaluation
}

export class PlanDef {
  name: string = "";
  blocks: Array<Block> = new Array<Block>();
  nlocals: i32 = 0;
}

// ---- loaded policy ---------------------------------------------------------------------
export let strings = new Array<Value>();
export let files = new Array<string>();
export let funcs = new Array<Func>();
export let plans = new Array<PlanDef>();
let funcByName = new Map<string, i32>();
let funcByPath = new Map<string, i32>();
export let builtinNames = new Array<string>();
export let builtinNative = new Array<i32>();   // native id or -1
let builtinSetResult = new Array<bool>();
let maxLocal: i32 = 0;

// ---- decoding ------------------------------------------------------------------------------
function bad(what: string): void { fatal("invalid plan: " + what); }

function fld(o: Value | null, k: string): Value | null {
  if (o === null || o.kind != T_OBJ) return null;
  return objGetStr(changetype<ObjV>(o), k);
}

function arr(v: Value | null): Array<Value> {
  if (v === null || v.kind != T_ARR) return new Array<Value>();
  return changetype<ArrV>(v).items;
}

function int(v: Value | null): i64 {
  if (v === null || v.kind != T_NUM) { bad("expected a number"); return 0; }
  let n = changetype<NumV>(v);
  if (!n.isInt) bad("expected an integer");
  return n.i;
}

function str(v: Value | null): string {
  if (v === null || v.kind != T_STR) { bad("expected a string"); return ""; }
  return changetype<StrV>(v).s;
}

function loc(o: Value, k: string): i32 {
  let l = <i32>int(fld(o, k));
  if (l < 0) bad("negative local");
  if (l > maxLocal) maxLocal = l;
  return l;
}

function localOp(l: i32): Op {
  let op = new Op();
  op.isLocal = true;
  op.local = l;
  if (l > maxLocal) maxLocal = l;
  return op;
}

function operand(v: Value | null): Op {
  let t = str(fld(v, "type"));
  let val = fld(v, "value");
  if (t == "local") { return localOp(<i32>int(val)); }
  let op = new Op();
  if (t == "bool") {
    if (val === null || val.kind != T_BOOL) bad("bool operand");
    op.val = val;
  } else if (t == "string_index") {
    let i = <i32>int(val);
    if (i < 0 || i >= strings.length) bad("string index out of range");
    op.val = strings[i];
  } else bad("operand type " + t);
  return op;
}

function decodeBlock(v: Value | null): Block {
  let b = new Block();
  let stmts = arr(fld(v, "stmts"));
  for (let i = 0; i < stmts.length; i++) b.stmts.push(decodeStmt(stmts[i]));
  return b;
}

function decodeBlocks(v: Value | null): Array<Block> {
  let out = new Array<Block>();
  let items = arr(v);
  for (let i = 0; i < items.length; i++) out.push(decodeBlock(items[i]));
  return out;
}

function decodeStmt(v: Value): Stmt {
  let type = str(fld(v, "type"));
  let o = fld(v, "stmt");
  if (o === null) { bad("statement without body"); return new Stmt(); }
  let s = new Stmt();
  let f = fld(o, "file"); if (f !== null) s.file = <i32>int(f);
  let r = fld(o, "row"); if (r !== null) s.row = <i32>int(r);
  let c = fld(o, "col"); if (c !== null) s.col = <i32>int(c);
  if (type == "ArrayAppendStmt") { s.t = S_ArrayAppend; s.l1 = loc(o, "array"); s.a = operand(fld(o, "value")); }
  else if (type == "AssignIntStmt") { s.t = S_AssignInt; s.ival = int(fld(o, "value")); s.l1 = loc(o, "target"); s.cval = numI64(s.ival); }
  else if (type == "AssignVarOnceStmt") { s.t = S_AssignVarOnce; s.a = operand(fld(o, "source")); s.l1 = loc(o, "target"); }
  else if (type == "AssignVarStmt") { s.t = S_AssignVar; s.a = operand(fld(o, "source")); s.l1 = loc(o, "target"); }
  else if (type == "BlockStmt") { s.t = S_Block; s.blocks = decodeBlocks(fld(o, "blocks")); }
  else if (type == "BreakStmt") { s.t = S_Break; s.l1 = <i32>int(fld(o, "index")); }
  else if (type == "CallDynamicStmt") {
    s.t = S_CallDynamic;
    let ps = arr(fld(o, "path"));
    s.args = new Array<Op>();
    for (let i = 0; i < ps.length; i++) s.args!.push(operand(ps[i]));
    let as = arr(fld(o, "args"));
    s.largs = new Array<i32>();
    for (let i = 0; i < as.length; i++) { let l = <i32>int(as[i]); if (l > maxLocal) maxLocal = l; s.largs!.push(l); }
    s.l1 = loc(o, "result");
  }
  else if (type == "CallStmt") {
    s.t = S_Call;
    s.fname = str(fld(o, "func"));
    let as = arr(fld(o, "args"));
    s.args = new Array<Op>();
    for (let i = 0; i < as.length; i++) s.args!.push(operand(as[i]));
    s.l1 = loc(o, "result");
  }
  else if (type == "DotStmt") { s.t = S_Dot; s.a = operand(fld(o, "source")); s.b = operand(fld(o, "key")); s.l1 = loc(o, "target"); }
  else if (type == "EqualStmt") { s.t = S_Equal; s.a = operand(fld(o, "a")); s.b = operand(fld(o, "b")); }
  else if (type == "NotEqualStmt") { s.t = S_NotEqual; s.a = operand(fld(o, "a")); s.b = operand(fld(o, "b")); }
  else if (type == "IsArrayStmt") { s.t = S_IsArray; s.a = operand(fld(o, "source")); }
  else if (type == "IsObjectStmt") { s.t = S_IsObject; s.a = operand(fld(o, "source")); }
  else if (type == "IsSetStmt") { s.t = S_IsSet; s.a = operand(fld(o, "source")); }
  else if (type == "IsDefinedStmt") { s.t = S_IsDefined; s.l1 = loc(o, "source"); }
  else if (type == "IsUndefinedStmt") { s.t = S_IsUndefined; s.l1 = loc(o, "source"); }
  else if (type == "LenStmt") { s.t = S_Len; s.a = operand(fld(o, "source")); s.l1 = loc(o, "target"); }
  else if (type == "MakeArrayStmt") { s.t = S_MakeArray; s.l1 = loc(o, "target"); }
  else if (type == "MakeNullStmt") { s.t = S_MakeNull; s.l1 = loc(o, "target"); }
  else if (type == "MakeNumberIntStmt") { s.t = S_MakeNumberInt; s.ival = int(fld(o, "value")); s.l1 = loc(o, "target"); s.cval = numI64(s.ival); }
  else if (type == "MakeNumberRefStmt") {
    s.t = S_MakeNumberRef;
    let iv = fld(o, "Index");
    if (iv === null) iv = fld(o, "index");
    let i = <i32>int(iv);
    if (i < 0 || i >= strings.length) bad("number index out of range");
    let n = numParse(changetype<StrV>(strings[i]).s);
    if (n === null) { bad("invalid number literal"); return s; }
    s.cval = n;
    s.l1 = loc(o, "target");
  }
  else if (type == "MakeObjectStmt") { s.t = S_MakeObject; s.l1 = loc(o, "target"); }
  else if (type == "MakeSetStmt") { s.t = S_MakeSet; s.l1 = loc(o, "target"); }
  else if (type == "NopStmt") { s.t = S_Nop; }
  else if (type == "NotStmt") { s.t = S_Not; s.block = decodeBlock(fld(o, "block")); }
  else if (type == "ObjectInsertOnceStmt") { s.t = S_ObjectInsertOnce; s.a = operand(fld(o, "key")); s.b = operand(fld(o, "value")); s.l1 = loc(o, "object"); }
  else if (type == "ObjectInsertStmt") { s.t = S_ObjectInsert; s.a = operand(fld(o, "key")); s.b = operand(fld(o, "value")); s.l1 = loc(o, "object"); }
  else if (type == "ObjectMergeStmt") { s.t = S_ObjectMerge; s.l1 = loc(o, "a"); s.l2 = loc(o, "b"); s.l3 = loc(o, "target"); }
  else if (type == "ResetLocalStmt") { s.t = S_ResetLocal; s.l1 = loc(o, "target"); }
  else if (type == "ResultSetAddStmt") { s.t = S_ResultSetAdd; s.l1 = loc(o, "value"); }
  else if (type == "ReturnLocalStmt") { s.t = S_ReturnLocal; s.l1 = loc(o, "source"); }
  else if (type == "ScanStmt") { s.t = S_Scan; s.l1 = loc(o, "source"); s.l2 = loc(o, "key"); s.l3 = loc(o, "value"); s.block = decodeBlock(fld(o, "block")); }
  else if (type == "SetAddStmt") { s.t = S_SetAdd; s.a = operand(fld(o, "value")); s.l1 = loc(o, "set"); }
  else if (type == "WithStmt") {
    s.t = S_With;
    s.l1 = loc(o, "local");
    let ps = arr(fld(o, "path"));
    s.path = new Array<Value>();
    for (let i = 0; i < ps.length; i++) {
      let k = <i32>int(ps[i]);
      if (k < 0 || k >= strings.length) bad("with path index out of range");
      s.path!.push(strings[k]);
    }
    s.a = operand(fld(o, "value"));
    s.block = decodeBlock(fld(o, "block"));
  }
  else bad("unknown statement type " + type);
  let a = s.a, b = s.b;
  if (a !== null) { if (a.isLocal) s.al = a.local; else s.av = a.val; }
  if (b !== null) { if (b.isLocal) s.bl = b.local; else s.bv = b.val; }
  return s;
}

function resolveCalls(blocks: Array<Block>): void {
  for (let i = 0; i < blocks.length; i++) {
    let stmts = blocks[i].stmts;
    for (let j = 0; j < stmts.length; j++) {
      let s = stmts[j];
      if (s.t == S_Call) {
        if (funcByName.has(s.fname)) s.fn = funcByName.get(s.fname);
        else {
          let found = false;
          for (let k = 0; k < builtinNames.length; k++) {
            if (builtinNames[k] == s.fname) {
              found = true;
              if (builtinNative[k] >= 0) s.bi = builtinNative[k]; else s.host = k;
              break;
            }
          }
          if (!found) {
            let id = nativeId(s.fname);
            if (id >= 0) s.bi = id;
            else fatal("invalid plan: unknown function " + s.fname);
          }
        }
      }
      if (s.blocks !== null) resolveCalls(s.blocks!);
      if (s.block !== null) { let one = new Array<Block>(); one.push(s.block!); resolveCalls(one); }
    }
  }
}

export function loadPlan(p: usize, len: usize): void {
  // plans nest ~4 JSON levels per IR block level; they are never dumped or compared
  let root = parseJson(p, len, false, 4096);
  if (root === null) { fatal("invalid plan: malformed JSON"); return; }
  let st = fld(root, "static");
  let ss = arr(fld(st, "strings"));
  for (let i = 0; i < ss.length; i++) strings.push(new StrV(str(fld(ss[i], "value"))));
  let fs = arr(fld(st, "files"));
  for (let i = 0; i < fs.length; i++) files.push(str(fld(fs[i], "value")));
  let bs = arr(fld(st, "builtin_funcs"));
  for (let i = 0; i < bs.length; i++) {
    let name = str(fld(bs[i], "name"));
    builtinNames.push(name);
    builtinNative.push(nativeId(name));
    let rt = fld(fld(fld(bs[i], "decl"), "result"), "type");
    builtinSetResult.push(rt !== null && rt.kind == T_STR && changetype<StrV>(rt).s == "set");
  }
  let fl = arr(fld(fld(root, "funcs"), "funcs"));
  for (let i = 0; i < fl.length; i++) {
    let fv = fl[i];
    let fn = new Func();
    fn.name = str(fld(fv, "name"));
    maxLocal = 1;
    let ps = arr(fld(fv, "params"));
    for (let k = 0; k < ps.length; k++) { let l = <i32>int(ps[k]); if (l > maxLocal) maxLocal = l; fn.params.push(l); }
    fn.ret = loc(fv, "return");
    fn.blocks = decodeBlocks(fld(fv, "blocks"));
    fn.nlocals = maxLocal + 1;
    fn.memo = fn.params.length == 2;
    funcByName.set(fn.name, funcs.length);
    let path = arr(fld(fv, "path"));
    if (path.length > 0) {
      let key = "";
      for (let k = 0; k < path.length; k++) key += str(path[k]) + "\u0000";
      funcByPath.set(key, funcs.length);
    }
    funcs.push(fn);
  }
  let pl = arr(fld(fld(root, "plans"), "plans"));
  for (let i = 0; i < pl.length; i++) {
    let pd = new PlanDef();
    pd.name = str(fld(pl[i], "name"));
    maxLocal = 1;
    pd.blocks = decodeBlocks(fld(pl[i], "blocks"));
    pd.nlocals = maxLocal + 1;
    plans.push(pd);
  }
  for (let i = 0; i < funcs.length; i++) resolveCalls(funcs[i].blocks);
  for (let i = 0; i < plans.length; i++) resolveCalls(plans[i].blocks);
}

type Frame = StaticArray<Value | null>;

const ARGS_CAP: i32 = 8;
// allocated at start-up (below the SDK's base heap pointer), never grown
let argScratch = new Array<Value>(ARGS_CAP);

// ---- evaluation state (re-created per evaluation) -----------------------------------------------
/** Memo table of the current `with` scope (one slot per function). */
let curMemo = new StaticArray<Value | null>(0);
let resultSet = new SetV();
let hostCache = new Array<Value | null>();


export function evalPlan(idx: i32, input: Value | null, data: Value | null): SetV {
  if (idx < 0 || idx >= plans.length) { fatal("internal: illegal entrypoint id"); }
  curMemo = new StaticArray<Value | null>(funcs.length);
  resultSet = new SetV();
  hostCache = new Array<Value | null>(builtinNames.length);
  let pd = plans[idx];
  let frame = new StaticArray<Value | null>(pd.nlocals);
  frame[0] = input;
  frame[1] = data !== null ? data : new ObjV();
  let blocks = pd.blocks;
  for (let i = 0; i < blocks.length; i++) {
    let r = runBlock(blocks[i], frame);
    if (r == RET) break;
  }
  return resultSet;
}

function conflict(s: Stmt, msg: string): void {
  let file = s.file >= 0 && s.file < files.length ? files[s.file] : "<unknown>";
  fatal(file + ":" + s.row.toString() + ":" + s.col.toString() + ": " + msg);
}

// @ts-ignore: decorator
@inline function opA(s: Stmt, frame: Frame): Value | null {
  let l = s.al;
  return l >= 0 ? unchecked(frame[l]) : s.av;
}

// @ts-ignore: decorator
@inline function opB(s: Stmt, frame: Frame): Value | null {
  let l = s.bl;
  return l >= 0 ? unchecked(frame[l]) : s.bv;
}

// @ts-ignore: decorator
@inline function opv(op: Op | null, frame: Frame): Value | null {
  let o = changetype<Op>(op);
  return o.isLocal ? unchecked(frame[o.local]) : o.val;
}

let retVal: Value | null = null;
let curParams: i32 = 0; // parameter count of the function being evaluated

function runBlock(b: Block, frame: Frame): i32 {
  let stmts = b.stmts;
  let n = stmts.length;
  for (let i = 0; i < n; i++) {
    let s = unchecked(stmts[i]);
    let t = s.t;
    // the most frequent statements, tested before the dispatch table
    if (t == S_AssignVar) { unchecked(frame[s.l1] = opA(s, frame)); continue; }
    if (t == S_ResetLocal) { unchecked(frame[s.l1] = null); continue; }
    if (t == S_IsDefined) { if (unchecked(frame[s.l1]) === null) return 0; continue; }
    let r = exec(s, frame);
    if (r != OK) return r;
  }
  return OK;
}

// result of a nested block as seen by the statement that contains it
// @ts-ignore: decorator
@inline function nested(r: i32): i32 {
  if (r == OK || r == RET) return r;
  return r - 1; // break(0) = undefined → caller decides
}

/** A fresh frame for function `fi` (locals all undefined). */
// @ts-ignore: decorator
@inline function newFrame(fi: i32): Frame {
  // as new StaticArray(nlocals), allocation inline (__new zero-fills)
  return changetype<Frame>(__new(<usize>unchecked(funcs[fi]).nlocals << alignof<usize>(), idof<Frame>()));
}

/** Memoised result of a rule (2-param function) in the current `with` scope, or null. */
// @ts-ignore: decorator
@inline function memoGet(fi: i32): Value | null {
  if (!unchecked(funcs[fi]).memo) return null;
  return unchecked(curMemo[fi]);
}

/** Runs function `fi` on a frame whose parameter locals are already set. */
function runFunc(fi: i32, frame: Frame): Value | null {
  let fn = unchecked(funcs[fi]);
  let savedParams = curParams;
  curParams = fn.params.length;
  let blocks = fn.blocks;
  let res: Value | null = null;
  for (let i = 0; i < blocks.length; i++) {
    let r = runBlock(unchecked(blocks[i]), frame);
    if (r == RET) { res = retVal; retVal = null; break; }
  }
  curParams = savedParams;
  if (res === null) res = unchecked(frame[fn.ret]);
  if (res !== null && fn.memo) unchecked(curMemo[fi] = res);
  return res;
}

function callHost(s: Stmt, args: Array<Value>): Value | null {
  let id = s.host;
  let n = args.length;
  if (n == 0) {
    let c = hostCache[id];
    if (c !== null) return c;
  }
  let r: usize = 0;
  switch (n) {
    case 0: r = opa_builtin0(id, 0); break;
    case 1: r = opa_builtin1(id, 0, changetype<usize>(args[0])); break;
    case 2: r = opa_builtin2(id, 0, changetype<usize>(args[0]), changetype<usize>(args[1])); break;
    case 3: r = opa_builtin3(id, 0, changetype<usize>(args[0]), changetype<usize>(args[1]), changetype<usize>(args[2])); break;
    case 4: r = opa_builtin4(id, 0, changetype<usize>(args[0]), changetype<usize>(args[1]), changetype<usize>(args[2]), changetype<usize>(args[3])); break;
    default: fatal("too many built-in call arguments: " + builtinNames[id]);
  }
  if (r == 0) return null;
  let v = changetype<Value>(r);
  if (builtinSetResult[id] && v.kind == T_ARR) v = setFrom(changetype<ArrV>(v).items);
  if (n == 0) hostCache[id] = v;
  return v;
}

function merge(a: Value | null, b: Value | null): Value | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.kind != T_OBJ || b.kind != T_OBJ) return a;
  let oa = changetype<ObjV>(a), ob = changetype<ObjV>(b);
  let r = objCopy(oa);
  for (let i = 0; i < ob.keys.length; i++) {
    let k = ob.keys[i];
    let av = objGet(oa, k);
    if (av === null) objPut(r, k, ob.vals[i]);
    else objPut(r, k, merge(av, ob.vals[i])!);
  }
  return r;
}

function upsert(base: Value | null, path: Array<Value>, i: i32, v: Value): Value {
  if (i == path.length) return v;
  let o: ObjV;
  let child: Value | null = null;
  if (base !== null && base.kind == T_OBJ) {
    o = objCopy(changetype<ObjV>(base));
    child = objGet(changetype<ObjV>(base), path[i]);
  } else o = new ObjV();
  objPut(o, path[i], upsert(child, path, i + 1, v));
  return o;
}

function dot(src: Value, key: Value): Value | null {
  let k = src.kind;
  if (k == T_OBJ) {
    if (key.kind == T_STR) return objGetStr(changetype<ObjV>(src), changetype<StrV>(key).s);
    return objGet(changetype<ObjV>(src), key);
  }
  if (k == T_ARR) {
    if (key.kind != T_NUM) return null;
    let n = changetype<NumV>(key);
    if (!n.isInt) return null;
    let items = changetype<ArrV>(src).items;
    if (n.i < 0 || n.i >= <i64>items.length) return null;
    return unchecked(items[<i32>n.i]);
  }
  if (k == T_SET) return setHas(changetype<SetV>(src), key) ? key : null;
  return null;
}

// inlined into runBlock: one loop with the dispatch, no call per statement
// @ts-ignore: decorator
@inline function exec(s: Stmt, frame: Frame): i32 {
  switch (s.t) {
    case S_AssignVar: {
      unchecked(frame[s.l1] = opA(s, frame));
      return OK;
    }
    case S_AssignVarOnce: {
      let v = opA(s, frame);
      let cur = unchecked(frame[s.l1]);
      if (cur === null) { unchecked(frame[s.l1] = v); return OK; }
      if (v === null || !eqFast(cur, v)) {
        conflict(s, curParams > 2
          ? "var assignment conflict (functions must not produce multiple outputs for same inputs)"
          : "var assignment conflict (complete rules must not produce multiple outputs)");
      }
      return OK;
    }
    case S_ResetLocal: { unchecked(frame[s.l1] = null); return OK; }
    case S_Dot: {
      let src = opA(s, frame), key = opB(s, frame);
      if (src === null || key === null) return 0;
      let v: Value | null = null;
      if (src.kind == T_OBJ && key.kind == T_STR) {
        // objects read at one statement usually have the same keys: try the
        // index of the last hit, verified by comparing the key itself
        let o = changetype<ObjV>(src), ks = changetype<StrV>(key).s;
        let keys = o.keys;
        let h = s.hint;
        if (<u32>h < <u32>keys.length) {
          let kv = unchecked(keys[h]);
          if (kv.kind == T_STR && strEq(changetype<StrV>(kv).s, ks)) v = unchecked(o.vals[h]);
        }
        if (v === null) {
          let i = objIndexStr(o, ks);
          if (i < 0) return 0;
          s.hint = i;
          v = unchecked(o.vals[i]);
        }
      } else {
        v = dot(src, key);
        if (v === null) return 0;
      }
      unchecked(frame[s.l1] = v);
      return OK;
    }
    case S_Call: {
      let ops = s.args!;
      if (s.fn >= 0) {
        let r = memoGet(s.fn);
        if (r === null) {
          let callee = newFrame(s.fn);
          let params = unchecked(funcs[s.fn]).params;
          let n = ops.length < params.length ? ops.length : params.length;
          for (let i = 0; i < n; i++) unchecked(callee[unchecked(params[i])] = opv(unchecked(ops[i]), frame));
          r = runFunc(s.fn, callee);
          if (r === null) return 0;
        }
        unchecked(frame[s.l1] = r);
        return OK;
      }
      let nops = ops.length;
      // builtins never re-enter the interpreter and keep no reference to their
      // argument list, so one preallocated list serves every call of up to 8 args
      let args = nops <= ARGS_CAP ? argScratch : new Array<Value>(nops);
      args.length = nops;
      let ap = args.dataStart;
      for (let i = 0; i < nops; i++) {
        let v = opv(unchecked(ops[i]), frame);
        if (v === null) return 0;
        store<usize>(ap + (<usize>i << alignof<usize>()), changetype<usize>(v));
      }
      let r: Value | null;
      if (s.bi >= 0) r = callNative(s.bi, args);
      else r = callHost(s, args);
      if (r === null) return 0;
      unchecked(frame[s.l1] = r);
      return OK;
    }
    case S_IsDefined: return unchecked(frame[s.l1]) !== null ? OK : 0;
    case S_IsUndefined: return unchecked(frame[s.l1]) === null ? OK : 0;
    case S_MakeObject: { unchecked(frame[s.l1] = new ObjV()); return OK; }
    case S_MakeArray: { unchecked(frame[s.l1] = new ArrV()); return OK; }
    case S_MakeSet: { unchecked(frame[s.l1] = new SetV()); return OK; }
    case S_MakeNull: { unchecked(frame[s.l1] = NULL); return OK; }
    case S_MakeNumberRef:
    case S_MakeNumberInt:
    case S_AssignInt: { unchecked(frame[s.l1] = s.cval); return OK; }
    case S_ObjectInsert: {
      let k = opA(s, frame), v = opB(s, frame), o = unchecked(frame[s.l1]);
      if (k === null || v === null || o === null || o.kind != T_OBJ) return 0;
      objPut(changetype<ObjV>(o), k, v);
      return OK;
    }
    case S_ObjectInsertOnce: {
      let k = opA(s, frame), v = opB(s, frame), o = unchecked(frame[s.l1]);
      if (k === null || v === null || o === null || o.kind != T_OBJ) return 0;
      let cur = objGet(changetype<ObjV>(o), k);
      if (cur !== null) { if (!eq(cur, v)) conflict(s, "object insert conflict (object keys must be unique)"); return OK; }
      objPut(changetype<ObjV>(o), k, v);
      return OK;
    }
    case S_ArrayAppend: {
      let v = opA(s, frame), a = unchecked(frame[s.l1]);
      if (v === null || a === null || a.kind != T_ARR) return 0;
      pushValue(changetype<ArrV>(a).items, v);
      return OK;
    }
    case S_SetAdd: {
      let v = opA(s, frame), a = unchecked(frame[s.l1]);
      if (v === null || a === null || a.kind != T_SET) return 0;
      setAdd(changetype<SetV>(a), v);
      return OK;
    }
    case S_Equal: {
      let a = opA(s, frame), b = opB(s, frame);
      if (a === null || b === null) return 0;
      return eqFast(a, b) ? OK : 0;
    }
    case S_NotEqual: {
      let a = opA(s, frame), b = opB(s, frame);
      if (a === null || b === null) return 0;
      return eqFast(a, b) ? 0 : OK;
    }
    case S_IsArray: { let v = opA(s, frame); return v !== null && v.kind == T_ARR ? OK : 0; }
    case S_IsObject: { let v = opA(s, frame); return v !== null && v.kind == T_OBJ ? OK : 0; }
    case S_IsSet: { let v = opA(s, frame); return v !== null && v.kind == T_SET ? OK : 0; }
    case S_Len: {
      let v = opA(s, frame);
      if (v === null) return 0;
      let n = 0;
      if (v.kind == T_ARR) n = changetype<ArrV>(v).items.length;
      else if (v.kind == T_OBJ) n = changetype<ObjV>(v).keys.length;
      else if (v.kind == T_SET) n = changetype<SetV>(v).items.length;
      else if (v.kind == T_STR) n = cpCount(changetype<StrV>(v).s);
      else return 0;
      unchecked(frame[s.l1] = numI64(n));
      return OK;
    }
    case S_Block: {
      let bl = s.blocks!;
      for (let i = 0; i < bl.length; i++) {
        let r = runBlock(unchecked(bl[i]), frame);
        if (r == OK || r == 0) continue;
        if (r == RET) return RET;
        return r - 1;
      }
      return OK;
    }
    case S_Break: return s.l1;
    case S_Not: {
      let r = runBlock(s.block!, frame);
      if (r == OK) return 0;
      if (r == 0) return OK;
      if (r == RET) return RET;
      return r - 1;
    }
    case S_Scan: {
      let src = unchecked(frame[s.l1]);
      if (src === null) return OK;
      let blk = s.block!;
      let k = src.kind;
      if (k == T_ARR) {
        let items = changetype<ArrV>(src).items;
        for (let i = 0; i < items.length; i++) {
          unchecked(frame[s.l2] = numI64(i));
          unchecked(frame[s.l3] = unchecked(items[i]));
          let r = runBlock(blk, frame);
          if (r == OK || r == 0) continue;
          if (r == RET) return RET;
          return r - 1;
        }
      } else if (k == T_OBJ) {
        let o = changetype<ObjV>(src);
        let keys = o.keys, vals = o.vals;
        for (let i = 0; i < keys.length; i++) {
          unchecked(frame[s.l2] = unchecked(keys[i]));
          unchecked(frame[s.l3] = unchecked(vals[i]));
          let r = runBlock(blk, frame);
          if (r == OK || r == 0) continue;
          if (r == RET) return RET;
          return r - 1;
        }
      } else if (k == T_SET) {
        let items = changetype<SetV>(src).items;
        for (let i = 0; i < items.length; i++) {
          unchecked(frame[s.l2] = unchecked(items[i]));
          unchecked(frame[s.l3] = unchecked(items[i]));
          let r = runBlock(blk, frame);
          if (r == OK || r == 0) continue;
          if (r == RET) return RET;
          return r - 1;
        }
      }
      return OK;
    }
    case S_ObjectMerge: {
      let r = merge(unchecked(frame[s.l1]), unchecked(frame[s.l2]));
      if (r === null) return 0;
      unchecked(frame[s.l3] = r);
      return OK;
    }
    case S_ResultSetAdd: {
      let v = unchecked(frame[s.l1]);
      if (v !== null) setAdd(resultSet, v);
      return OK;
    }
    case S_ReturnLocal: {
      retVal = unchecked(frame[s.l1]);
      if (retVal === null) return 0;
      return RET;
    }
    case S_With: {
      let old = unchecked(frame[s.l1]);
      let v = opA(s, frame);
      let path = s.path!;
      if (v === null) {
        // restoring a saved local that was undefined (e.g. no input)
        if (path.length != 0) return 0;
        unchecked(frame[s.l1] = null);
      } else unchecked(frame[s.l1] = path.length == 0 ? v : upsert(old, path, 0, v));
      let savedMemo = curMemo;
      curMemo = new StaticArray<Value | null>(funcs.length);
      let r = runBlock(s.block!, frame);
      curMemo = savedMemo;
      unchecked(frame[s.l1] = old);
      if (r == OK || r == 0 || r == RET) return r;
      return r - 1;
    }
    case S_CallDynamic: {
      let ps = s.args!;
      let key = "";
      for (let i = 0; i < ps.length; i++) {
        let v = opv(unchecked(ps[i]), frame);
        if (v === null || v.kind != T_STR) return 0;
        key += changetype<StrV>(v).s + "\u0000";
      }
      if (!funcByPath.has(key)) return 0;
      let fi = funcByPath.get(key);
      let la = s.largs!;
      let r = memoGet(fi);
      if (r === null) {
        let callee = newFrame(fi);
        let params = unchecked(funcs[fi]).params;
        let n = la.length < params.length ? la.length : params.length;
        for (let i = 0; i < n; i++) unchecked(callee[unchecked(params[i])] = unchecked(frame[unchecked(la[i])]));
        r = runFunc(fi, callee);
        if (r === null) return 0;
      }
      unchecked(frame[s.l1] = r);
      return OK;
    }
    case S_Nop: return OK;
  }
  fatal("internal: unknown statement");
  return 0;
}

export function entrypointsValue(): ObjV {
  let o = new ObjV();
  for (let i = 0; i < plans.length; i++) objPut(o, new StrV(plans[i].name), numI64(i));
  return o;
}

export function builtinsValue(): ObjV {
  let o = new ObjV();
  for (let i = 0; i < builtinNames.length; i++) {
    if (builtinNative[i] < 0) objPut(o, new StrV(builtinNames[i]), numI64(i));
  }
  return o;
}
