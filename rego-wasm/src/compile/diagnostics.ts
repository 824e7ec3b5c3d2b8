/** Error collection shared by the passes: every error is a located RegoError. */
import { RegoError, RegoErrors } from '../errors';
import type { RegoErrorCode, ErrorLocation } from '../errors';

export class Diagnostics {
  readonly errors: RegoError[] = [];

  add(code: RegoErrorCode, message: string, location?: ErrorLocation): void {
    this.errors.push(new RegoError(code, message, location));
  }
  compile(message: string, location?: ErrorLocation): void {
    this.add('rego_compile_error', message, location);
  }
  type(message: string, location?: ErrorLocation): void {
    this.add('rego_type_error', message, location);
  }
  unsupported(construct: string, location?: ErrorLocation): void {
    this.add('rego_unsupported_error', `${construct} is not supported by this compiler`, location);
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }

  /** Throws the collected errors, sorted by location like OPA. */
  throwIfAny(): void {
    if (this.errors.length === 0) return;
    const sorted = [...this.errors].sort((a, b) => {
      const la = a.location;
      const lb = b.location;
      if (!la || !lb) return la ? -1 : lb ? 1 : 0;
      if (la.file !== lb.file) return la.file < lb.file ? -1 : 1;
      return la.row - lb.row || la.col - lb.col;
    });
    throw new RegoErrors(sorted);
  }
}
