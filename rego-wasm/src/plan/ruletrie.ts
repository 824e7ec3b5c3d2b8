/**
 * Rules organised by their data path (OPA's `ruletrie`), plus the two stacks
 * the planner uses to re-plan code under `with`:
 *
 * - a trie node's children are stacks, so `with data.x as …` can shadow a
 *   subtree (push an empty slot) while the expression is planned;
 * - `FuncStack` maps rule paths to planned function names per generation
 *   (`g0.data.p`, `g1.data.p` under a `with`);
 * - `MockStack` holds the function/builtin replacements of `with f as g`.
 *
 * Keys are opaque values identified by a canonical string (see `TrieKey`);
 * children are listed in Rego value order (strings before vars, then by text).
 */

export interface TrieKey<V> {
  /** Canonical identity, e.g. `s:foo` for the string "foo". */
  id: string;
  /** Rank of the value's type in Rego's total order (null < bool < number < string < var < …). */
  rank: number;
  /** Text compared within one rank. */
  text: string;
  value: V;
}

function compareKeys<V>(a: TrieKey<V>, b: TrieKey<V>): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.rank === 2) {
    const d = Number(a.text) - Number(b.text);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

export class RuleTrie<R extends { argCount: number }, V> {
  private readonly children = new Map<string, { key: TrieKey<V>; stack: (RuleTrie<R, V> | null)[] }>();
  rules: R[] | null = null;

  /** Rules of this node plus the rules of its immediate children (OPA's Rules()). */
  collectRules(): R[] {
    if (this.rules === null) return [];
    const out = [...this.rules];
    for (const c of this.children.values()) {
      const top = c.stack[c.stack.length - 1];
      if (top && top.rules) out.push(...top.rules);
    }
    return out;
  }

  arity(): number {
    const rs = this.collectRules();
    return rs.length > 0 ? rs[0]!.argCount : 0;
  }

  get(id: string): RuleTrie<R, V> | null {
    const c = this.children.get(id);
    if (!c || c.stack.length === 0) return null;
    return c.stack[c.stack.length - 1] ?? null;
  }

  childrenCount(): number {
    return this.children.size;
  }

  /** Keys of visible (not shadowed) children, in Rego value order. */
  childKeys(): TrieKey<V>[] {
    const out: TrieKey<V>[] = [];
    for (const c of this.children.values()) {
      if (c.stack.length > 0 && c.stack[c.stack.length - 1]) out.push(c.key);
    }
    return out.sort(compareKeys);
  }

  insert(path: TrieKey<V>[]): RuleTrie<R, V> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let node: RuleTrie<R, V> = this;
    for (const k of path) {
      let child = node.get(k.id);
      if (!child) {
        child = new RuleTrie<R, V>();
        const slot = node.children.get(k.id);
        if (slot) slot.stack.push(child);
        else node.children.set(k.id, { key: k, stack: [child] });
      }
      node = child;
    }
    return node;
  }

  lookup(path: TrieKey<V>[]): RuleTrie<R, V> | null {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let node: RuleTrie<R, V> | null = this;
    for (const k of path) {
      node = node.get(k.id);
      if (!node) return null;
    }
    return node;
  }

  /** The shallowest node on `path` that holds rules, or the node at `path`. */
  lookupShallowest(path: TrieKey<V>[]): RuleTrie<R, V> | null {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let node: RuleTrie<R, V> | null = this;
    for (const k of path) {
      node = node.get(k.id);
      if (!node) return null;
      if (node.rules && node.rules.length > 0) return node;
    }
    return node;
  }

  lookupOrInsert(path: TrieKey<V>[]): RuleTrie<R, V> {
    return this.lookupShallowest(path) ?? this.insert(path);
  }

  /** All rules at or below this node (OPA's DescendantRules). */
  descendantRules(): R[] {
    const out: R[] = [...(this.rules ?? [])];
    for (const c of this.children.values()) {
      for (const n of c.stack) if (n) out.push(...n.descendantRules());
    }
    return out;
  }

  /** Drop all children (their rules were merged into this node). */
  clearChildren(): void {
    this.children.clear();
  }

  /** Shadow the subtree at `path` (for `with data.… as …`). */
  push(path: TrieKey<V>[]): void {
    const parent = this.lookup(path.slice(0, -1));
    if (!parent) return;
    const last = path[path.length - 1]!;
    const slot = parent.children.get(last.id);
    if (slot) slot.stack.push(null);
    else parent.children.set(last.id, { key: last, stack: [null] });
  }

  pop(path: TrieKey<V>[]): void {
    const parent = this.lookup(path.slice(0, -1));
    if (!parent) return;
    const last = path[path.length - 1]!;
    const slot = parent.children.get(last.id);
    if (slot) slot.stack.pop();
  }
}

/**
 * Planned function names per generation; a `with` that shadows rules pushes a
 * new generation. A generation may capture local variables (a mock whose
 * value is a local, `with f as v`): functions planned in it take them as extra
 * parameters after input and data.
 */
export class FuncStack {
  private readonly stack: { pairs: Map<string, string>; gen: number; vars: string[] }[] = [
    { pairs: new Map(), gen: 0, vars: ['input', 'data'] },
  ];
  private next = 1;

  get(path: string): string | undefined {
    return this.stack[this.stack.length - 1]!.pairs.get(path);
  }

  add(path: string, name: string): void {
    this.stack[this.stack.length - 1]!.pairs.set(path, name);
  }

  push(vars: string[] = []): void {
    this.stack.push({ pairs: new Map(), gen: this.next++, vars });
  }

  pop(): void {
    this.stack.pop();
  }

  gen(): number {
    return this.stack[this.stack.length - 1]!.gen;
  }

  /** Variables passed to every planned function: input, data, then captured locals. */
  vars(): string[] {
    return this.stack.flatMap((e) => e.vars);
  }
}

/** Replacements of functions/builtins by `with f as g`, scoped per planned function. */
export class MockStack<T> {
  private readonly stack: Map<string, T>[][] = [[]];

  push(): void {
    this.stack.push([]);
  }

  pop(): void {
    this.stack.pop();
  }

  pushFrame(frame: Map<string, T>): void {
    this.stack[this.stack.length - 1]!.push(frame);
  }

  popFrame(): void {
    this.stack[this.stack.length - 1]!.pop();
  }

  lookup(name: string): T | undefined {
    const cur = this.stack[this.stack.length - 1]!;
    for (let i = cur.length - 1; i >= 0; i--) {
      const t = cur[i]!.get(name);
      if (t !== undefined) return t;
    }
    return undefined;
  }
}
