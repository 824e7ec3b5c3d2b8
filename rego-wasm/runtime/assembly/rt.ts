// Resettable bump allocator used as the AssemblyScript runtime (no GC).
// Its top is OPA's heap pointer (opa_heap_ptr_get/set): everything allocated
// above a pointer the host saved is discarded when the host resets to it.
// The memory size is read on every growth check (the host may grow memory).
import { opa_heap_start } from "./layout";
import { AL_MASK, OBJECT, OBJECT_OVERHEAD, TOTAL_OVERHEAD, BLOCK_MAXSIZE, BLOCK_OVERHEAD, BLOCK, OBJECT_MAXSIZE } from "rt/common";

// @ts-ignore: decorator
@global let __heap_offset: usize = 0;

// @ts-ignore: decorator
@global @unsafe
function __heap_init(start: usize): void {
  __heap_offset = ((start + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
  // make sure the start is backed by memory
  ensureMemory(__heap_offset + BLOCK_OVERHEAD);
}

// @ts-ignore: decorator
@global let __mem_limit: usize = 0;

// @ts-ignore: decorator
@inline function ensureMemory(top: usize): void {
  if (top > __mem_limit) growMemory(top);
}

function growMemory(top: usize): void {
  let pagesBefore = memory.size();
  let maxOffset = <usize>pagesBefore << 16;
  if (top > maxOffset) {
    let pagesNeeded = <i32>(((top - maxOffset + 0xffff) & ~0xffff) >>> 16);
    // on demand, with a quarter of the current size in reserve (not doubling):
    // memory stays proportional to what the evaluations touch
    let pagesWanted = pagesNeeded + (pagesBefore >> 2);
    if (memory.grow(pagesWanted) < 0) {
      if (memory.grow(pagesNeeded) < 0) unreachable();
    }
  }
  let pages = <usize>memory.size();
  __mem_limit = pages >= 0x10000 ? <usize>-1 : pages << 16;
}

// @ts-ignore: decorator
@inline function computeSize(size: usize): usize {
  return ((size + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK) - BLOCK_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global @inline
function __alloc(size: usize): usize {
  if (__heap_offset == 0) {
    let start = <usize>opa_heap_start > __heap_base ? <usize>opa_heap_start : __heap_base;
    __heap_init(start);
  }
  if (size > BLOCK_MAXSIZE) unreachable();
  // the host may set any (unaligned) heap pointer: align here
  let ptr = (__heap_offset + BLOCK_OVERHEAD + AL_MASK) & ~AL_MASK;
  let block = changetype<BLOCK>(ptr - BLOCK_OVERHEAD);
  let payloadSize = computeSize(size);
  let top = ptr + payloadSize;
  ensureMemory(top);
  __heap_offset = top;
  block.mmInfo = payloadSize;
  return ptr;
}

// @ts-ignore: decorator
@unsafe @global
function __realloc(ptr: usize, size: usize): usize {
  let block = changetype<BLOCK>(ptr - BLOCK_OVERHEAD);
  let actualSize = block.mmInfo;
  let isLast = ptr + actualSize == __heap_offset;
  let payloadSize = computeSize(size);
  if (size > actualSize) {
    if (isLast) {
      if (size > BLOCK_MAXSIZE) unreachable();
      ensureMemory(ptr + payloadSize);
      __heap_offset = ptr + payloadSize;
      block.mmInfo = payloadSize;
    } else {
      let newPtr = __alloc(max<usize>(payloadSize, actualSize << 1));
      memory.copy(newPtr, ptr, actualSize);
      ptr = newPtr;
    }
  } else if (isLast) {
    __heap_offset = ptr + payloadSize;
    block.mmInfo = payloadSize;
  }
  return ptr;
}

// @ts-ignore: decorator
@unsafe @global
function __free(ptr: usize): void {
  let block = changetype<BLOCK>(ptr - BLOCK_OVERHEAD);
  if (ptr + block.mmInfo == __heap_offset) __heap_offset = changetype<usize>(block);
}

// @ts-ignore: decorator
@unsafe @global
function __reset(): void {}

/** Zero-fills [p, p + n): inline 8-byte stores up to 256 bytes (frames, small arrays) (memory.fill is a call). */
// @ts-ignore: decorator
@inline function zero(p: usize, n: usize): void {
  if (n <= 256) {
    let e = p + n;
    while (p + 8 <= e) { store<u64>(p, 0); p += 8; }
    if (p + 4 <= e) { store<u32>(p, 0); p += 4; }
    while (p < e) { store<u8>(p, 0); p++; }
  } else memory.fill(p, 0, n);
}

// @ts-ignore: decorator
@unsafe @global @inline
function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) unreachable();
  let ptr = __alloc(OBJECT_OVERHEAD + size);
  let object = changetype<OBJECT>(ptr - BLOCK_OVERHEAD);
  object.gcInfo = 0;
  object.gcInfo2 = 0;
  object.rtId = id;
  object.rtSize = <u32>size;
  // memory is reused after heap resets, and AssemblyScript treats a custom
  // runtime like the incremental GC, which expects zeroed objects
  // (strings, id 2, are always written in full by their creators)
  if (id != idof<String>()) zero(ptr + OBJECT_OVERHEAD, size);
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) unreachable();
  let oldSize = <usize>changetype<OBJECT>(oldPtr - TOTAL_OVERHEAD).rtSize;
  let newPtr = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(newPtr - BLOCK_OVERHEAD).rtSize = <u32>size;
  if (size > oldSize) memory.fill(newPtr + OBJECT_OVERHEAD + oldSize, 0, size - oldSize);
  return newPtr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@global @unsafe
function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
function __pin(ptr: usize): usize { return ptr; }

// @ts-ignore: decorator
@global @unsafe
function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {}

// @ts-ignore: decorator
@global @unsafe
function __collect(): void {}
