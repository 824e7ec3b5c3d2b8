/**
 * API Gateway's authorizer result cache: the returned policy (with its
 * principalId and context) is kept per identity-source values for the TTL and
 * re-evaluated against each request's own methodArn. Only well-formed
 * results are cached; `Unauthorized` and failures are not.
 *
 * The key is the identity-source values in configured order (here:
 * Authorization header, context.httpMethod, context.path — see
 * cdk/construct/identity-sources.ts), so a decision for one method+path is
 * never replayed for another. Context values, decisionId included, are
 * replayed from the cache until the entry expires.
 */
import type { AuthorizerDecision } from './authorizer-result';

interface Entry {
  readonly decision: AuthorizerDecision;
  readonly expiresAt: number;
}

export class AuthorizerCache {
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  constructor(
    readonly ttlSeconds: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  static key(identityValues: readonly string[]): string {
    // Values are joined with a separator that cannot occur inside HTTP header values or paths.
    return identityValues.join('\u0000');
  }

  get(key: string): AuthorizerDecision | undefined {
    if (!this.enabled) return undefined;
    const e = this.entries.get(key);
    if (e && e.expiresAt > this.now()) {
      this.hits++;
      return e.decision;
    }
    if (e) this.entries.delete(key);
    this.misses++;
    return undefined;
  }

  set(key: string, decision: AuthorizerDecision): void {
    if (!this.enabled) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { decision, expiresAt: this.now() + this.ttlSeconds * 1000 });
  }

  /** Like API Gateway's FlushStageAuthorizersCache. */
  flush(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
