// Host imports (module "env"), exactly those the OPA SDK provides.
// @ts-ignore: decorator
@external("env", "opa_abort") export declare function opa_abort(addr: usize): void;
// @ts-ignore: decorator
@external("env", "opa_println") export declare function opa_println(addr: usize): void;
// @ts-ignore: decorator
@external("env", "opa_builtin0") export declare function opa_builtin0(id: i32, ctx: i32): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin1") export declare function opa_builtin1(id: i32, ctx: i32, a: usize): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin2") export declare function opa_builtin2(id: i32, ctx: i32, a: usize, b: usize): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin3") export declare function opa_builtin3(id: i32, ctx: i32, a: usize, b: usize, c: usize): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin4") export declare function opa_builtin4(id: i32, ctx: i32, a: usize, b: usize, c: usize, d: usize): usize;

/** NUL-terminated UTF-8 copy of `s` in the heap. */
export function cstring(s: string): usize {
  let buf = String.UTF8.encode(s, true);
  return changetype<usize>(buf);
}

/** Aborts the evaluation with `msg` (the host throws). */
export function fatal(msg: string): void {
  opa_abort(cstring(msg));
  unreachable();
}

/** AssemblyScript's abort (bounds checks, assertions) routed to opa_abort. */
export function abortHook(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let m = message !== null ? message : "abort";
  opa_abort(cstring("internal error: " + m));
  unreachable();
}

export function println(s: string): void {
  opa_println(cstring(s));
}
