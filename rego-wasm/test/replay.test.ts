/**
 * `rego-wasm replay`: decision logs (OPA's event schema, generated here by evaluating a
 * "before" policy) re-evaluated under a candidate bundle report exactly the decisions that
 * changed, by kind, and count every line that cannot be replayed faithfully (masked input the
 * candidate reads, masked result, unknown path, unparsable) separately.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../src/build';
import { runCli } from '../src/cli/main';
import { type ReplayCandidate, candidateFromBundleFiles, mayRead, classifyChange, differingPointers, formatReplayReport, normalisePath, replayDecisions, type ReplayReport } from '../src/cli/replay';
import { readBundleFiles } from '../src/package/bundle';
import type { JsonValue } from '../src/sources';
import { readInputPathsSection } from '../src/package/input-paths-section';
import { inputPaths } from '../src/plan/input-paths';

const FIX = join(__dirname, 'fixtures', 'signing');

const BEFORE = `package acme.authz

default decision := {"allow": false, "reason": "not_permitted"}

decision := {"allow": true, "reason": "admin"} if input.user in data.roles.admin

decision := {"allow": true, "reason": "viewer_read"} if {
  input.user in data.roles.viewer
  input.method == "GET"
}

allow := decision.allow

audited if input.token != ""
`;

// bob (viewer) loses GET; eve (auditor) gains GET; admins get a new reason; the rest is as before.
const CANDIDATE = `package acme.authz

default decision := {"allow": false, "reason": "not_permitted"}

decision := {"allow": true, "reason": "administrator"} if input.user in data.roles.admin

decision := {"allow": true, "reason": "auditor_read"} if {
  input.user in data.roles.auditor
  input.method == "GET"
}

allow := decision.allow

audited if input.token != ""
`;

const DATA = { roles: { admin: ['alice'], viewer: ['bob'], auditor: ['eve'] } };
const ENTRYPOINTS = ['acme/authz/decision', 'acme/authz/allow', 'acme/authz/audited'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'replay-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bundleOf(rego: string, revision: string, extra: Parameters<typeof build>[0] = {}): Uint8Array {
  const src = mkdtempSync(join(dir, 'src-'));
  writeFileSync(join(src, 'authz.rego'), rego);
  writeFileSync(join(src, 'data.json'), JSON.stringify(DATA));
  return build({ paths: [src], entrypoints: ENTRYPOINTS, revision, ...extra }).bundle;
}

let before: ReplayCandidate;
let candidateBytes: Uint8Array;
let candidate: ReplayCandidate;
beforeAll(() => {
  before = candidateFromBundleFiles(readBundleFiles(bundleOf(BEFORE, 'before-1')));
  candidateBytes = bundleOf(CANDIDATE, 'cand-2');
  candidate = candidateFromBundleFiles(readBundleFiles(candidateBytes));
}, 120000);

let seq = 0;
/** A decision-log event as the authorizer logs it, its result computed by the "before" policy. */
function logged(path: string, input: JsonValue, extra: Record<string, JsonValue> = {}): string {
  const p = normalisePath(path);
  const result = before.has(p) ? before.evaluate(p, input) : undefined;
  return JSON.stringify({
    decision_id: `d-${++seq}`,
    path,
    input,
    ...(result !== undefined ? { result } : {}),
    timestamp: '2026-12-03T14:00:00Z',
    bundles: { authz: { revision: 'before-1' } },
    labels: { id: 'test', version: '1' },
    ...extra,
  });
}

const USERS = ['alice', 'bob', 'eve', 'mallory'];
const METHODS = ['GET', 'POST'];

describe('replayDecisions (in process)', () => {
  let report: ReplayReport;
  const ids: Record<string, string> = {};
  beforeAll(() => {
    const lines: string[] = [];
    for (const user of USERS) {
      for (const method of METHODS) {
        lines.push(logged('acme/authz/decision', { user, method }));
        ids[`decision ${user} ${method}`] = `d-${seq}`;
        lines.push(logged('data.acme.authz.allow', { user, method }));
        ids[`allow ${user} ${method}`] = `d-${seq}`;
      }
    }
    report = replayDecisions(lines, candidate, { maxExamples: 100 });
  });

  test('counts per kind, and exactly the changed decisions', () => {
    expect(report.lines).toBe(16);
    expect(report.replayed).toBe(16);
    // bob GET: allow→deny (decision and allow); eve GET: deny→allow (both); alice: reason admin→administrator (decision only)
    expect(report.changed).toEqual({ allow_to_deny: 2, deny_to_allow: 2, result_changed: 2 });
    expect(report.unchanged).toBe(10);
    expect(report.examples.allow_to_deny.map((e) => e.decision_id).sort()).toEqual([ids['decision bob GET'], ids['allow bob GET']].sort());
    expect(report.examples.deny_to_allow.map((e) => e.decision_id).sort()).toEqual([ids['decision eve GET'], ids['allow eve GET']].sort());
    expect(report.examples.result_changed.map((e) => e.decision_id).sort()).toEqual([ids['decision alice GET'], ids['decision alice POST']].sort());
    const alice = report.examples.result_changed[0];
    expect(alice).toMatchObject({ path: 'acme/authz/decision', before: { allow: true, reason: 'admin' }, after: { allow: true, reason: 'administrator' }, changed: ['/reason'] });
    const bob = report.examples.allow_to_deny.find((e) => e.path === 'acme/authz/allow');
    expect(bob).toMatchObject({ before: true, after: false });
    expect(report.candidate_revision).toBe('cand-2');
    expect(report.logged_revisions).toEqual({ 'authz@before-1': 16 });
    expect(Object.values(report.not_replayable).every((n) => n === 0)).toBe(true);
  });

  test('--max-examples bounds the examples, not the counts', () => {
    const lines = USERS.map((user) => logged('acme/authz/decision', { user: 'bob', method: 'GET', n: user }));
    const r = replayDecisions(lines, candidate, { maxExamples: 1 });
    expect(r.changed.allow_to_deny).toBe(4);
    expect(r.examples.allow_to_deny).toHaveLength(1);
  });

  test('lines that cannot be replayed are counted by reason, never as unchanged', () => {
    const lines = [
      'not json',
      '[1, 2]',
      JSON.stringify({ decision_id: 'q1', query: 'data.x = 1', input: {} }),
      JSON.stringify({ decision_id: 'p1', path: 7, input: {} }),
      logged('acme/authz/missing', { user: 'alice' }),
      // the result was masked by system.log.mask: nothing to compare with
      logged('acme/authz/decision', { user: 'alice', method: 'GET' }, { erased: ['/result/reason'] }),
      // the masked field is one the candidate reads (audited reads input.token; decision reads
      // input.method, though only for auditors: alice's result does not change with it)
      logged('acme/authz/audited', { user: 'alice' }, { erased: ['/input/token'] }),
      logged('acme/authz/decision', { user: 'alice', method: '**REDACTED**' }, { masked: ['/input/method'] }),
      // masked input the decision cannot read (only audited reads the token): replayed
      logged('acme/authz/decision', { user: 'bob', method: 'POST' }, { erased: ['/input/token', '/input/headers/authorization'] }),
      // the functions' events: the decision is replayed, its shadow-disagreement twin is not
      logged('acme/authz/decision', { user: 'bob', method: 'GET' }, { custom: { type: 'decision' } }),
      logged('acme/authz/decision', { user: 'bob', method: 'GET' }, { custom: { type: 'shadow_disagreement' } }),
      '',
    ];
    const r = replayDecisions(lines, candidate, { maxExamples: 10 });
    expect(r.lines).toBe(11);
    expect(r.not_replayable).toEqual({ unparsable: 3, no_path: 1, unknown_path: 1, masked_result: 1, masked_input: 2, eval_error: 0, not_a_decision: 1 });
    expect(r.replayed).toBe(2);
    expect(r.unchanged).toBe(1);
    expect(r.changed).toEqual({ allow_to_deny: 1, deny_to_allow: 0, result_changed: 0 });
    expect(r.masked_unread).toBe(1);
    expect(r.probed).toBe(0);
    expect(r.not_replayable_examples.masked_input.map((e) => e.detail)).toEqual([
      'the candidate reads masked input (/input/token)',
      'the candidate reads masked input (/input/method)',
    ]);
    expect(r.not_replayable_examples.unknown_path[0]).toMatchObject({ path: 'acme/authz/missing', line: 5 });
    const text = formatReplayReport(r, 'text');
    expect(text).toMatch(/^replayed 2 of 11 decisions under revision "cand-2": 1 unchanged, 1 changed, 9 not replayable$/m);
    expect(text).toMatch(/masked_input: 2/);
  });

  test('evaluation errors are their own reason', () => {
    const failing: ReplayCandidate = {
      has: () => true,
      evaluate: () => {
        throw new Error('eval_conflict_error: complete rules must not produce multiple outputs');
      },
    };
    const r = replayDecisions([logged('acme/authz/decision', { user: 'alice', method: 'GET' })], failing);
    expect(r.not_replayable.eval_error).toBe(1);
    expect(r.replayed).toBe(0);
  });
});

describe('what a decision can read of its input (from the IR plan)', () => {
  const POLICY = `package x

allow if input.user.name == "a"

role(u) := u.role

admin if role(input.user) == "admin"

nonempty if count(input.items) > 0

picked if input.headers[input.which]

nothing := 1
`;
  let plan: ReturnType<typeof build>['plan'];
  beforeAll(() => {
    plan = build({ sources: [{ file: 'x.rego', text: POLICY }], entrypoints: ['x/allow', 'x/admin', 'x/nonempty', 'x/picked', 'x/nothing'], target: 'plan' }).plan;
  }, 60000);
  const reads = (ep: string, pointer: string[]): boolean => mayRead(inputPaths(plan)[ep] ?? [[]], pointer);

  test('constant lookups read only their own path (and what lies below it)', () => {
    expect(reads('x/allow', ['user', 'name'])).toBe(true);
    expect(reads('x/allow', ['user'])).toBe(true);
    expect(reads('x/allow', ['user', 'age'])).toBe(false);
    expect(reads('x/allow', ['token'])).toBe(false);
    expect(reads('x/allow', [])).toBe(true);
  });

  test('paths flow through user functions; builtins and dynamic keys read whole values', () => {
    expect(reads('x/admin', ['user', 'role'])).toBe(true);
    expect(reads('x/admin', ['user', 'name'])).toBe(false);
    expect(reads('x/nonempty', ['items', '0', 'id'])).toBe(true);
    expect(reads('x/picked', ['headers', 'anything'])).toBe(true);
    expect(reads('x/picked', ['which'])).toBe(true);
    expect(reads('x/picked', ['user'])).toBe(false);
    expect(reads('x/nothing', [])).toBe(false);
  });

  test('the input paths are read back from a rego-wasm policy.wasm; a module without them has none', () => {
    const wasm = readBundleFiles(candidateBytes).get('/policy.wasm') as Uint8Array;
    expect(Object.keys(readInputPathsSection(wasm) ?? {}).sort()).toEqual([...ENTRYPOINTS].sort());
    expect(readInputPathsSection(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toBeUndefined();
  });

  test('without a plan, masked lines are probed: a dependence found by a probe makes the line not replayable', () => {
    const probing: ReplayCandidate = { has: candidate.has, evaluate: candidate.evaluate };
    const r = replayDecisions(
      [
        logged('acme/authz/audited', { user: 'alice' }, { erased: ['/input/token'] }),
        logged('acme/authz/decision', { user: 'alice', method: '**REDACTED**' }, { masked: ['/input/method'] }),
      ],
      probing,
    );
    expect(r.not_replayable.masked_input).toBe(1);
    expect(r.not_replayable_examples.masked_input[0].detail).toBe('the result depends on masked input (/input/token)');
    expect(r).toMatchObject({ replayed: 1, probed: 1, masked_unread: 0 });
  });
});

describe('change classification', () => {
  test.each<[JsonValue | undefined, JsonValue | undefined, string | undefined]>([
    [true, false, 'allow_to_deny'],
    [false, true, 'deny_to_allow'],
    [undefined, true, 'deny_to_allow'],
    [{ allow: true, reason: 'a' }, { allow: false, reason: 'b' }, 'allow_to_deny'],
    [{ allow: false, reason: 'a' }, { allow: false, reason: 'b' }, 'result_changed'],
    [undefined, false, 'result_changed'],
    [{ a: [1, 2] }, { a: [1, 2] }, undefined],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, undefined],
    ['x', 'y', 'result_changed'],
  ])('%j → %j: %s', (b, a, kind) => {
    expect(classifyChange(b, a)).toBe(kind);
  });

  test('differing pointers name the fields that changed', () => {
    expect(differingPointers({ allow: true, reason: 'a', ctx: { x: 1, 'a/b': 2 } }, { allow: true, reason: 'b', ctx: { x: 1, 'a/b': 3 } })).toEqual(['/ctx/a~1b', '/reason']);
    expect(differingPointers(true, false)).toEqual(['']);
  });
});

describe('the replay command', () => {
  const cli = (argv: string[]): { code: number; out: string; err: string } => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  let cand: string;
  let changedLog: string;
  let sameLog: string;
  beforeAll(() => {
    cand = join(dir, 'candidate.tar.gz');
    writeFileSync(cand, candidateBytes);
    changedLog = join(dir, 'changed.jsonl');
    writeFileSync(changedLog, `${[logged('acme/authz/decision', { user: 'bob', method: 'GET' }), logged('acme/authz/decision', { user: 'mallory', method: 'GET' })].join('\n')}\n`);
    sameLog = join(dir, 'same.jsonl');
    writeFileSync(sameLog, `${logged('acme/authz/decision', { user: 'mallory', method: 'POST' })}\n`);
  });

  test('exit 1 when decisions changed, 0 with --allow-changes or when nothing changed', () => {
    const r = cli(['replay', '--bundle', cand, changedLog]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/replayed 2 of 2 decisions under revision "cand-2": 1 unchanged, 1 changed, 0 not replayable\n {2}logged under: authz@before-1 \(2\)/);
    expect(r.out).toMatch(/allow to deny: 1\n {4}line 1 d-\d+ acme\/authz\/decision: \{"allow":true,"reason":"viewer_read"\} -> \{"allow":false,"reason":"not_permitted"\}/);
    expect(cli(['replay', '--bundle', cand, '--allow-changes', changedLog]).code).toBe(0);
    expect(cli(['replay', '--bundle', cand, sameLog]).code).toBe(0);
  });

  test('--format json is the report, machine-readable', () => {
    const r = cli(['replay', '--bundle', cand, '--format', 'json', changedLog, sameLog]);
    const report = JSON.parse(r.out) as ReplayReport & { total_changed: number };
    expect(report).toMatchObject({ lines: 3, replayed: 3, unchanged: 2, total_changed: 1, changed: { allow_to_deny: 1 } });
    expect(report.examples.allow_to_deny[0]).toMatchObject({ line: 1, before: { allow: true }, after: { allow: false } });
  });

  test('usage errors exit 2', () => {
    expect(cli(['replay', changedLog]).code).toBe(2);
    expect(cli(['replay', '--bundle', cand]).code).toBe(2);
    expect(cli(['replay', '--bundle', cand, '--max-examples', 'x', changedLog]).code).toBe(2);
    expect(cli(['replay', '--bundle', cand, '--format', 'yaml', changedLog]).code).toBe(2);
  });

  test('a signed candidate is verified first (exit 1 on failure), a signed one without a key refused', () => {
    const signed = join(dir, 'signed.tar.gz');
    writeFileSync(signed, bundleOf(CANDIDATE, 'cand-3', { signing: { key: require('node:fs').readFileSync(join(FIX, 'ec-p256-TEST-ONLY.key.pem'), 'utf8') as string, algorithm: 'ES256' } }));
    expect(cli(['replay', '--bundle', signed, '--verification-key', join(FIX, 'ec-p256-TEST-ONLY.pub.pem'), sameLog]).code).toBe(0);
    const wrong = cli(['replay', '--bundle', signed, '--verification-key', join(FIX, 'rsa-2048-TEST-ONLY.pub.pem'), sameLog]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/bad_signature/);
    expect(cli(['replay', '--bundle', signed, sameLog]).err).toMatch(/signed but no verification key/);
    const unsigned = cli(['replay', '--bundle', cand, '--verification-key', join(FIX, 'ec-p256-TEST-ONLY.pub.pem'), sameLog]);
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toMatch(/unsigned/);
  });
});
