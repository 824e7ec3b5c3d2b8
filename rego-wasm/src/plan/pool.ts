/**
 * The plan's constant pools: strings (operands and number literals) and file
 * names (statement locations). Indices are assigned in first-use order, which
 * is what makes plans deterministic and comparable with OPA's.
 */
export class ConstPool {
  private readonly index = new Map<string, number>();
  readonly values: string[] = [];

  get(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(value, i);
    }
    return i;
  }

  get size(): number {
    return this.values.length;
  }
}
