// OPA Wasm ABI (1.3) of the policy engine. The IR plan is embedded by the
// packager at [opa_plan_addr, opa_plan_addr + opa_plan_len) and decoded at
// start-up, before the SDK records its base heap pointer.
import { Value, ObjV, SetV, StrV, ArrV, T_OBJ, T_ARR, T_STR, objGet, objPut, objRemove, objCopy } from "./value";
import { parseJson, dumpJson, dumpTerm, Buf, writeValue } from "./json";
import { loadPlan, evalPlan, entrypointsValue, builtinsValue } from "./interp";
import { fatal } from "./env";

export const opa_wasm_abi_version: i32 = 1;
export const opa_wasm_abi_minor_version: i32 = 3;

// Rewritten by the packager (keep the literal zero initialisers).
import { opa_plan_addr, opa_plan_len } from "./layout";
export { opa_plan_addr, opa_plan_len, opa_heap_start } from "./layout";

export function opa_engine_heap_base(): i32 { return <i32>__heap_base; }

// ---- start-up ---------------------------------------------------------------------------
if (opa_plan_len > 0) loadPlan(<usize>opa_plan_addr, <usize>opa_plan_len);
let entrypointsCache: ObjV = entrypointsValue();
let builtinsCache: ObjV = builtinsValue();

// ---- memory --------------------------------------------------------------------------------
export function opa_malloc(size: i32): i32 { return <i32>heap.alloc(<usize>size); }
export function opa_free(addr: i32): void {}
export function opa_heap_ptr_get(): i32 { return <i32>__heap_offset; }
export function opa_heap_ptr_set(addr: i32): void { __heap_offset = <usize>addr; }
export function opa_heap_blocks_stash(): void {}
export function opa_heap_blocks_restore(): void {}
export function opa_heap_stash_clear(): void {}
export function opa_value_free(addr: i32): void {}

// ---- values ----------------------------------------------------------------------------------
export function opa_json_parse(addr: i32, len: i32): i32 {
  if (len <= 0) return 0;
  let v = parseJson(<usize>addr, <usize>len, false);
  return v === null ? 0 : <i32>changetype<usize>(v);
}

export function opa_value_parse(addr: i32, len: i32): i32 {
  if (len <= 0) return 0;
  let v = parseJson(<usize>addr, <usize>len, true);
  return v === null ? 0 : <i32>changetype<usize>(v);
}

function dump(addr: i32, rego: bool): i32 {
  let b = new Buf();
  if (addr == 0) b.ascii("null");
  else writeValue(b, changetype<Value>(<usize>addr), rego);
  return <i32>b.cstr();
}

export function opa_json_dump(addr: i32): i32 { return dump(addr, false); }
export function opa_value_dump(addr: i32): i32 { return dump(addr, true); }

function pathOf(addr: i32): Array<Value> | null {
  if (addr == 0) return null;
  let p = changetype<Value>(<usize>addr);
  if (p.kind != T_ARR) return null;
  let items = changetype<ArrV>(p).items;
  for (let i = 0; i < items.length; i++) if (items[i].kind != T_STR) return null;
  return items;
}

export function opa_value_add_path(base: i32, path: i32, value: i32): i32 {
  if (base == 0 || value == 0) return 1;
  let b = changetype<Value>(<usize>base);
  if (b.kind != T_OBJ) return 2;
  let ps = pathOf(path);
  if (ps === null) return 3;
  if (ps.length == 0) return 3;
  let cur = changetype<ObjV>(b);
  for (let i = 0; i < ps.length - 1; i++) {
    let nx = objGet(cur, ps[i]);
    if (nx === null || nx.kind != T_OBJ) { let o = new ObjV(); objPut(cur, ps[i], o); cur = o; }
    else cur = changetype<ObjV>(nx);
  }
  objPut(cur, ps[ps.length - 1], changetype<Value>(<usize>value));
  return 0;
}

export function opa_value_remove_path(base: i32, path: i32): i32 {
  if (base == 0) return 1;
  let b = changetype<Value>(<usize>base);
  if (b.kind != T_OBJ) return 2;
  let ps = pathOf(path);
  if (ps === null) return 3;
  if (ps.length == 0) return 3;
  let cur = changetype<ObjV>(b);
  for (let i = 0; i < ps.length - 1; i++) {
    let nx = objGet(cur, ps[i]);
    if (nx === null || nx.kind != T_OBJ) return 0;
    cur = changetype<ObjV>(nx);
  }
  objRemove(cur, ps[ps.length - 1]);
  return 0;
}

// ---- evaluation -------------------------------------------------------------------------------
class Ctx {
  input: Value | null = null;
  data: Value | null = null;
  result: Value | null = null;
  entrypoint: i32 = 0;
}

export function entrypoints(): i32 { return <i32>changetype<usize>(entrypointsCache); }
export function builtins(): i32 { return <i32>changetype<usize>(builtinsCache); }

export function opa_eval_ctx_new(): i32 { return <i32>changetype<usize>(new Ctx()); }
export function opa_eval_ctx_set_input(ctx: i32, v: i32): void {
  changetype<Ctx>(<usize>ctx).input = v == 0 ? null : changetype<Value>(<usize>v);
}
export function opa_eval_ctx_set_data(ctx: i32, v: i32): void {
  changetype<Ctx>(<usize>ctx).data = v == 0 ? null : changetype<Value>(<usize>v);
}
export function opa_eval_ctx_set_entrypoint(ctx: i32, e: i32): void { changetype<Ctx>(<usize>ctx).entrypoint = e; }
export function opa_eval_ctx_get_result(ctx: i32): i32 {
  let r = changetype<Ctx>(<usize>ctx).result;
  return r === null ? 0 : <i32>changetype<usize>(r);
}

export function eval(ctx: i32): i32 {
  let c = changetype<Ctx>(<usize>ctx);
  c.result = evalPlan(c.entrypoint, c.input, c.data);
  return 0;
}

export function opa_eval(reserved: i32, entrypoint: i32, data: i32, input: i32, inputLen: i32, heapPtr: i32, format: i32): i32 {
  if (reserved != 0) fatal("invalid reserved argument");
  __heap_offset = <usize>heapPtr;
  let inp: Value | null = null;
  if (inputLen > 0) {
    inp = parseJson(<usize>input, <usize>inputLen, true);
    if (inp === null) fatal("input: failed to parse json value");
  }
  let d: Value | null = data == 0 ? null : changetype<Value>(<usize>data);
  let rs = evalPlan(entrypoint, inp, d);
  return format == 1 ? dump(<i32>changetype<usize>(rs), true) : dump(<i32>changetype<usize>(rs), false);
}
