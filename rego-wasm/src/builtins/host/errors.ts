/**
 * Errors raised by host builtins. OPA turns a builtin error into "undefined"
 * in non-strict mode; the exported `hostBuiltins` table does exactly that,
 * while `strictHostBuiltins` lets the error through (tests, strict mode).
 */
export abstract class HostBuiltinError extends Error {
  constructor(
    readonly builtin: string,
    message: string,
  ) {
    super(`${builtin}: ${message}`);
    this.name = new.target.name;
  }
}

/** An operand has the wrong type (OPA: `eval_type_error`). */
export class OperandTypeError extends HostBuiltinError {
  constructor(builtin: string, position: number, got: unknown, ...want: string[]) {
    super(builtin, `operand ${position} must be ${want.join(' or ')} but got ${jsonTypeName(got)}`);
  }
}

/** The builtin rejected its input (OPA: `eval_builtin_error`). */
export class BuiltinEvalError extends HostBuiltinError {}

/** The input would make the builtin run too long or allocate too much. */
export class InputLimitError extends HostBuiltinError {}

export function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      return 'object';
    default:
      return typeof v;
  }
}
