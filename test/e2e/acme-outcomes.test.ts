/**
 * Every outcome at the end of ACME.md, over real HTTP through `npm start`'s
 * stack: Okta stand-in tokens → local gateway → real authorizer (Rego
 * compiled to Wasm) → real claims proxy → sample backend → response policy.
 */
import { backendRequests, call, serviceToken, userToken } from './helpers/acme-client';
import { startStackProcess, type StackProcess } from './helpers/stack-process';

let stack: StackProcess;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStackProcess();
  for (const u of ['alice', 'bob', 'carol']) tokens[u] = await userToken(stack, u);
  tokens.audit = await serviceToken(stack, 'acme-audit-service');
  tokens.reporting = await serviceToken(stack, 'acme-reporting-service');
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

interface Claim { procedure?: string }
interface RecordBody { enrolleeId: string; memberSsn?: string; enrolleeClaimSummaryList: Claim[]; accepted?: boolean }

const record = (path: string) => `/v1/claims/enrollee/${path}`;

/**
 * A call and which layer answered a 403: the authorizer (a Deny: the gateway's
 * own answer, the backend never called) or the response policy (the claims
 * proxy's JSON `response_withheld`, after exactly one backend request).
 */
async function refusal(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; layer: 'authorizer' | 'response-policy' | 'other'; text: string }> {
  const before = (await backendRequests(stack)).length;
  const res = await call(stack, method, path, token, body);
  const reached = (await backendRequests(stack)).length - before;
  let reason: unknown;
  try {
    reason = res.json<{ reason?: unknown }>().reason;
  } catch {
    reason = undefined;
  }
  const layer = reached === 0 && reason === undefined ? 'authorizer' : reached === 1 && reason === 'response_withheld' ? 'response-policy' : 'other';
  return { status: res.status, layer, text: res.body };
}

/** The stack logs a request right after answering it; give the pipe a moment. */
async function logLine(match: (line: string) => boolean): Promise<string | undefined> {
  for (let i = 0; i < 50; i++) {
    const found = stack.output().split('\n').find(match);
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

describe('reads (ACME.md expected outcomes)', () => {
  test('alice reads her own record in full, procedures included, SSN masked to the last four digits', async () => {
    const res = await call(stack, 'GET', record('1001'), tokens.alice);
    expect(res.status).toBe(200);
    const body = res.json<RecordBody>();
    expect(body.enrolleeId).toBe('1001');
    expect(body.memberSsn).toBe('***-**-6789');
    expect(body.enrolleeClaimSummaryList.length).toBeGreaterThan(0);
    expect(body.enrolleeClaimSummaryList.every((c) => typeof c.procedure === 'string')).toBe(true);
    expect(res.body).not.toContain('123-45');
  });

  test.each([
    ['bob (adult dependant with waiver)', '1002'],
    ['john (minor dependant)', '1003'],
  ])('alice reads %s without procedures and without SSN', async (_who, id) => {
    const res = await call(stack, 'GET', record(id), tokens.alice);
    expect(res.status).toBe(200);
    const body = res.json<RecordBody>();
    expect(body.enrolleeId).toBe(id);
    expect(body).not.toHaveProperty('memberSsn');
    expect(body.enrolleeClaimSummaryList.length).toBeGreaterThan(0);
    for (const c of body.enrolleeClaimSummaryList) expect(c).not.toHaveProperty('procedure');
  });

  test('alice reading jane (adult dependant, no waiver) gets 403 from the response policy, not a 200 with data missing', async () => {
    const res = await refusal('GET', record('1004'), tokens.alice);
    expect(res).toMatchObject({ status: 403, layer: 'response-policy' });
    expect(res.text).not.toContain('Jane');
    expect(res.text).not.toContain('456-78');
  });

  test.each(['2001', '2002'])('alice reading another family (%s): the authorizer lets a primary through, the response policy withholds (403)', async (id) => {
    const res = await refusal('GET', record(id), tokens.alice);
    expect(res).toMatchObject({ status: 403, layer: 'response-policy' });
    expect(res.text).not.toContain('Baker');
  });

  test('bob (secondary) asking for alice is denied 403 at the authorizer: the backend never sees the request', async () => {
    expect(await refusal('GET', record('1001'), tokens.bob)).toMatchObject({ status: 403, layer: 'authorizer' });
  });

  test('bob reads his own record with the SSN masked', async () => {
    const res = await call(stack, 'GET', record('1002'), tokens.bob);
    expect(res.status).toBe(200);
    expect(res.json<RecordBody>().memberSsn).toBe('***-**-7890');
  });

  test('carol (another primary) reads her minor dependant dan without procedures', async () => {
    const res = await call(stack, 'GET', record('2002'), tokens.carol);
    expect(res.status).toBe(200);
    for (const c of res.json<RecordBody>().enrolleeClaimSummaryList) expect(c).not.toHaveProperty('procedure');
  });

  test('the audit service reads any record without procedures or SSN', async () => {
    const res = await call(stack, 'GET', record('1004'), tokens.audit);
    expect(res.status).toBe(200);
    const body = res.json<RecordBody>();
    expect(body).not.toHaveProperty('memberSsn');
    for (const c of body.enrolleeClaimSummaryList) expect(c).not.toHaveProperty('procedure');
  });

  test('a service client without claims:audit is denied at the authorizer', async () => {
    expect(await refusal('GET', record('1001'), tokens.reporting)).toMatchObject({ status: 403, layer: 'authorizer' });
  });

  test('a token without the route product scope (claims:read) is denied 403 at the authorizer (insufficient scope)', async () => {
    const writeOnly = await userToken(stack, 'alice', { scopes: ['claims:write'] });
    expect(await refusal('GET', record('1001'), writeOnly)).toMatchObject({ status: 403, layer: 'authorizer' });
  });

  test('the backend saw x-authz-sub and never an authorization header', async () => {
    // Its own request first: this test does not rely on the ones before it.
    const before = (await backendRequests(stack)).length;
    expect((await call(stack, 'GET', record('1001'), tokens.alice)).status).toBe(200);
    const seen = await backendRequests(stack);
    expect(seen.length).toBe(before + 1);
    expect(seen.at(-1)?.authzSub).toBe('alice@acme.example');
    for (const r of seen) {
      expect(r.headerNames).not.toContain('authorization');
      expect(r.authzSub).toEqual(expect.any(String));
    }
  });
});

describe('writes (POST submit, PUT update)', () => {
  const claim = { dateOfService: '2026-11-01', provider: 'Riverside Clinic', procedure: 'Flu shot', enrolleeResponsibilityAmount: 10 };

  test('alice submits a claim for herself', async () => {
    const res = await call(stack, 'POST', record('1001'), tokens.alice, claim);
    expect(res.status).toBe(201);
    expect(res.json<RecordBody>().enrolleeClaimSummaryList.some((c) => c.procedure === 'Flu shot')).toBe(true);
  });

  test('alice submits a claim for a dependant her token lists (john)', async () => {
    const res = await call(stack, 'POST', record('1003'), tokens.alice, claim);
    expect(res.status).toBe(201);
    expect(res.body).not.toContain('Flu shot');
  });

  test('alice submitting for jane (adult, no waiver) gets an acknowledgement, never the record', async () => {
    const res = await call(stack, 'POST', record('1004'), tokens.alice, claim);
    expect(res.status).toBe(201);
    expect(res.json()).toEqual({ enrolleeId: '1004', accepted: true });
  });

  test('alice cannot submit for another family (the authorizer refuses)', async () => {
    expect(await refusal('POST', record('2001'), tokens.alice, claim)).toMatchObject({ status: 403, layer: 'authorizer' });
  });

  test('a secondary member is read-only: bob cannot submit or update, even for himself (the authorizer refuses)', async () => {
    expect(await refusal('POST', record('1002'), tokens.bob, claim)).toMatchObject({ status: 403, layer: 'authorizer' });
    expect(await refusal('PUT', record('1002/claims/C-1002-1'), tokens.bob, { claimStatus: 'Appealed' })).toMatchObject({ status: 403, layer: 'authorizer' });
  });

  test('alice updates her own claim', async () => {
    const res = await call(stack, 'PUT', record('1001/claims/C-1001-2'), tokens.alice, { claimStatus: 'Appealed' });
    expect(res.status).toBe(200);
  });

  test('a read-only token cannot write (insufficient scope)', async () => {
    const readOnly = await userToken(stack, 'alice', { scopes: ['claims:read'] });
    expect(await refusal('POST', record('1001'), readOnly, claim)).toMatchObject({ status: 403, layer: 'authorizer' });
  });
});

describe('authorizer cache and paths', () => {
  test('a cached Allow for one path is never applied to another path or method', async () => {
    const bob = await userToken(stack, 'bob');
    const first = await call(stack, 'GET', record('1002'), bob);
    const second = await call(stack, 'GET', record('1002'), bob);
    expect([first.status, second.status]).toEqual([200, 200]);
    // The second decision came from the gateway's cache (the authorizer was not invoked again).
    const secondId = String(second.headers['x-amzn-requestid']);
    const line = await logLine((l) => l.includes(secondId) && l.includes('"component":"gateway"'));
    expect(line).toContain('"authorizer":"cache-hit"');
    expect((await call(stack, 'GET', record('1001'), bob)).status).toBe(403);
    expect((await call(stack, 'POST', record('1002'), bob, { dateOfService: 'x', provider: 'y' })).status).toBe(403);
  });

  test.each([
    ['dot-dot segment', '/v1/claims/enrollee/1002/../1001'],
    ['encoded slash', '/v1/claims/enrollee/1002%2F..%2F1001'],
    ['encoded dot-dot', '/v1/claims/enrollee/1002/%2e%2e/1001'],
    ['double encoding', '/v1/claims/enrollee/%25%33%31001'],
  ])('path trick (%s) is a Deny by the authorizer (403) before the policy, and never reaches the backend', async (_name, path) => {
    expect(await refusal('GET', path, tokens.bob)).toMatchObject({ status: 403, layer: 'authorizer' });
  });

  test('a percent-encoded id is decoded once and judged as that id (bob asking for %31001 = 1001 is denied)', async () => {
    expect((await call(stack, 'GET', '/v1/claims/enrollee/%31001', tokens.bob)).status).toBe(403);
  });

  test('no access token ever appears in the logs', () => {
    const out = stack.output();
    for (const t of Object.values(tokens)) expect(out).not.toContain(t.split('.')[2] ?? 'x');
    expect(out).not.toMatch(/eyJ[\w-]{10,}\.eyJ/);
  });
});
