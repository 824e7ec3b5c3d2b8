/**
 * Scoped variable → local bindings used while planning one frame (plan or
 * function). Frames are pushed for comprehension bodies and for each virtual
 * child block so that bindings made there do not leak out.
 */
import type { Local } from '../ir/plan';

export class VarStack {
  private readonly frames: Map<string, Local>[] = [];

  constructor(...frames: Map<string, Local>[]) {
    for (const f of frames) this.frames.push(f);
  }

  get(name: string): Local | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const l = this.frames[i]!.get(name);
      if (l !== undefined) return l;
    }
    return undefined;
  }

  /** OPA's GetOrEmpty: an unknown var maps to local 0 (only used for input/data). */
  getOrEmpty(name: string): Local {
    return this.get(name) ?? 0;
  }

  put(name: string, l: Local): void {
    this.frames[this.frames.length - 1]!.set(name, l);
  }

  push(frame: Map<string, Local> = new Map()): void {
    this.frames.push(frame);
  }

  pop(): Map<string, Local> {
    const f = this.frames.pop();
    if (!f) throw new Error('varstack underflow');
    return f;
  }
}
