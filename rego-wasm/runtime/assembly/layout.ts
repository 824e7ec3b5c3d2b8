// Exported globals the packager rewrites (literal i32.const 0 initialisers).
export let opa_plan_addr: i32 = 0;
export let opa_plan_len: i32 = 0;
export let opa_heap_start: i32 = 0;
