/**
 * Input by need in the functions: the policy engine hands each entrypoint
 * only the input paths the rego-wasm build found it can read. A policy that
 * reads a header gets that header, one that reads the query gets the query
 * parameter, and one that reads `input` whole (or was built without the
 * paths, as by `opa`) gets the whole document; decisions through the real
 * authorizer are those of the full input.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { build, buildPolicyWasm, planRego } from 'rego-wasm';
import { createAuthorizer } from '../../functions/authorizer/authorizer';
import { loadBundleEngine, loadPolicyEngine } from '../../functions/shared/policy-engine';
import { buildRequestInput, inputByNeed, requestFacts } from '../../functions/shared/request-input';
import type { VerifiedToken } from '../../functions/shared/token-verifier';
import { captureLogs } from './support/logs';

const EVENT = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'events', 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln') // any well-formed JWT: the verifier is stubbed,
) as APIGatewayRequestAuthorizerEvent;

const TOKEN: VerifiedToken = {
  sub: 'alice@acme.example',
  payload: { sub: 'alice@acme.example', uid: '00u1', scp: ['claims:read'], enrolleeId: '1001', secretish: 'not for this policy' },
  scopes: ['claims:read'],
};

const POLICIES = {
  header: 'package t\n\ndefault allow := false\n\nallow if input.headers["x-tenant"] == "acme"\n\ndecision := {"allow": allow, "reason": "tenant"}\n',
  query: 'package t\n\ndefault allow := false\n\nallow if "open" in input.query.status\n\ndecision := {"allow": allow, "reason": "status"}\n',
  // walk() reads every part of the input: the request id is found in the headers.
  whole: 'package t\n\ndefault allow := false\n\nallow if walk(input, [_, "req-7f3c2a"])\n\ndecision := {"allow": allow, "reason": "walked"}\n',
};

function wasmOf(policy: string): Uint8Array {
  return build({ sources: [{ file: 't.rego', text: policy }], entrypoints: ['t/decision'] }).bytes;
}

function eventWith(headers: Record<string, string>, query: Record<string, string>): APIGatewayRequestAuthorizerEvent {
  const h = { ...EVENT.headers, ...headers };
  return {
    ...EVENT,
    headers: h,
    multiValueHeaders: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, [v as string]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
  };
}

const inputOf = (event: APIGatewayRequestAuthorizerEvent): ReturnType<typeof buildRequestInput> => buildRequestInput(requestFacts(event), TOKEN, 'x-api-key');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'input-by-need-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function authorize(policy: string, event: APIGatewayRequestAuthorizerEvent): Promise<string | undefined> {
  const wasmPath = path.join(tmp, `${Math.random().toString(36).slice(2)}.wasm`);
  fs.writeFileSync(wasmPath, wasmOf(policy));
  const engine = await loadPolicyEngine({ wasmPath, dataPath: path.join(tmp, 'absent.json'), dataOptional: true });
  const logs = captureLogs();
  const handler = createAuthorizer({
    config: { apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, requestEntrypoint: 't/decision', apiProduct: undefined },
    verifier: { hydrate: async () => undefined, verify: async () => TOKEN },
    engine: Promise.resolve(engine),
    logger: logs.logger,
    decisions: logs.decisions,
  });
  const answer = await handler(event);
  return answer.policyDocument.Statement[0]?.Effect;
}

/** The JSON the SDK is handed as bytes (padded with spaces, which JSON allows). */
function sent(given: unknown): unknown {
  expect(given).toBeInstanceOf(ArrayBuffer);
  return JSON.parse(new TextDecoder().decode(given as ArrayBuffer));
}

describe('what the policy is given', () => {
  test('a policy that reads one header gets that header only', () => {
    const given = inputByNeed(wasmOf(POLICIES.header))('t/decision', inputOf(eventWith({ 'X-Tenant': 'acme' }, { status: 'open' })));
    expect(sent(given)).toEqual({ headers: { 'x-tenant': 'acme' } });
  });

  test('a policy that reads the query gets that parameter only', () => {
    const given = inputByNeed(wasmOf(POLICIES.query))('t/decision', inputOf(eventWith({}, { status: 'open', page: '2' })));
    expect(sent(given)).toEqual({ query: { status: ['open'] } });
  });

  test('a policy that reads input whole gets all of it (the same document)', () => {
    const input = inputOf(eventWith({ 'X-Tenant': 'acme' }, { status: 'open' }));
    expect(inputByNeed(wasmOf(POLICIES.whole))('t/decision', input)).toBe(input);
  });

  test('a policy without input paths (built by opa, or older) and an unlisted entrypoint get all of it', () => {
    const input = inputOf(eventWith({}, {}));
    const plain = buildPolicyWasm(planRego([{ file: 't.rego', text: POLICIES.header }], ['t/decision']));
    expect(inputByNeed(plain)('t/decision', input)).toBe(input);
    expect(inputByNeed(wasmOf(POLICIES.header))('t/other', input)).toBe(input);
  });
});

describe('decisions through the authorizer are those of the full input', () => {
  test('header: allowed with the header, denied without it or with another value', async () => {
    expect(await authorize(POLICIES.header, eventWith({ 'X-Tenant': 'acme' }, {}))).toBe('Allow');
    expect(await authorize(POLICIES.header, eventWith({}, {}))).toBe('Deny');
    expect(await authorize(POLICIES.header, eventWith({ 'X-Tenant': 'other' }, {}))).toBe('Deny');
  });

  test('query: allowed with status=open, denied with another status', async () => {
    expect(await authorize(POLICIES.query, eventWith({}, { status: 'open' }))).toBe('Allow');
    expect(await authorize(POLICIES.query, eventWith({}, { status: 'closed' }))).toBe('Deny');
  });

  test('whole input: the value is found wherever it is', async () => {
    expect(await authorize(POLICIES.whole, eventWith({}, {}))).toBe('Allow');
    expect(await authorize(POLICIES.whole, eventWith({ 'X-Request-Id': 'other' }, { q: 'req-7f3c2a' }))).toBe('Allow');
    expect(await authorize(POLICIES.whole, eventWith({ 'X-Request-Id': 'other' }, {}))).toBe('Deny');
  });
});

describe('a policy pulled as a bundle', () => {
  test('is handed only the paths it reads, like the packaged one (an unread field that cannot be serialised never reaches it)', async () => {
    const policy = 'package t\n\ndefault allow := false\n\nallow if input.a == 1\n\ndecision := {"allow": allow, "reason": "a"}\n';
    const bundle = build({ sources: [{ file: 't.rego', text: policy }], entrypoints: ['t/decision'] }).bundle;
    const engine = await loadBundleEngine(bundle, { verification: undefined, requiredEntrypoints: ['t/decision'], maxBytes: 1 << 20 });
    const junk: Record<string, unknown> = {};
    junk.self = junk;
    expect(engine.evaluate('t/decision', { a: 1, junk })).toEqual([{ result: { allow: true, reason: 'a' } }]);
    expect(engine.evaluate('t/decision', { a: 2, junk })).toEqual([{ result: { allow: false, reason: 'a' } }]);
  });
});
