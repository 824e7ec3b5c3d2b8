/**
 * Semantics of our plans: every language-core OPA conformance case goes
 * through parse → compile → plan and is run by the reference plan evaluator
 * (rego-wasm/tools/plan/ref-eval), and must give the case's expected result or
 * error. The few exceptions are limits of the reference evaluator, not of the
 * plans (it uses JS numbers and lacks opa.runtime).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runRefCase, type RefCase } from '../tools/plan/ref-eval/compliance';
import { planRego } from '../src/frontend';
import { PlanEvaluator } from '../tools/plan/ref-eval/eval';
import { fromJSON, toJSON } from '../tools/plan/ref-eval/values';
import { COMPLIANCE_DIR, describeWithCases } from '../tools/compliance-dir';

const DIR = COMPLIANCE_DIR;

const CORE = new Set([
  'aggregates', 'arithmetic', 'array', 'assignments', 'baseandvirtualdocs', 'comparisonexpr', 'completedoc',
  'compositebasedereference', 'compositereferences', 'comprehensions', 'containskeyword', 'dataderef',
  'defaultkeyword', 'disjunction', 'elsekeyword', 'embeddedvirtualdoc', 'eqexpr', 'evaltermexpr', 'every',
  'functionerrors', 'functions', 'indexing', 'indirectreferences', 'inputvalues', 'keywordrefs', 'negation',
  'nestedreferences', 'partialdocconstants', 'partialiter', 'partialobjectdoc', 'partialsetdoc', 'planner-ir',
  'refheads', 'sets', 'subset', 'type', 'typebuiltin', 'typenamebuiltin', 'undos', 'union', 'intersection',
  'varreferences', 'virtualdocs', 'walkbuiltin', 'withkeyword',
]);

/** Reference-evaluator limits: JS numbers (big_int), host object.subset on nested objects, no opa.runtime. */
const EVALUATOR_LIMITS = new Set([
  'arithmetic/big_int',
  'subset/nested object subset 3',
  'withkeyword/builtin-builtin: arity 0',
]);

function files(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.json') ? [p] : [];
  });
}

const run = (name: string, fn: () => void): void => describeWithCases(name, () => fn());

run('plans compute what OPA computes', () => {
  test('every language-core conformance case gives its expected result through parse → compile → plan → evaluate', () => {
    const failures: string[] = [];
    let passed = 0;
    for (const f of files(DIR)) {
      for (const c of (JSON.parse(readFileSync(f, 'utf8')) as { cases?: RefCase[] }).cases ?? []) {
        if (!CORE.has(c.note.split('/')[0]!) || EVALUATOR_LIMITS.has(c.note)) continue;
        const r = runRefCase(c);
        if (r.ok) passed++;
        else failures.push(`${c.note}: ${r.reason}`);
      }
    }
    expect(failures).toEqual([]);
    expect(passed).toBeGreaterThan(700);
  });
});

const POLICIES = join(__dirname, '..', '..', 'policies');
const runPolicies = describe;

runPolicies('the Acme policies as planned', () => {
  test('every test_* rule of the Acme policy tests is true on our plans (reference evaluator, shared data.json)', () => {
    const mods = readdirSync(POLICIES).filter((f) => f.endsWith('.rego')).map((f) => ({ file: f, text: readFileSync(join(POLICIES, f), 'utf8') }));
    const tests: string[] = [];
    for (const m of mods.filter((x) => x.file.endsWith('_test.rego'))) {
      const pkg = /^package\s+([\w.]+)/m.exec(m.text)![1]!.replace(/\./g, '/');
      for (const t of m.text.matchAll(/^(test_\w+)/gm)) tests.push(`${pkg}/${t[1]}`);
    }
    expect(tests.length).toBeGreaterThan(0);
    const evaluator = new PlanEvaluator(planRego(mods, [...new Set(tests)]));
    const data = fromJSON(JSON.parse(readFileSync(join(POLICIES, 'data.json'), 'utf8')));
    const failing = tests.filter((t) => JSON.stringify(evaluator.evaluate(t, undefined, data).map(toJSON)) !== '[{"result":true}]');
    expect(failing).toEqual([]);
  });
});
