/**
 * The Acme policies (policies/) give the same decisions with the input pruned
 * to what they read as with the full input: on every ACME.md outcome (each
 * caller × method × enrollee × scope set, request and response policy) and
 * on generated inputs (fast-check). And they do read less than the whole
 * input, so the property is not vacuous.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { build, loadPolicyWasm, type LoadedPolicy } from 'rego-wasm';
import { buildRequestInput, inputByNeed, requestFacts, type InputByNeed } from '../../functions/shared/request-input';
import type { VerifiedToken } from '../../functions/shared/token-verifier';

const ROOT = path.join(__dirname, '..', '..');
const REQUEST = 'acme/authz/decision';
const RESPONSE = 'acme/filter/response';

let policy: LoadedPolicy;
let need: InputByNeed;
let paths: Record<string, string[][]>;

beforeAll(async () => {
  const r = build({ paths: [path.join(ROOT, 'policies')] });
  paths = r.inputPaths;
  policy = await loadPolicyWasm(r.bytes);
  policy.setData(JSON.parse(fs.readFileSync(path.join(ROOT, 'policies', 'data.json'), 'utf8')) as object);
  need = inputByNeed(r.bytes);
}, 120_000);

const evaluate = (entrypoint: string, input: unknown): string => JSON.stringify(policy.evaluate(input, entrypoint));

/** Full and pruned input give the same result set; returns it. */
function same(entrypoint: string, input: unknown): string {
  const full = evaluate(entrypoint, input);
  expect(evaluate(entrypoint, need(entrypoint, input))).toBe(full);
  return full;
}

interface Caller {
  name: string;
  payload: Record<string, unknown>;
}

const member = (name: string, id: string, type: string, dependants: string[] = []): Caller => ({
  name,
  payload: {
    ver: 1, jti: `AT.${name}`, iss: 'https://okta.example/oauth2/default', aud: 'api://default', iat: 1, exp: 2,
    cid: '0oa-portal', uid: `00u${id}`, sub: `${name}@acme.example`, enrolleeId: id, enrolleeType: type, groups: ['Everyone'],
    ...(dependants.length > 0 ? { dependants } : {}),
  },
});
const CALLERS: Caller[] = [
  member('alice', '1001', 'primary', ['1002', '1003', '1004']),
  member('bob', '1002', 'secondary'),
  member('john', '1003', 'secondary'),
  member('jane', '1004', 'secondary'),
  member('carol', '2001', 'primary', ['2002']),
  member('dan', '2002', 'secondary'),
  { name: 'audit', payload: { ver: 1, iss: 'https://okta.example/oauth2/default', aud: 'api://default', cid: 'acme-audit-service', sub: 'acme-audit-service' } },
  // A client-credentials token with a stray enrollee claim is not a member.
  { name: 'misconfigured', payload: { cid: 'svc', sub: 'svc', enrolleeId: '1001' } },
];
const SCOPES = [[], ['claims:read'], ['claims:read', 'claims:write'], ['claims:audit'], ['claims:read', 'claims:audit']];
const ROUTES: [string, string][] = [
  ['GET', '/v1/claims/enrollee/{id}'],
  ['POST', '/v1/claims/enrollee/{id}'],
  ['PUT', '/v1/claims/enrollee/{id}/claims/C-{id}-1'],
  ['DELETE', '/v1/claims/enrollee/{id}'],
  ['GET', '/v1/claims/other/{id}'],
];
const IDS = ['1001', '1002', '1003', '1004', '2001', '2002', '9999'];

const person = (id: string, primary: string, type: string, age: number, waiver: boolean): Record<string, unknown> => ({
  enrolleeId: id, enrolleePrimaryId: primary, enrolleeType: type, enrolleeName: `N${id}`, enrolleeAge: age,
  canPrimaryViewClaims: waiver, memberSsn: '123-45-6789',
  enrolleeClaimSummaryList: [{ claimId: `C-${id}-1`, claimStatus: 'Paid', provider: 'Acme Clinic', enrolleeResponsibilityAmount: 20, procedure: 'Annual physical' }],
});
const RECORDS: Record<string, Record<string, unknown>> = {
  '1001': person('1001', '1001', 'primary', 32, true),
  '1002': person('1002', '1001', 'secondary', 50, true),
  '1003': person('1003', '1001', 'secondary', 15, false),
  '1004': person('1004', '1001', 'secondary', 21, false),
  '2001': person('2001', '2001', 'primary', 45, true),
  '2002': person('2002', '2001', 'secondary', 12, false),
};

function requestInput(method: string, rawPath: string, payload: Record<string, unknown>, scopes: readonly string[], headers: Record<string, string> = {}, query: Record<string, string> = {}): unknown {
  const event = {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:us-east-1:123456789012:abc/prod/${method}${rawPath}`,
    resource: '/v1/claims/enrollee/{id}',
    path: rawPath,
    httpMethod: method,
    headers: { Accept: 'application/json', 'X-Request-Id': 'req-1', 'User-Agent': 'curl/8', ...headers },
    multiValueHeaders: null,
    queryStringParameters: query,
    multiValueQueryStringParameters: null,
    requestContext: { httpMethod: method, stage: 'prod', requestId: 'r1', identity: { sourceIp: '203.0.113.7' } },
  } as unknown as APIGatewayRequestAuthorizerEvent;
  const token: VerifiedToken = { sub: String(payload.sub ?? ''), payload: { ...payload, scp: scopes }, scopes };
  return buildRequestInput(requestFacts(event), token, 'x-api-key', 'claims');
}

function responseInput(request: unknown, status: number, body: unknown): unknown {
  const r = request as { method: string; path: string[]; rawPath: string; token: unknown };
  return { method: r.method, path: r.path, rawPath: r.rawPath, token: r.token, response: { status, headers: { 'content-type': 'application/json' }, body } };
}

test('the Acme entrypoints read only part of the input (never headers, query or sourceIp)', () => {
  for (const entrypoint of [REQUEST, RESPONSE]) {
    const read = paths[entrypoint] ?? [[]];
    expect(read).not.toContainEqual([]);
    for (const top of ['headers', 'query', 'sourceIp', 'rawPath', 'api']) expect(read.map((p) => p[0])).not.toContain(top);
    expect(read).toContainEqual(['token', 'scopes']);
    // Claims are read one by one (`claims.uid`, `claims.cid`…), never the whole payload:
    // `iss`, `aud`, `exp`, `jti`, `groups` stay out.
    expect(read).not.toContainEqual(['token', 'payload']);
    expect(read).toContainEqual(['token', 'payload', 'sub']);
  }
});

test('every ACME.md outcome: the same decision with pruned and full input', () => {
  const seen = new Set<string>();
  for (const caller of CALLERS) {
    for (const scopes of SCOPES) {
      for (const [method, pattern] of ROUTES) {
        for (const id of IDS) {
          const input = requestInput(method, pattern.replaceAll('{id}', id), caller.payload, scopes);
          seen.add(same(REQUEST, input));
          const record = RECORDS[id];
          if (method === 'GET' && record !== undefined) {
            seen.add(same(RESPONSE, responseInput(input, 200, record)));
            same(RESPONSE, responseInput(input, 404, { message: 'enrollee not found' }));
          }
        }
      }
    }
  }
  // The enumeration reaches allows, each refusal and filtered, whole and withheld bodies.
  const reasons = [...seen].join('\n');
  for (const r of ['own_record', 'primary_family_read', 'audit_read', 'own_write', 'dependant_write', 'insufficient_scope', 'unknown_route', 'not_own_record', 'read_only_member', 'not_a_member']) {
    expect(reasons).toContain(`"reason":"${r}"`);
  }
  expect(reasons).toContain('"memberSsn":"***-**-6789"');
  expect(seen).toContain('[]');
});

test('generated inputs: the same decision with pruned and full input (fast-check)', () => {
  const id = fc.constantFrom(...IDS, '', 'x');
  const payload = fc.record(
    {
      sub: fc.constantFrom('alice@acme.example', 'svc', 'acme-audit-service'),
      cid: fc.constantFrom('svc', 'acme-audit-service', '0oa-portal'),
      uid: fc.constantFrom('00u1', 7),
      enrolleeId: id,
      enrolleeType: fc.constantFrom('primary', 'primary', 'secondary', 'other'),
      dependants: fc.array(id, { maxLength: 4 }),
      groups: fc.array(fc.string(), { maxLength: 2 }),
      extra: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  );
  const scopes = fc.subarray(['claims:read', 'claims:write', 'claims:audit', 'other']);
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'PATCH');
  // Mostly real routes (so grants and refusals are reached), sometimes any path.
  const route = fc.tuple(fc.constantFrom(...ROUTES.map(([, p]) => p)), id).map(([p, i]) => p.replaceAll('{id}', i).split('/').filter(Boolean));
  const segments = fc.oneof(
    { weight: 3, arbitrary: route },
    { weight: 1, arbitrary: fc.array(fc.oneof(fc.constantFrom('v1', 'claims', 'enrollee', '1001', '1002', '2001', 'C-1'), fc.stringMatching(/^[a-z0-9]{1,6}$/)), { minLength: 1, maxLength: 7 }) },
  );
  const names = fc.dictionary(fc.stringMatching(/^[a-z][a-z-]{0,8}$/), fc.string({ maxLength: 8 }), { maxKeys: 4 });
  const body = fc.oneof(fc.constantFrom(...Object.values(RECORDS)), fc.jsonValue({ maxDepth: 3 }));
  fc.assert(
    fc.property(payload, scopes, method, segments, names, names, body, fc.constantFrom(200, 201, 403, 404), (p, s, m, segs, headers, query, b, status) => {
      const input = requestInput(m, `/${segs.join('/')}`, p, s, headers, query);
      same(REQUEST, input);
      same(RESPONSE, responseInput(input, status, b));
    }),
    { numRuns: 600, seed: 20261203 },
  );
});
