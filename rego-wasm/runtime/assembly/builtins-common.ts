// Helpers shared by the native builtins (builtins-*.ts): operand access and small-int reads.
import { Value, StrV, ArrV, SetV, T_NUM, T_STR, T_ARR, T_SET } from "./value";
import { NumV } from "./num";

// @ts-ignore: decorator
@inline export function num(v: Value): NumV { return changetype<NumV>(v); }
// @ts-ignore: decorator
@inline export function s(v: Value): string { return changetype<StrV>(v).s; }
// @ts-ignore: decorator
@inline export function isNum(v: Value): bool { return v.kind == T_NUM; }
// @ts-ignore: decorator
@inline export function isStr(v: Value): bool { return v.kind == T_STR; }

export function items(v: Value): Array<Value> | null {
  if (v.kind == T_ARR) return changetype<ArrV>(v).items;
  if (v.kind == T_SET) return changetype<SetV>(v).items;
  return null;
}

export function arrOf(list: Array<Value>): ArrV { let a = new ArrV(); a.items = list; return a; }

export function smallInt(v: Value, ok: StaticArray<bool>): i64 {
  ok[0] = false;
  if (v.kind != T_NUM) return 0;
  let n = num(v);
  if (!n.isInt) return 0;
  ok[0] = true;
  return n.i;
}

export const okBuf = new StaticArray<bool>(1);
