/**
 * The compiled form of Rego that the planner consumes (OPA's `ast.Compiler` output).
 *
 * After `compileModules` every module is rewritten the way OPA's compiler stages leave it:
 *  - refs resolved: package-relative rule names and imports are full refs (`data.pkg.p`,
 *    `input.x`); imports are removed (`module.imports` is empty);
 *  - local vars rewritten: `:=`, `some`, function args and shadowing vars become generated
 *    vars `__localN__` (see `isGeneratedVar`); `:=` became `=`; `some x in xs` became
 *    `internal.member_2(x, xs)` style calls or scans; `SomeDecl` exprs are gone;
 *  - nested calls are flattened: every call expression has plain terms as args, its output
 *    (if any) is the extra last argument (`plus(x, 1, __local3__)`), like OPA's
 *    RewriteExprTerms; refs in rule heads, `with` values, comprehension heads and template
 *    strings are lowered to generated vars / `internal.template_string` calls;
 *  - `print(...)` became `internal.print([...])`;
 *  - bodies are reordered so every var is bound before use (CheckSafety);
 *  - `==` became `=` where OPA's RewriteEquals does so.
 * Generated expressions have `generated: true`.
 */
import type { Body, Module, Ref, Rule, Term } from '../parse/ast';
import type { BuiltinTable } from '../builtins/signatures';

/** OPA's RuleKind plus functions: `p := v` / `p.q[x] := v` (single), `p contains x` (multi). */
export type RuleKind = 'single' | 'multi' | 'function';

export interface CompiledRule {
  /** The rewritten rule; `rule.else` chains are rewritten too. `rule.head.reference` stays as written (package-relative). */
  rule: Rule;
  /** Full head ref: `data.pkg.p`, `data.pkg.p.q[__local0__]` (OPA's `rule.Ref()`). */
  ref: Ref;
  /** Rule-tree key: the canonical text of the ground prefix of `ref` (OPA's `Ref.GroundPrefix`), e.g. `data.pkg.p.q`, `data.test["default"].x`. */
  path: string;
  kind: RuleKind;
  /** Number of function args (0 for non-functions). */
  argCount: number;
  /** Index of the owning module in `CompiledPolicy.modules`. */
  moduleIndex: number;
}

export interface CompiledPolicy {
  /** Rewritten modules (imports removed), in the order given. */
  modules: Module[];
  /** Every rule of every module (each `default` rule and each else-chain head rule is one entry). */
  rules: CompiledRule[];
  /** Rules grouped by `CompiledRule.path` (OPA's rule tree nodes holding rules), in module order. */
  rulesByPath: Map<string, CompiledRule[]>;
  /** Package paths (`data.a.b`) of all modules, deduplicated, as canonical text → ref. */
  packages: Map<string, Ref>;
  /** Function rule paths (`data.pkg.f`) → arity. */
  functions: Map<string, number>;
  /** Builtin declarations known to the compiler (name → decl). */
  builtins: BuiltinTable;
}

export interface CompiledQuery {
  /** The rewritten, safety-ordered query body. */
  body: Body;
  /** User-visible query variables in first-occurrence order (no generated `__local…` / wildcard vars). */
  vars: string[];
  /**
   * Generated var → user's name for vars of nested scopes (OPA's RewrittenVars). Top-level
   * query vars are NOT renamed (they keep the user's names), so they never appear here.
   */
  rewrittenVars: Map<string, string>;
}

export interface CompileOptions {
  /** Extra builtin declarations (e.g. custom host builtins) added to the table. */
  extraBuiltins?: BuiltinTable;
  /**
   * Keep `print(...)` calls (lowered to `internal.print`, output through the host's
   * `opa_println`). When false they are erased, as OPA does without print support.
   * @default true
   */
  enablePrintStatements?: boolean;
  /**
   * Rego language version of the sources (`--v0-compatible` → 0). Default 1.
   * v0 parsing is not implemented yet: 0 is rejected by the front end (../frontend.ts).
   */
  regoVersion?: 0 | 1;
}

/** Prefix of compiler-generated vars, as OPA's `__localN__`. */
export const GENERATED_VAR_PREFIX = '__local';

export function isGeneratedVar(name: string): boolean {
  return name.startsWith(GENERATED_VAR_PREFIX);
}

/** Re-exported for convenience: a term handled by the planner. */
export type { Term };
