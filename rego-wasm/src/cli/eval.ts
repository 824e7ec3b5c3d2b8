/**
 * `eval <query> [-d data.json|file.rego|dir]... [-i input.json] [--format json|pretty]`, like
 * `opa eval`: the query is compiled against the given modules, planned, packaged and run on
 * the Wasm runtime through the unmodified OPA SDK.
 *
 * Expression values are captured as OPA's `rewriteQueryToCaptureValue` does: a plain term
 * (`data.acme.authz.decision`) becomes `__exprN__ = <term>`, a call to a function or builtin
 * with a result (`1 > 2`) gets `__exprN__` as its output argument. With one expression the
 * captured value is reported even when it is `false`; with several, a `false` capture fails
 * the row (the expression was a condition).
 */
import { readFileSync, statSync } from 'node:fs';
import { lookupBuiltin } from '../builtins/signatures';
import type { CompiledPolicy } from '../compile/types';
import { type Body, type Expr, isCallExpr, isTermExpr, operatorName, operatorTerm, parseQuery, varTerm } from '../parse';
import { compileRego, planRegoQuery } from '../frontend';
import { evaluate, loadPlan } from './instance';
import { readBundleManifest, regoVersionForFile } from '../build';
import type { RegoSource } from '../frontend';
import { parseBundleFiles, readBundleFiles, type BundleManifest } from '../package/bundle';
import { bundleDirFiles, type CliVerification, verifyBundleInput } from './sign';
import { type JsonValue, SourceError, findRegoFiles, loadDataDir, mergeAt, readJsonFile } from '../sources';

export interface EvalCommandOptions {
  query: string;
  /** `-d` paths: JSON files, .rego files or directories. */
  data: string[];
  /** `-b` paths: bundle directories or `bundle.tar.gz` files. */
  bundles?: string[];
  ignore?: string[];
  /** `--v0-compatible` → 0. */
  regoVersion?: 0 | 1;
  input?: string;
  format: 'json' | 'pretty';
  /** `--verification-key` and friends: each `-b` bundle is verified before it is loaded. */
  verification?: CliVerification;
}

export interface ExpressionValue {
  value: JsonValue;
  text: string;
}

export interface EvalRow {
  expressions: ExpressionValue[];
  bindings?: Record<string, JsonValue>;
}

export interface EvalOutput {
  result?: EvalRow[];
}

const EXPR_VAR = (i: number): string => `__expr${i}__`;

/** Arity of a callable (builtin or user function) with a result, or undefined. */
export type ResultArity = (operator: string) => number | undefined;

/** Captures expression values in `__exprN__` vars (see the module comment). */
export function wrapTermExpressions(body: Body, arityOf: ResultArity = () => undefined): { body: Body; wrapped: Map<number, string> } {
  const wrapped = new Map<number, string>();
  const out = body.map((e, i): Expr => {
    if (e.negated) return e;
    const name = EXPR_VAR(i);
    if (isTermExpr(e)) {
      wrapped.set(i, name);
      return { ...e, terms: [operatorTerm('eq', e.location), varTerm(name, e.location), e.terms] };
    }
    if (isCallExpr(e)) {
      const op = operatorName(e.terms[0]);
      if (op === undefined || op === 'eq' || op === 'assign') return e;
      if (arityOf(op) !== e.terms.length - 1) return e;
      wrapped.set(i, name);
      return { ...e, terms: [...e.terms, varTerm(name, e.location)] };
    }
    return e;
  });
  return { body: out, wrapped };
}

/** Result arity from the compiled policy: builtins with a (non-void) result and user functions. */
function resultArity(policy: CompiledPolicy): ResultArity {
  return (op) => {
    const b = lookupBuiltin(op, policy.builtins);
    if (b) return b.void ? undefined : b.arity;
    return policy.functions.get(op);
  };
}

function loadEvalSources(opts: EvalCommandOptions): { sources: RegoSource[]; data: { [k: string]: JsonValue }; manifests: BundleManifest[] } {
  const sources: RegoSource[] = [];
  const data: { [k: string]: JsonValue } = {};
  const manifests: BundleManifest[] = [];
  const def = opts.regoVersion ?? 1;
  for (const b of opts.bundles ?? []) {
    const st = statSync(b, { throwIfNoEntry: false });
    if (!st) throw new SourceError(`${b}: no such file or directory`);
    if (st.isDirectory()) {
      verifyBundleInput(b, bundleDirFiles(b, opts.ignore), opts.verification);
      const m = readBundleManifest(b);
      if (m) manifests.push(m);
      for (const s of findRegoFiles(b, { includeTests: true, ignore: opts.ignore })) {
        sources.push({ file: s.path, text: s.text, regoVersion: regoVersionForFile(m, s.file, def) });
      }
      mergeAt(data, [], loadDataDir(b, opts.ignore), b);
    } else {
      const files = readBundleFiles(readFileSync(b));
      verifyBundleInput(b, files, opts.verification);
      const bundle = parseBundleFiles(files);
      for (const [name, text] of bundle.modules ?? []) sources.push({ file: `${b}${name}`, text, regoVersion: regoVersionForFile(bundle.manifest, name, def) });
      mergeAt(data, [], bundle.data as { [k: string]: JsonValue }, b);
      manifests.push(bundle.manifest);
    }
  }
  for (const p of opts.data) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new SourceError(`${p}: no such file or directory`);
    if (st.isDirectory()) {
      sources.push(...findRegoFiles(p, { includeTests: true, ignore: opts.ignore }).map((s) => ({ ...s, file: s.path })));
      mergeAt(data, [], loadDataDir(p, opts.ignore), p);
    } else if (p.endsWith('.rego')) {
      sources.push(...findRegoFiles(p, { includeTests: true }).map((s) => ({ ...s, file: s.path })));
    } else {
      mergeAt(data, [], readJsonFile(p), p);
    }
  }
  return { sources, data, manifests };
}

export function runEval(opts: EvalCommandOptions): EvalOutput {
  const { sources, data, manifests } = loadEvalSources(opts);
  const input = opts.input !== undefined ? readJsonFile(opts.input) : undefined;
  const parsed = parseQuery(opts.query);
  const policy = compileRego(sources, { regoVersion: opts.regoVersion, baseData: data });
  const { body, wrapped } = wrapTermExpressions(parsed, resultArity(policy));
  const plan = planRegoQuery(policy, body);
  const loaded = loadPlan(plan);
  const rows = evaluate(loaded, 0, input, data) as Record<string, JsonValue>[];
  const wrappedNames = new Set(wrapped.values());
  const checkCapture = parsed.length > 1;
  const result: EvalRow[] = [];
  for (const row of rows) {
    if (checkCapture && [...wrapped.values()].some((n) => row[n] === false)) continue;
    const expressions = parsed.map((e, i): ExpressionValue => {
      const name = wrapped.get(i);
      return { value: name !== undefined ? row[name] : true, text: e.location.text ?? '' };
    });
    const bindings: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(row)) if (!wrappedNames.has(k)) bindings[k] = v;
    result.push(Object.keys(bindings).length > 0 ? { expressions, bindings } : { expressions });
  }
  return result.length > 0 ? { result } : {};
}

export function formatEval(out: EvalOutput, format: 'json' | 'pretty'): string {
  if (format === 'json') return JSON.stringify(out, null, 2);
  if (!out.result) return 'undefined';
  if (out.result.length === 1 && !out.result[0].bindings && out.result[0].expressions.length === 1) {
    return JSON.stringify(out.result[0].expressions[0].value, null, 2);
  }
  return out.result
    .map((r) => {
      const shown: Record<string, JsonValue> = { ...(r.bindings ?? {}) };
      r.expressions.forEach((e) => {
        if (e.value !== true) shown[e.text] = e.value;
      });
      return JSON.stringify(shown, null, 2);
    })
    .join('\n');
}
