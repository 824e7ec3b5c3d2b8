/**
 * Generated variable names (`__local0__`, `__local1__`, ...), skipping any name the user's
 * modules already contain, as OPA's localVarGenerator. Queries use the `__localq` prefix.
 */
export class LocalVarGenerator {
  private next = 0;
  constructor(
    private readonly taken: ReadonlySet<string>,
    private readonly prefix: string = '__local',
  ) {}

  generate(): string {
    for (;;) {
      const name = `${this.prefix}${this.next++}__`;
      if (!this.taken.has(name)) return name;
    }
  }
}
