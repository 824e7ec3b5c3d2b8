// Interpreter of the compact plan (OPA's IR block/break/return model), run
// straight from the encoded bytes the packager embeds in the data segment
// (format: src/package/plan-encoding.ts; README "Compact plan"). Nothing is
// decoded at start-up except the builtin table, the plan names and number
// constants; string constants are materialised on first use into an arena
// reserved at start-up (below the host's base heap pointer, so they survive
// heap resets).
import {
  Value, StrV, ArrV, ObjV, SetV, NULL, TRUE, FALSE,
  T_NUM, T_STR, T_ARR, T_OBJ, T_SET,
  objGet, objGetStr, objPut, objCopy, setAdd, setHas, setFrom, eq, eqFast, cpCount, strEq, strCmp, objIndexStr, pushValue, newStrV,
} from "./value";
import { NumV, numI64, numParse } from "./num";
import { fatal, opa_builtin0, opa_builtin1, opa_builtin2, opa_builtin3, opa_builtin4 } from "./env";
import { nativeId, callNative } from "./builtins";
import { OBJECT_OVERHEAD, BLOCK_OVERHEAD, AL_MASK } from "rt/common";

// statement opcodes (the packager's OP table, same numbers)
const S_ArrayAppend = 0, S_AssignInt = 1, S_AssignVarOnce = 2, S_AssignVar = 3, S_Block = 4,
  S_Break = 5, S_CallDynamic = 6, S_Call = 7, S_Dot = 8, S_Equal = 9, S_IsArray = 10,
  S_IsDefined = 11, S_IsObject = 12, S_IsSet = 13, S_IsUndefined = 14, S_Len = 15, S_MakeArray = 16,
  S_MakeNull = 17, S_MakeNumberInt = 18, S_MakeNumberRef = 19, S_MakeObject = 20, S_MakeSet = 21,
  S_Nop = 22, S_NotEqual = 23, S_Not = 24, S_ObjectInsertOnce = 25, S_ObjectInsert = 26,
  S_ObjectMerge = 27, S_ResetLocal = 28, S_ResultSetAdd = 29, S_ReturnLocal = 30, S_Scan = 31,
  S_SetAdd = 32, S_With = 33;

const MAGIC: u32 = 0x31425052; // "RPB1"

const OK: i32 = -1;
const RET: i32 = -2;

// ---- the loaded plan (addresses into the data segment) -------------------------------------
let base: usize = 0;
let nStrings: i32 = 0;
let strOffTab: usize = 0;  // u32 offsets of string entries
let nFuncs: i32 = 0;
let funcOffTab: usize = 0; // u32 offsets of function headers
let nPlans: i32 = 0;
let planOffTab: usize = 0;
let filesOff: usize = 0;
let nFiles: i32 = 0;
let locsOff: usize = 0;    // 3 x u32 (file, row, col) per location
let nLocs: i32 = 0;
let nPaths: i32 = 0;
let pathOffTab: usize = 0; // CallDynamic table, sorted by path

/** Materialised string constants (0 = not yet), one pointer per string; reserved at start-up. */
let constTab: usize = 0;
let arenaCur: usize = 0;
let arenaEnd: usize = 0;
let nums = new Array<NumV>();
let planBodies = new Array<usize>();
let planNames = new Array<string>();

export let builtinNames = new Array<string>();
export let builtinNative = new Array<i32>();   // native id or -1
let builtinSetResult = new Array<bool>();

function bad(what: string): void { fatal("invalid plan: " + what); }

// @ts-ignore: decorator
@inline function u16at(p: usize): i32 { return <i32>load<u16>(p); }
// @ts-ignore: decorator
@inline function u32at(p: usize): u32 { return load<u32>(p); }

/** Cursor for the LEB128 tables (not the statements, which are fixed-width). */
let cur: usize = 0;
function leb(): u32 {
  let r: u32 = 0, shift: u32 = 0;
  while (true) {
    let b = <u32>load<u8>(cur++);
    r |= (b & 0x7f) << shift;
    if ((b & 0x80) == 0) return r;
    shift += 7;
  }
  return r;
}

/** UTF-8 [p, p+n) (valid, written by the packager) with `units` UTF-16 code units. */
function utf8String(p: usize, n: usize, units: usize): string {
  let out = __new(units << 1, idof<String>());
  let q = out;
  let e = p + n;
  if (units == n) {
    while (p < e) { store<u16>(q, <u16>load<u8>(p)); p++; q += 2; }
  } else {
    while (p < e) {
      let c = <u32>load<u8>(p);
      if (c < 0x80) { p += 1; }
      else if (c < 0xe0) { c = ((c & 0x1f) << 6) | (<u32>load<u8>(p, 1) & 0x3f); p += 2; }
      else if (c < 0xf0) { c = ((c & 0x0f) << 12) | ((<u32>load<u8>(p, 1) & 0x3f) << 6) | (<u32>load<u8>(p, 2) & 0x3f); p += 3; }
      else {
        c = ((c & 0x07) << 18) | ((<u32>load<u8>(p, 1) & 0x3f) << 12) | ((<u32>load<u8>(p, 2) & 0x3f) << 6) | (<u32>load<u8>(p, 3) & 0x3f);
        p += 4;
        c -= 0x10000;
        store<u16>(q, <u16>(0xd800 | (c >> 10))); q += 2;
        c = 0xdc00 | (c & 0x3ff);
      }
      store<u16>(q, <u16>c); q += 2;
    }
  }
  return changetype<string>(out);
}

/** A LEB-prefixed name (byte length, UTF-16 units, bytes) at `cur`, allocated on the heap. */
function readName(): string {
  let n = <usize>leb();
  let units = <usize>leb();
  let p = cur;
  cur += n;
  return utf8String(p, n, units);
}

// bytes one materialised string constant takes at most in the arena besides its
// UTF-16 payload: two consecutive bump allocations (the String and its StrV),
// each its block and object headers rounded up to the allocation alignment
// @ts-ignore: decorator
@inline const CONST_OVERHEAD: usize = 2 * (OBJECT_OVERHEAD + BLOCK_OVERHEAD + AL_MASK) + offsetof<StrV>();

/** String constant `idx`, materialised into the arena on first use. */
function materialise(idx: u32): Value {
  cur = base + <usize>u32at(strOffTab + (<usize>idx << 2));
  let n = <usize>leb();
  let units = <usize>leb();
  let p = cur;
  if (arenaCur + CONST_OVERHEAD + (units << 1) > arenaEnd) fatal("internal: constant arena exhausted");
  let saved = __heap_offset;
  __heap_offset = arenaCur;
  let v = newStrV(utf8String(p, n, units));
  arenaCur = __heap_offset;
  __heap_offset = saved;
  store<usize>(constTab + (<usize>idx << alignof<usize>()), changetype<usize>(v));
  return v;
}

/** Non-local operand: tag 1 string constant, tag 2 boolean (bit 2). */
function constOperand(x: u32): Value {
  if ((x & 3) == 1) {
    let v = load<usize>(constTab + (<usize>(x >> 2) << alignof<usize>()));
    if (v != 0) return changetype<Value>(v);
    return materialise(x >> 2);
  }
  return (x >> 2) != 0 ? TRUE : FALSE;
}

// operand: tag (low 2 bits) 0 local, 1 string constant, 2 boolean
// @ts-ignore: decorator
@inline function opv(x: u32, frame: Frame): Value | null {
  if ((x & 3) == 0) return unchecked(frame[x >> 2]);
  if ((x & 3) == 1) {
    let v = load<usize>(constTab + (<usize>(x >> 2) << alignof<usize>()));
    if (v != 0) return changetype<Value>(v);
  }
  return constOperand(x);
}

export function loadPlan(p: usize, len: usize): void {
  if (len < 72 || u32at(p) != MAGIC) { bad("not a compact plan (rebuild it with this version of rego-wasm)"); return; }
  base = p;
  nStrings = <i32>u32at(p + 4); strOffTab = p + <usize>u32at(p + 8);
  let sumUnits = <usize>u32at(p + 12);
  let nNums = <i32>u32at(p + 16); let numOffTab = p + <usize>u32at(p + 20);
  nFuncs = <i32>u32at(p + 24); funcOffTab = p + <usize>u32at(p + 28);
  nPlans = <i32>u32at(p + 32); planOffTab = p + <usize>u32at(p + 36);
  let nBuiltins = <i32>u32at(p + 40); let builtinsOff = p + <usize>u32at(p + 44);
  nFiles = <i32>u32at(p + 48); filesOff = p + <usize>u32at(p + 52);
  nLocs = <i32>u32at(p + 56); locsOff = p + <usize>u32at(p + 60);
  nPaths = <i32>u32at(p + 64); pathOffTab = p + <usize>u32at(p + 68);

  // reserved before the host records its base heap pointer: survives every reset
  let tabBytes = <usize>nStrings << alignof<usize>();
  constTab = heap.alloc(tabBytes > 0 ? tabBytes : 4);
  memory.fill(constTab, 0, tabBytes);
  // + the alignment of the arena's first allocation
  let arenaBytes = <usize>nStrings * CONST_OVERHEAD + (sumUnits << 1) + BLOCK_OVERHEAD + AL_MASK;
  if (nStrings > 0) {
    arenaCur = heap.alloc(arenaBytes);
    arenaEnd = arenaCur + arenaBytes;
  }

  for (let i = 0; i < nNums; i++) {
    let q = p + <usize>u32at(numOffTab + (<usize>i << 2));
    if (load<u8>(q) == 0) nums.push(numI64(load<i64>(q, 1)));
    else {
      cur = q + 1;
      let n = numParse(readName());
      if (n === null) { bad("invalid number literal"); return; }
      nums.push(n);
    }
  }
  cur = builtinsOff;
  for (let i = 0; i < nBuiltins; i++) {
    let name = readName();
    let flags = load<u8>(cur++);
    let id = nativeId(name);
    // bit 1: called by the plan but not declared in static.builtin_funcs (native only)
    if ((flags & 2) != 0 && id < 0) fatal("invalid plan: unknown function " + name);
    builtinNames.push(name);
    builtinNative.push(id);
    builtinSetResult.push((flags & 1) != 0);
  }
  for (let i = 0; i < nPlans; i++) {
    cur = p + <usize>u32at(planOffTab + (<usize>i << 2));
    planNames.push(readName());
    planBodies.push(cur);
  }
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

/** Runs the blocks (count u16, then each: byte length u32 + statements) at `p` on `frame`. */
function runBlocks(p: usize, frame: Frame): i32 {
  let n = u16at(p);
  p += 2;
  for (let i = 0; i < n; i++) {
    let len = <usize>u32at(p);
    let r = runBlock(p + 4, p + 4 + len, frame);
    if (r == RET) return RET;
    p += 4 + len;
  }
  return OK;
}

export function evalPlan(idx: i32, input: Value | null, data: Value | null): SetV {
  if (idx < 0 || idx >= nPlans) { fatal("internal: illegal entrypoint id"); }
  curMemo = new StaticArray<Value | null>(nFuncs);
  resultSet = new SetV();
  hostCache = new Array<Value | null>(builtinNames.length);
  let body = unchecked(planBodies[idx]);
  let frame = new StaticArray<Value | null>(u16at(body));
  frame[0] = input;
  frame[1] = data !== null ? data : new ObjV();
  runBlocks(body + 2, frame);
  return resultSet;
}

function conflict(loc: u32, msg: string): void {
  let file = "<unknown>", row: u32 = 0, col: u32 = 0;
  if (<i32>loc < nLocs) {
    let q = locsOff + <usize>loc * 12;
    let f = <i32>u32at(q);
    row = u32at(q + 4);
    col = u32at(q + 8);
    if (f >= 0 && f < nFiles) {
      cur = filesOff;
      for (let i = 0; i < f; i++) { let n = <usize>leb(); leb(); cur += n; }
      file = readName();
    }
  }
  fatal(file + ":" + row.toString() + ":" + col.toString() + ": " + msg);
}

let retVal: Value | null = null;
let curParams: i32 = 0; // parameter count of the function being evaluated

// @ts-ignore: decorator
@inline function funcHeader(fi: i32): usize {
  return base + <usize>u32at(funcOffTab + (<usize>fi << 2));
}

/** A fresh frame for the function whose header is at `h` (locals all undefined). */
// @ts-ignore: decorator
@inline function newFrame(h: usize): Frame {
  // as new StaticArray(nlocals), allocation inline (__new zero-fills)
  return changetype<Frame>(__new(<usize>u16at(h) << alignof<usize>(), idof<Frame>()));
}

/** Memoised result of a rule (2-param function) in the current `with` scope, or null. */
// @ts-ignore: decorator
@inline function memoGet(fi: i32, h: usize): Value | null {
  if (u16at(h + 4) != 2) return null;
  return unchecked(curMemo[fi]);
}

/**
 * Function header: u16 nlocals, u16 return local, u16 nparams, nparams x u16
 * params, then its blocks. Runs function `fi` on a frame whose parameter
 * locals are already set.
 */
function runFunc(fi: i32, h: usize, frame: Frame): Value | null {
  let np = u16at(h + 4);
  let savedParams = curParams;
  curParams = np;
  let res: Value | null = null;
  let r = runBlocks(h + 6 + (<usize>np << 1), frame);
  if (r == RET) { res = retVal; retVal = null; }
  curParams = savedParams;
  if (res === null) res = unchecked(frame[u16at(h + 2)]);
  if (res !== null && np == 2) unchecked(curMemo[fi] = res);
  return res;
}

function callHost(id: i32, args: Array<Value>): Value | null {
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


/** `base` with `v` at the path of string constants (u32 indices at `p`, `n` of them) from `i`. */
function upsert(obj: Value | null, p: usize, n: i32, i: i32, v: Value): Value {
  if (i == n) return v;
  let key = constOperand((u32at(p + (<usize>i << 2)) << 2) | 1);
  let o: ObjV;
  let child: Value | null = null;
  if (obj !== null && obj.kind == T_OBJ) {
    o = objCopy(changetype<ObjV>(obj));
    child = objGet(changetype<ObjV>(obj), key);
  } else o = new ObjV();
  objPut(o, key, upsert(child, p, n, i + 1, v));
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

/** The function a CallDynamic path names (binary search of the sorted path table), or -1. */
function funcByPath(path: Array<string>): i32 {
  let lo = 0, hi = nPaths - 1;
  while (lo <= hi) {
    let mid = (lo + hi) >>> 1;
    cur = base + <usize>u32at(pathOffTab + (<usize>mid << 2));
    let n = <i32>leb();
    let c = 0;
    let m = n < path.length ? n : path.length;
    for (let i = 0; i < m && c == 0; i++) {
      let idx = leb();
      let saved = cur;
      let k = changetype<StrV>(constOperand((idx << 2) | 1)).s;
      cur = saved;
      c = strCmp(k, unchecked(path[i]));
    }
    if (c == 0) {
      if (n == path.length) {
        for (let i = m; i < n; i++) leb();
        return <i32>leb();
      }
      c = n < path.length ? -1 : 1;
    }
    if (c < 0) lo = mid + 1; else hi = mid - 1;
  }
  return -1;
}

/** Statements in [p, end) (fixed-width layout: see src/package/plan-encoding.ts). */
function runBlock(p: usize, end: usize, frame: Frame): i32 {
  while (p < end) {
    let t = <i32>load<u8>(p);
    // the most frequent statements, tested before the dispatch table
    if (t == S_AssignVar) { unchecked(frame[u16at(p + 5)] = opv(u32at(p + 1), frame)); p += 7; continue; }
    if (t == S_ResetLocal) { unchecked(frame[u16at(p + 1)] = null); p += 3; continue; }
    if (t == S_IsDefined) { if (unchecked(frame[u16at(p + 1)]) === null) return 0; p += 3; continue; }
    switch (t) {
      case S_AssignVarOnce: {
        let v = opv(u32at(p + 1), frame);
        let l = u16at(p + 5);
        let old = unchecked(frame[l]);
        if (old === null) unchecked(frame[l] = v);
        else if (v === null || !eqFast(old, v)) {
          conflict(u32at(p + 7), curParams > 2
            ? "var assignment conflict (functions must not produce multiple outputs for same inputs)"
            : "var assignment conflict (complete rules must not produce multiple outputs)");
        }
        p += 11;
        break;
      }
      case S_Dot: {
        let src = opv(u32at(p + 3), frame), key = opv(u32at(p + 7), frame);
        if (src === null || key === null) return 0;
        let v: Value | null = null;
        if (src.kind == T_OBJ && key.kind == T_STR) {
          // objects read at one statement usually have the same keys: try the
          // index of the last hit (kept in the statement), verified by comparing the key
          let o = changetype<ObjV>(src), ks = changetype<StrV>(key).s;
          let keys = o.keys;
          let h = u16at(p + 1);
          if (<u32>h < <u32>keys.length) {
            let kv = unchecked(keys[h]);
            if (kv.kind == T_STR && strEq(changetype<StrV>(kv).s, ks)) v = unchecked(o.vals[h]);
          }
          if (v === null) {
            let i = objIndexStr(o, ks);
            if (i < 0) return 0;
            if (i < 0xffff) store<u16>(p + 1, <u16>i);
            v = unchecked(o.vals[i]);
          }
        } else {
          v = dot(src, key);
          if (v === null) return 0;
        }
        unchecked(frame[u16at(p + 11)] = v);
        p += 13;
        break;
      }
      case S_Call: {
        let callee = u32at(p + 1);
        let nops = u16at(p + 7);
        let ops = p + 9;
        if ((callee & 1) == 0) {
          let fi = <i32>(callee >> 1);
          let h = funcHeader(fi);
          let r = memoGet(fi, h);
          if (r === null) {
            let frameC = newFrame(h);
            let np = u16at(h + 4);
            let n = nops < np ? nops : np;
            for (let i = 0; i < n; i++) {
              unchecked(frameC[u16at(h + 6 + (<usize>i << 1))] = opv(u32at(ops + (<usize>i << 2)), frame));
            }
            r = runFunc(fi, h, frameC);
            if (r === null) return 0;
          }
          unchecked(frame[u16at(p + 5)] = r);
          p = ops + (<usize>nops << 2);
          break;
        }
        // builtins never re-enter the interpreter and keep no reference to their
        // argument list, so one preallocated list serves every call of up to 8 args
        let args = nops <= ARGS_CAP ? argScratch : new Array<Value>(nops);
        args.length = nops;
        let ap = args.dataStart;
        for (let i = 0; i < nops; i++) {
          let v = opv(u32at(ops + (<usize>i << 2)), frame);
          if (v === null) return 0;
          store<usize>(ap + (<usize>i << alignof<usize>()), changetype<usize>(v));
        }
        let bi = <i32>(callee >> 1);
        let nat = unchecked(builtinNative[bi]);
        let r: Value | null;
        if (nat >= 0) r = callNative(nat, args);
        else r = callHost(bi, args);
        if (r === null) return 0;
        unchecked(frame[u16at(p + 5)] = r);
        p = ops + (<usize>nops << 2);
        break;
      }
      case S_IsUndefined: { if (unchecked(frame[u16at(p + 1)]) !== null) return 0; p += 3; break; }
      case S_MakeObject: { unchecked(frame[u16at(p + 1)] = new ObjV()); p += 3; break; }
      case S_MakeArray: { unchecked(frame[u16at(p + 1)] = new ArrV()); p += 3; break; }
      case S_MakeSet: { unchecked(frame[u16at(p + 1)] = new SetV()); p += 3; break; }
      case S_MakeNull: { unchecked(frame[u16at(p + 1)] = NULL); p += 3; break; }
      case S_MakeNumberRef:
      case S_MakeNumberInt:
      case S_AssignInt: { unchecked(frame[u16at(p + 5)] = unchecked(nums[<i32>u32at(p + 1)])); p += 7; break; }
      case S_ObjectInsert: {
        let k = opv(u32at(p + 1), frame), v = opv(u32at(p + 5), frame), o = unchecked(frame[u16at(p + 9)]);
        if (k === null || v === null || o === null || o.kind != T_OBJ) return 0;
        objPut(changetype<ObjV>(o), k, v);
        p += 11;
        break;
      }
      case S_ObjectInsertOnce: {
        let k = opv(u32at(p + 1), frame), v = opv(u32at(p + 5), frame), o = unchecked(frame[u16at(p + 9)]);
        if (k === null || v === null || o === null || o.kind != T_OBJ) return 0;
        let old = objGet(changetype<ObjV>(o), k);
        if (old !== null) { if (!eq(old, v)) conflict(u32at(p + 11), "object insert conflict (object keys must be unique)"); }
        else objPut(changetype<ObjV>(o), k, v);
        p += 15;
        break;
      }
      case S_ArrayAppend: {
        let a = unchecked(frame[u16at(p + 1)]), v = opv(u32at(p + 3), frame);
        if (v === null || a === null || a.kind != T_ARR) return 0;
        pushValue(changetype<ArrV>(a).items, v);
        p += 7;
        break;
      }
      case S_SetAdd: {
        let v = opv(u32at(p + 1), frame), a = unchecked(frame[u16at(p + 5)]);
        if (v === null || a === null || a.kind != T_SET) return 0;
        setAdd(changetype<SetV>(a), v);
        p += 7;
        break;
      }
      case S_Equal: {
        let a = opv(u32at(p + 1), frame), b = opv(u32at(p + 5), frame);
        if (a === null || b === null) return 0;
        if (!eqFast(a, b)) return 0;
        p += 9;
        break;
      }
      case S_NotEqual: {
        let a = opv(u32at(p + 1), frame), b = opv(u32at(p + 5), frame);
        if (a === null || b === null) return 0;
        if (eqFast(a, b)) return 0;
        p += 9;
        break;
      }
      case S_IsArray: { let v = opv(u32at(p + 1), frame); if (v === null || v.kind != T_ARR) return 0; p += 5; break; }
      case S_IsObject: { let v = opv(u32at(p + 1), frame); if (v === null || v.kind != T_OBJ) return 0; p += 5; break; }
      case S_IsSet: { let v = opv(u32at(p + 1), frame); if (v === null || v.kind != T_SET) return 0; p += 5; break; }
      case S_Len: {
        let v = opv(u32at(p + 1), frame);
        if (v === null) return 0;
        let n = 0;
        if (v.kind == T_ARR) n = changetype<ArrV>(v).items.length;
        else if (v.kind == T_OBJ) n = changetype<ObjV>(v).keys.length;
        else if (v.kind == T_SET) n = changetype<SetV>(v).items.length;
        else if (v.kind == T_STR) n = cpCount(changetype<StrV>(v).s);
        else return 0;
        unchecked(frame[u16at(p + 5)] = numI64(n));
        p += 7;
        break;
      }
      case S_Block: {
        let len = <usize>u32at(p + 1);
        let q = p + 5;
        let nb = u16at(q);
        q += 2;
        for (let i = 0; i < nb; i++) {
          let bl = <usize>u32at(q);
          let r = runBlock(q + 4, q + 4 + bl, frame);
          q += 4 + bl;
          if (r == OK || r == 0) continue;
          if (r == RET) return RET;
          return r - 1;
        }
        p += 5 + len;
        break;
      }
      case S_Break: return u16at(p + 1);
      case S_Not: {
        let len = <usize>u32at(p + 1);
        let r = runBlock(p + 5, p + 5 + len, frame);
        if (r == OK) return 0;
        if (r != 0) {
          if (r == RET) return RET;
          return r - 1;
        }
        p += 5 + len;
        break;
      }
      case S_Scan: {
        let len = <usize>u32at(p + 7);
        let src = unchecked(frame[u16at(p + 1)]);
        if (src !== null) {
          let lk = u16at(p + 3), lv = u16at(p + 5);
          let bs = p + 11, be = bs + len;
          let k = src.kind;
          if (k == T_ARR) {
            let items = changetype<ArrV>(src).items;
            for (let i = 0; i < items.length; i++) {
              unchecked(frame[lk] = numI64(i));
              unchecked(frame[lv] = unchecked(items[i]));
              let r = runBlock(bs, be, frame);
              if (r == OK || r == 0) continue;
              if (r == RET) return RET;
              return r - 1;
            }
          } else if (k == T_OBJ) {
            let o = changetype<ObjV>(src);
            let keys = o.keys, vals = o.vals;
            for (let i = 0; i < keys.length; i++) {
              unchecked(frame[lk] = unchecked(keys[i]));
              unchecked(frame[lv] = unchecked(vals[i]));
              let r = runBlock(bs, be, frame);
              if (r == OK || r == 0) continue;
              if (r == RET) return RET;
              return r - 1;
            }
          } else if (k == T_SET) {
            let items = changetype<SetV>(src).items;
            for (let i = 0; i < items.length; i++) {
              unchecked(frame[lk] = unchecked(items[i]));
              unchecked(frame[lv] = unchecked(items[i]));
              let r = runBlock(bs, be, frame);
              if (r == OK || r == 0) continue;
              if (r == RET) return RET;
              return r - 1;
            }
          }
        }
        p += 11 + len;
        break;
      }
      case S_ObjectMerge: {
        let r = merge(unchecked(frame[u16at(p + 1)]), unchecked(frame[u16at(p + 3)]));
        if (r === null) return 0;
        unchecked(frame[u16at(p + 5)] = r);
        p += 7;
        break;
      }
      case S_ResultSetAdd: {
        let v = unchecked(frame[u16at(p + 1)]);
        if (v !== null) setAdd(resultSet, v);
        p += 3;
        break;
      }
      case S_ReturnLocal: {
        retVal = unchecked(frame[u16at(p + 1)]);
        if (retVal === null) return 0;
        return RET;
      }
      case S_With: {
        let l = u16at(p + 1);
        let np = u16at(p + 3);
        let len = <usize>u32at(p + 9);
        let pathAt = p + 13;
        let bs = pathAt + (<usize>np << 2);
        let old = unchecked(frame[l]);
        let v = opv(u32at(p + 5), frame);
        if (v === null) {
          // restoring a saved local that was undefined (e.g. no input)
          if (np != 0) return 0;
          unchecked(frame[l] = null);
        } else unchecked(frame[l] = np == 0 ? v : upsert(old, pathAt, np, 0, v));
        let savedMemo = curMemo;
        curMemo = new StaticArray<Value | null>(nFuncs);
        let r = runBlock(bs, bs + len, frame);
        curMemo = savedMemo;
        unchecked(frame[l] = old);
        if (r != OK) {
          if (r == 0 || r == RET) return r;
          return r - 1;
        }
        p = bs + len;
        break;
      }
      case S_CallDynamic: {
        let np = u16at(p + 3);
        let q = p + 5;
        let path = new Array<string>(np);
        for (let i = 0; i < np; i++) {
          let v = opv(u32at(q + (<usize>i << 2)), frame);
          if (v === null || v.kind != T_STR) return 0;
          unchecked(path[i] = changetype<StrV>(v).s);
        }
        q += <usize>np << 2;
        let na = u16at(q);
        q += 2;
        let fi = funcByPath(path);
        if (fi < 0) return 0;
        let h = funcHeader(fi);
        let r = memoGet(fi, h);
        if (r === null) {
          let frameC = newFrame(h);
          let npar = u16at(h + 4);
          let n = na < npar ? na : npar;
          for (let i = 0; i < n; i++) unchecked(frameC[u16at(h + 6 + (<usize>i << 1))] = unchecked(frame[u16at(q + (<usize>i << 1))]));
          r = runFunc(fi, h, frameC);
          if (r === null) return 0;
        }
        unchecked(frame[u16at(p + 1)] = r);
        p = q + (<usize>na << 1);
        break;
      }
      case S_Nop: { p += 1; break; }
      default: fatal("internal: unknown statement");
    }
  }
  return OK;
}

export function entrypointsValue(): ObjV {
  let o = new ObjV();
  for (let i = 0; i < planNames.length; i++) objPut(o, new StrV(planNames[i]), numI64(i));
  return o;
}

export function builtinsValue(): ObjV {
  let o = new ObjV();
  for (let i = 0; i < builtinNames.length; i++) {
    if (builtinNative[i] < 0) objPut(o, new StrV(builtinNames[i]), numI64(i));
  }
  return o;
}
