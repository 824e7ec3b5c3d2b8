/** What the parser knows about a rule that the AST does not carry (OPA's Head.keywords, generated flags). */
import { type Expr, type Location, type Rule, booleanTerm } from './ast';

export interface RuleMeta {
  /** Keywords written in the rule declaration (`if`, `contains`). */
  keywords: Set<string>;
  /** The body was generated (`p := 1`, `s contains 1`, `else := 2`). */
  generatedBody: boolean;
  /** The value was generated (`true` for `p if ...`). */
  generatedValue: boolean;
}

export class RuleMetaStore {
  private readonly meta = new WeakMap<Rule, RuleMeta>();

  get(rule: Rule): RuleMeta {
    return this.meta.get(rule) ?? { keywords: new Set<string>(), generatedBody: false, generatedValue: false };
  }

  /** Merges `m` into the rule's metadata; returns the rule. */
  set(rule: Rule, m: Partial<RuleMeta>): Rule {
    this.meta.set(rule, { ...this.get(rule), ...m });
    return rule;
  }
}

/** The generated body `true` of rules written without one. */
export function trueExpr(loc: Location): Expr {
  return { index: 0, negated: false, terms: booleanTerm(true, { ...loc }), with: [], location: { ...loc } };
}
