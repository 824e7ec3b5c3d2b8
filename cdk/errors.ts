/**
 * One error hierarchy for the CDK app (STYLE.md): callers and tests branch on
 * the class, never on message text. Every message names the prop, context key
 * or file it is about so that a failed `cdk synth` says what to fix.
 */
export abstract class CdkAppError extends Error {
  protected constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A construct prop has a value the construct refuses (names the prop). */
export class InvalidPropError extends CdkAppError {
  constructor(
    readonly prop: string,
    reason: string,
  ) {
    super(`OpaAuthorizedApi: invalid prop "${prop}": ${reason}`);
  }
}

/** A required `-c key=value` context value is missing or malformed. */
export class ContextValueError extends CdkAppError {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`context value "${key}": ${reason} (pass it as: -c ${key}=...)`);
  }
}

/** Building the policy with the in-house toolchain failed. */
export class PolicyBuildError extends CdkAppError {
  constructor(message: string) {
    super(message);
  }
}

/** `npm run synth` was called with arguments it does not understand. */
export class CliUsageError extends CdkAppError {
  constructor(message: string) {
    super(`${message} (usage: npm run synth -- [-c key=value]... [--outdir dir] [--require-tenant])`);
  }
}
