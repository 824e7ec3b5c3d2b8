/**
 * The bench's hand-written TypeScript decision (bench/runtime.ts) is only a
 * fair reference if it IS the policy: it is held equal to policies/authz.rego
 * (compiled by rego-wasm, run by the OPA SDK) on every ACME.md caller ×
 * record × method, on the over-broad grants ACME.md names, and on generated
 * inputs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { canonical, handWrittenDecision, type Api, type Input } from '../../bench/runtime';
import { USERS, CLIENTS } from '../../local/okta/directory';
import { build } from 'rego-wasm';
import { loadPolicyEngine, type PolicyEngine } from '../../functions/shared/policy-engine';

const ROOT = path.join(__dirname, '..', '..');
const api = (JSON.parse(fs.readFileSync(path.join(ROOT, 'policies', 'data.json'), 'utf8')) as { acme: { api: Api } }).acme.api;
let engine: PolicyEngine;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-reference-'));
  const wasmPath = path.join(tmp, 'policy.wasm');
  build({ paths: [path.join(ROOT, 'policies')], outfile: wasmPath });
  engine = await loadPolicyEngine({ wasmPath, dataPath: path.join(ROOT, 'policies', 'data.json'), dataOptional: false });
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function viaPolicy(input: Input): unknown {
  return engine.evaluate('acme/authz/decision', input)[0]?.result;
}

function expectSame(input: Input): void {
  expect(canonical(handWrittenDecision(api, input))).toBe(canonical(viaPolicy(input)));
}

const RECORDS = ['1001', '1002', '1003', '1004', '2001', '2002', '9999'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'];
const pathFor = (method: string, id: string): string[] => (method === 'PUT' ? ['v1', 'claims', 'enrollee', id, 'claims', `C-${id}-1`] : ['v1', 'claims', 'enrollee', id]);
const input = (method: string, pathSegments: string[], payload: Record<string, unknown>, scopes: string[]): Input => ({ method, path: pathSegments, token: { payload, scopes } });

const memberPayload = (u: (typeof USERS)[number]): Record<string, unknown> => ({
  sub: u.login, uid: u.uid, cid: 'acme-dev-cli', enrolleeId: u.enrolleeId, enrolleeType: u.enrolleeType, dependants: [...u.dependants], scp: ['claims:read', 'claims:write'],
});

describe('every ACME.md caller, record and method', () => {
  const callers: Array<[string, Record<string, unknown>, string[]]> = [
    ...USERS.map((u): [string, Record<string, unknown>, string[]] => [u.username, memberPayload(u), ['claims:read', 'claims:write']]),
    ...CLIENTS.filter((c) => c.grantTypes.includes('client_credentials')).map((c): [string, Record<string, unknown>, string[]] => [c.clientId, { sub: c.clientId, cid: c.clientId }, c.defaultScope.split(' ')]),
    // ACME.md rule 4 is for service clients: a member token with an over-broad claims:audit grant gets no audit power.
    ['alice with claims:audit', memberPayload(USERS[0]), ['claims:read', 'claims:audit']],
    ['bob with claims:audit', memberPayload(USERS[1]), ['claims:read', 'claims:audit']],
    // A client-credentials token carrying an enrolleeId custom claim is not a member.
    ['service client with enrolleeId', { sub: 'svc', cid: 'svc', enrolleeId: '1001', enrolleeType: 'primary' }, ['claims:read', 'claims:write']],
  ];
  it.each(callers)('%s', (_name, payload, scopes) => {
    for (const method of METHODS) for (const id of RECORDS) expectSame(input(method, pathFor(method, id), payload, scopes));
  });
});

it('agrees with the policy on generated inputs', () => {
  const id = fc.constantFrom('1001', '1002', '1003', '2001', 'x', '');
  const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
  const payload = fc.record({
    sub: maybe(fc.constantFrom('svc', 'alice@acme.example', 'acme-audit-service')),
    cid: maybe(fc.constantFrom('svc', 'acme-audit-service', 'acme-dev-cli')),
    uid: maybe(fc.oneof(fc.constant('00u1'), fc.constant(false), fc.constant(1))),
    enrolleeId: maybe(fc.oneof(id, fc.constant(1001), fc.constant(false))),
    enrolleeType: maybe(fc.constantFrom('primary', 'secondary', 'other')),
    dependants: maybe(fc.oneof(fc.array(fc.oneof(id, fc.constant(7))), fc.dictionary(fc.constantFrom('a', 'b'), id), fc.constant('1002'))),
  }).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
  const scopes = fc.subarray(['claims:read', 'claims:write', 'claims:audit', 'openid']);
  const segments = fc.oneof(
    fc.tuple(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'), id).map(([m, i]) => [m, pathFor(m, i)] as const),
    fc.tuple(fc.constantFrom('GET', 'POST', 'PUT'), fc.array(fc.constantFrom('v1', 'claims', 'enrollee', '1001', 'C-1'), { maxLength: 7 })).map(([m, p]) => [m, p] as const),
  );
  fc.assert(
    fc.property(segments, payload, scopes, ([method, p], claims, granted) => {
      expectSame(input(method, [...p], claims, granted));
    }),
    { numRuns: 1500 },
  );
});
