/**
 * The operator's host-builtin hook: a policy built with a capabilities file
 * that declares `acme.risk_score` runs with the implementation registered
 * through registerHostBuiltins, and is refused at load (fail closed) when no
 * implementation is registered.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'rego-wasm';
import { PolicyEvaluationError } from '../../functions/shared/errors';
import { decide, loadPolicyEngine, registerHostBuiltins } from '../../functions/shared/policy-engine';

const POLICY = `package team.authz

default decision := {"allow": false, "reason": "risky"}

decision := {"allow": true, "reason": "allowed"} if acme.risk_score(input.subject) < 50
`;

/** As with OPA, a capabilities file lists every builtin the policy may call (here `<` and the operator's own). */
const CAPABILITIES = {
  builtins: [
    { name: 'lt', infix: '<', decl: { type: 'function', args: [{ type: 'any' }, { type: 'any' }], result: { type: 'boolean' } } },
    { name: 'acme.risk_score', decl: { type: 'function', args: [{ type: 'string' }], result: { type: 'number' } } },
  ],
};

let dir: string;
let wasmPath: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-hook-'));
  fs.writeFileSync(path.join(dir, 'caps.json'), JSON.stringify(CAPABILITIES));
  wasmPath = path.join(dir, 'policy.wasm');
  build({
    sources: [{ file: 'authz.rego', text: POLICY }],
    entrypoints: ['team/authz/decision'],
    capabilities: path.join(dir, 'caps.json'),
    outfile: wasmPath,
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const load = () => loadPolicyEngine({ wasmPath, dataPath: path.join(dir, 'absent.json'), dataOptional: true });

describe('registerHostBuiltins: builtins an operator provides', () => {
  // Order matters: these tests share the module's registry, as one Lambda container does.
  test('without a registered implementation the policy is refused at cold start, naming the builtin', async () => {
    const failure = await load().then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(PolicyEvaluationError);
    expect((failure as PolicyEvaluationError).reason).toBe('policy_unavailable');
    expect(String(((failure as Error).cause as Error).message)).toContain('acme.risk_score');
  });

  test('names of rego-wasm builtins and non-functions are refused', () => {
    expect(() => registerHostBuiltins({ 'time.now_ns': () => 0 })).toThrow(/builtin of rego-wasm/);
    expect(() => registerHostBuiltins({ 'acme.x': 42 as never })).toThrow(/not a function/);
  });

  test('with it registered, decisions use it; a throwing implementation is undefined, so the default denies', async () => {
    const scores: Record<string, number> = { alice: 10, mallory: 90 };
    registerHostBuiltins({
      'acme.risk_score': (subject) => {
        if (subject === 'boom') throw new Error('risk service down');
        return scores[String(subject)] ?? 100;
      },
    });
    const engine = await load();
    expect(decide(engine, 'team/authz/decision', { subject: 'alice' })).toMatchObject({ allow: true, reason: 'allowed' });
    expect(decide(engine, 'team/authz/decision', { subject: 'mallory' })).toMatchObject({ allow: false, reason: 'risky' });
    expect(decide(engine, 'team/authz/decision', { subject: 'boom' })).toMatchObject({ allow: false, reason: 'risky' });
  });
});
