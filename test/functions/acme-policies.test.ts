/**
 * ACME.md outcomes through both handlers with the REAL policies/ compiled by
 * the in-house toolchain (rego-wasm) and loaded once, as in a Lambda
 * container: one loaded policy decides every request of this file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { build } from 'rego-wasm';
import { createAuthorizer } from '../../functions/authorizer/authorizer';
import { createBackendClient } from '../../functions/claims-proxy/backend-client';
import { createClaimsProxy } from '../../functions/claims-proxy/claims-proxy';
import { loadPolicyEngine, type PolicyEngine } from '../../functions/shared/policy-engine';
import { createTokenVerifier } from '../../functions/shared/token-verifier';
import { accessClaims, AUDIENCE, ISSUER_PATH, rsaKey, signRs256, type TestKey } from './support/jwt';
import { captureLogs, type Captured } from './support/logs';
import { opaEventProblems } from './support/opa-event';
import { startJwksServer, startServer, type JwksServer, type LocalServer } from './support/servers';

const ROOT = path.join(__dirname, '..', '..');
const EVENTS = path.join(ROOT, 'test', 'events');

const claimsOf = (id: string): Array<Record<string, unknown>> => [
  { claimId: `C-${id}-1`, claimStatus: 'Paid', claimStatusCode: 'P', dateOfService: '2026-01-05', provider: 'Acme Clinic', enrolleeResponsibilityAmount: 20, procedure: 'Annual physical' },
  { claimId: `C-${id}-2`, claimStatus: 'Open', claimStatusCode: 'O', dateOfService: '2026-02-11', provider: 'Acme Labs', enrolleeResponsibilityAmount: 0, procedure: 'Blood panel' },
];
const person = (id: string, primary: string, type: string, name: string, age: number, waiver: boolean, ssn: string): Record<string, unknown> => ({
  enrolleeId: id, enrolleePrimaryId: primary, enrolleeType: type, enrolleeName: name, enrolleeAge: age,
  canPrimaryViewClaims: waiver, memberSsn: ssn, enrolleeClaimSummaryList: claimsOf(id),
});
const RECORDS: Record<string, Record<string, unknown>> = {
  '1001': person('1001', '1001', 'primary', 'Alice', 32, true, '123-45-6789'),
  '1002': person('1002', '1001', 'secondary', 'Bob', 50, true, '234-56-7890'),
  '1003': person('1003', '1001', 'secondary', 'John', 15, false, '345-67-8901'),
  '1004': person('1004', '1001', 'secondary', 'Jane', 21, false, '456-78-9012'),
  '2001': person('2001', '2001', 'primary', 'Carol', 45, true, '567-89-0123'),
  '2002': person('2002', '2001', 'secondary', 'Dan', 12, false, '678-90-1234'),
};

let key: TestKey;
let jwks: JwksServer;
let backend: LocalServer;
let issuer: string;
let engine: PolicyEngine;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-policy-'));
  const wasmPath = path.join(tmp, 'policy.wasm');
  build({ paths: [path.join(ROOT, 'policies')], outfile: wasmPath });
  engine = await loadPolicyEngine({ wasmPath, dataPath: path.join(ROOT, 'policies', 'data.json'), dataOptional: false });
  key = rsaKey('acme-1');
  jwks = await startJwksServer([key.jwk]);
  issuer = `${jwks.url}${ISSUER_PATH}`;
  backend = await startServer((req, res, body) => {
    const m = /^\/v1\/claims\/enrollee\/([0-9]+)(?:\/claims\/([A-Za-z0-9-]+))?$/.exec((req.url ?? '').split('?')[0]);
    const record = m ? RECORDS[m[1]] : undefined;
    if (!record) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'enrollee not found' }));
      return;
    }
    const status = req.method === 'POST' ? 201 : 200;
    void body;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(record));
  });
}, 120_000);

afterAll(async () => {
  await jwks?.close();
  await backend?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const members = {
  alice: { sub: 'alice@acme.example', enrolleeId: '1001', enrolleeType: 'primary', dependants: ['1002', '1003', '1004'] },
  bob: { sub: 'bob@acme.example', enrolleeId: '1002', enrolleeType: 'secondary', dependants: [] },
} as const;

/** Every token issued and every log line written by this file (checked at the end: no secret is logged). */
const issuedTokens: string[] = [];
const allLogs: Captured[] = [];
const captured = (): Captured => {
  const logs = captureLogs();
  allLogs.push(logs);
  return logs;
};

function tokenFor(who: Record<string, unknown>, scp = ['claims:read', 'claims:write']): string {
  const jwt = signRs256(key, accessClaims(issuer, { ...who, scp }));
  issuedTokens.push(jwt);
  return jwt;
}

const auditorToken = (): string => {
  const claims = accessClaims(issuer, { sub: '0oa-audit', cid: '0oa-audit', scp: ['claims:audit', 'claims:read'] });
  for (const k of ['uid', 'enrolleeId', 'enrolleeType', 'dependants']) delete claims[k];
  const jwt = signRs256(key, claims);
  issuedTokens.push(jwt);
  return jwt;
};

function authorizerEvent(method: string, p: string, jwt: string): APIGatewayRequestAuthorizerEvent {
  const event = JSON.parse(fs.readFileSync(path.join(EVENTS, 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', jwt)) as APIGatewayRequestAuthorizerEvent;
  event.httpMethod = method;
  event.path = p;
  event.methodArn = `arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/${method}${p}`;
  return event;
}

async function authorize(method: string, p: string, jwt: string) {
  const logs = captured();
  const handler = createAuthorizer({
    config: { apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, requestEntrypoint: 'acme/authz/decision', apiProduct: undefined },
    verifier: createTokenVerifier({ issuers: [issuer], audiences: [AUDIENCE], jwksUris: [`${issuer}/v1/keys`], algorithms: ['RS256'], clockSkewSeconds: 60, jwksMaxAgeSeconds: 900, jwksFetchTimeoutMs: 5000 }),
    engine: Promise.resolve(engine),
    logger: logs.logger,
    decisions: logs.decisions,
  });
  return handler(authorizerEvent(method, p, jwt));
}

/** Authorizer then (on Allow) the claims proxy with the context API Gateway would pass. */
async function call(method: string, p: string, jwt: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const auth = await authorize(method, p, jwt);
  if (auth.policyDocument.Statement[0].Effect !== 'Allow') return { status: 403, body: { gateway: 'AccessDenied' } };
  const event = JSON.parse(fs.readFileSync(path.join(EVENTS, 'proxy-get-own-record.json'), 'utf8')) as APIGatewayProxyEvent;
  event.httpMethod = method;
  event.path = p;
  event.body = method === 'GET' ? null : JSON.stringify({ provider: 'Acme Clinic', procedure: 'X-ray' });
  const context: Record<string, string> = { principalId: auth.principalId };
  for (const [k, v] of Object.entries(auth.context ?? {})) context[k] = String(v);
  event.requestContext.authorizer = context;
  const logs = captured();
  const proxy = createClaimsProxy({
    config: { apiKeyHeader: 'x-api-key', responseEntrypoint: 'acme/filter/response' },
    backend: createBackendClient({ baseUrl: new URL(backend.url), timeoutMs: 2000, maxResponseBytes: 1_048_576 }),
    engine: Promise.resolve(engine),
    logger: logs.logger,
    decisions: logs.decisions,
  });
  const result = await proxy(event);
  return { status: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
}

const procedures = (body: Record<string, unknown>): unknown[] =>
  (body.enrolleeClaimSummaryList as Array<Record<string, unknown>>).map((c) => c.procedure);

describe('Alice (primary 1001)', () => {
  it('gets her own record in full, with procedures, SSN masked to the last four', async () => {
    const { status, body } = await call('GET', '/v1/claims/enrollee/1001', tokenFor(members.alice));
    expect(status).toBe(200);
    expect(procedures(body)).toEqual(['Annual physical', 'Blood panel']);
    expect(body.memberSsn).toBe('***-**-6789');
  });

  it("gets Bob's record (adult with waiver) without procedures or SSN", async () => {
    const { status, body } = await call('GET', '/v1/claims/enrollee/1002', tokenFor(members.alice));
    expect(status).toBe(200);
    expect(procedures(body)).toEqual([undefined, undefined]);
    expect(body).not.toHaveProperty('memberSsn');
    expect(body.enrolleeName).toBe('Bob');
  });

  it("gets John's record (minor) without procedures", async () => {
    const { status, body } = await call('GET', '/v1/claims/enrollee/1003', tokenFor(members.alice));
    expect(status).toBe(200);
    expect(procedures(body)).toEqual([undefined, undefined]);
  });

  it("Jane's record (adult, no waiver) is withheld: 403, not a 200 without claims", async () => {
    const { status, body } = await call('GET', '/v1/claims/enrollee/1004', tokenFor(members.alice));
    expect(status).toBe(403);
    expect(JSON.stringify(body)).not.toContain('456-78-9012');
  });

  it.each(['2001', '2002'])('another family (%s) is withheld: 403', async (id) => {
    expect((await call('GET', `/v1/claims/enrollee/${id}`, tokenFor(members.alice))).status).toBe(403);
  });

  it('submits a claim for herself: 201 with her own view', async () => {
    const { status, body } = await call('POST', '/v1/claims/enrollee/1001', tokenFor(members.alice));
    expect(status).toBe(201);
    expect(body.enrolleeId).toBe('1001');
  });

  it('updates a claim for Jane (listed dependant) and gets an acknowledgement only', async () => {
    const { status, body } = await call('PUT', '/v1/claims/enrollee/1004/claims/C-1004-1', tokenFor(members.alice));
    expect(status).toBe(200);
    expect(body).toEqual({ enrolleeId: '1004', accepted: true });
  });

  it('cannot write for another family: 403 at the authorizer', async () => {
    const auth = await authorize('POST', '/v1/claims/enrollee/2001', tokenFor(members.alice));
    expect(auth.policyDocument.Statement[0].Effect).toBe('Deny');
    expect(auth.context?.reason).toBe('not_own_family');
  });

  it('without claims:read: 403 insufficient_scope at the authorizer', async () => {
    const auth = await authorize('GET', '/v1/claims/enrollee/1001', tokenFor(members.alice, ['claims:write']));
    expect(auth.policyDocument.Statement[0].Effect).toBe('Deny');
    expect(auth.context?.reason).toBe('insufficient_scope');
  });
});

describe('Bob (secondary 1002)', () => {
  it('bob (secondary) cannot read alice: 403 at the authorizer, the backend is never called', async () => {
    const before = backend.requests.length;
    const auth = await authorize('GET', '/v1/claims/enrollee/1001', tokenFor(members.bob));
    expect(auth.policyDocument.Statement[0].Effect).toBe('Deny');
    expect(auth.context?.reason).toBe('not_own_record');
    expect(backend.requests.length).toBe(before);
  });

  it('reads his own record', async () => {
    const { status, body } = await call('GET', '/v1/claims/enrollee/1002', tokenFor(members.bob));
    expect(status).toBe(200);
    expect(procedures(body)).toEqual(['Annual physical', 'Blood panel']);
  });

  it('is read-only: POST for himself is 403', async () => {
    const auth = await authorize('POST', '/v1/claims/enrollee/1002', tokenFor(members.bob));
    expect(auth.policyDocument.Statement[0].Effect).toBe('Deny');
    expect(auth.context?.reason).toBe('read_only_member');
  });
});

describe('audit service client (claims:audit)', () => {
  it('reads any record without procedures or SSN', async () => {
    const { status, body } = await call('GET', '/v1/claims/enrollee/2002', auditorToken());
    expect(status).toBe(200);
    expect(procedures(body)).toEqual([undefined, undefined]);
    expect(body).not.toHaveProperty('memberSsn');
  });
});

describe('one loaded policy, many requests', () => {
  it('decides interleaved requests independently (no state carried between evaluations)', async () => {
    const alice = tokenFor(members.alice);
    const bob = tokenFor(members.bob);
    const effects: string[] = [];
    for (const [method, p, jwt] of [
      ['GET', '/v1/claims/enrollee/1001', bob],
      ['GET', '/v1/claims/enrollee/1001', alice],
      ['POST', '/v1/claims/enrollee/1002', bob],
      ['POST', '/v1/claims/enrollee/1001', alice],
      ['GET', '/v1/claims/enrollee/1001', bob],
    ] as const) {
      effects.push((await authorize(method, p, jwt)).policyDocument.Statement[0].Effect as string);
    }
    expect(effects).toEqual(['Deny', 'Allow', 'Deny', 'Allow', 'Deny']);
  });
});

// Runs after every outcome above (jest runs a file's tests in order).
describe('decision logs over every ACME outcome above', () => {
  const events = (): Array<Record<string, unknown>> => allLogs.flatMap((l) => l.events());
  const text = (): string => allLogs.map((l) => l.text()).join('\n');

  it('every decision is one OPA decision-log event, valid against the documented fields, with the bundle revision', () => {
    expect(events().length).toBeGreaterThan(20);
    for (const event of events()) {
      expect(opaEventProblems(event)).toEqual([]);
      expect(event.bundles).toEqual({ authz: { revision: engine.revision } });
    }
  });

  it('no token, signature, SSN (whole or masked) or procedure appears in ANY log line', () => {
    const all = text();
    expect(issuedTokens.length).toBeGreaterThan(5);
    for (const jwt of issuedTokens) {
      expect(all).not.toContain(jwt);
      expect(all).not.toContain(jwt.split('.')[2]);
    }
    for (const record of Object.values(RECORDS)) expect(all).not.toContain(String(record.memberSsn));
    expect(all).not.toContain('***-**-');
    for (const procedure of ['Annual physical', 'Blood panel', 'X-ray']) expect(all).not.toContain(procedure);
  });

  it("the response phase logs what the policy saw and said, masked by the bundle's system.log.mask", () => {
    const own = events().find((e) => (e.custom as Record<string, unknown>).phase === 'response' && (e.result as Record<string, unknown> | undefined)?.enrolleeId === '1001');
    expect(own).toBeDefined();
    expect(own?.masked).toEqual(['/result/memberSsn']);
    // The bundle's mask ran first (its pointers and its upsert), then the default mask erased the field by name.
    expect(own?.erased).toEqual(expect.arrayContaining(['/input/response/body/memberSsn', '/input/response/body/enrolleeClaimSummaryList/0/procedure', '/result/memberSsn']));
    expect(own?.result).not.toHaveProperty('memberSsn');
    expect(((own?.input as Record<string, unknown>).response as Record<string, unknown>).status).toBe(200);
  });
});
