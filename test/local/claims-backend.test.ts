/** The sample claims backend serves ACME.md's data, trusts the gateway and refuses a leaked Authorization header. */
import { startClaimsBackend, type ClaimsBackend } from '../../local/backend/server';
import { rawRequest } from './helpers/http';

let backend: ClaimsBackend;
const lines: Record<string, unknown>[] = [];

beforeEach(async () => {
  lines.length = 0;
  backend = await startClaimsBackend({ port: 0, log: (l) => lines.push(l) });
});
afterEach(async () => {
  await backend.close();
});

test('GET returns the enrollee record with its claims (sensitive fields included: filtering is the gateway\'s job)', async () => {
  const res = await rawRequest(backend.url, 'GET', '/v1/claims/enrollee/1003', { 'x-authz-sub': 'alice@acme.example' });
  expect(res.status).toBe(200);
  expect(res.json()).toMatchObject({ enrolleeId: '1003', enrolleePrimaryId: '1001', enrolleeType: 'secondary', enrolleeAge: 15, memberSsn: '345-67-8901' });
  expect(lines).toContainEqual(expect.objectContaining({ component: 'backend', sub: 'alice@acme.example', path: '/v1/claims/enrollee/1003' }));
});

test('the families of ACME.md are all there', async () => {
  const ages: Record<string, number> = {};
  for (const id of ['1001', '1002', '1003', '1004', '2001', '2002']) {
    const r = (await rawRequest(backend.url, 'GET', `/v1/claims/enrollee/${id}`)).json<{ enrolleeAge: number; canPrimaryViewClaims: boolean }>();
    ages[id] = r.enrolleeAge;
  }
  expect(ages).toEqual({ 1001: 32, 1002: 50, 1003: 15, 1004: 21, 2001: 45, 2002: 12 });
});

test('POST submits a claim (201 + the record) and PUT updates one', async () => {
  const post = await rawRequest(backend.url, 'POST', '/v1/claims/enrollee/1001', { 'content-type': 'application/json' }, JSON.stringify({ dateOfService: '2026-11-01', provider: 'X', procedure: 'Y' }));
  expect(post.status).toBe(201);
  const created = post.json<{ enrolleeClaimSummaryList: { claimId: string; claimStatus: string }[] }>().enrolleeClaimSummaryList.at(-1);
  expect(created).toMatchObject({ claimStatus: 'Submitted' });
  const put = await rawRequest(backend.url, 'PUT', `/v1/claims/enrollee/1001/claims/${created?.claimId}`, {}, JSON.stringify({ claimStatus: 'Appealed' }));
  expect(put.status).toBe(200);
  expect(put.json<{ enrolleeClaimSummaryList: { claimId: string; claimStatus: string }[] }>().enrolleeClaimSummaryList.find((c) => c.claimId === created?.claimId)?.claimStatus).toBe('Appealed');
});

test('bad input and unknown ids are 4xx', async () => {
  expect((await rawRequest(backend.url, 'POST', '/v1/claims/enrollee/1001', {}, 'not json')).status).toBe(400);
  expect((await rawRequest(backend.url, 'GET', '/v1/claims/enrollee/7777')).status).toBe(404);
  expect((await rawRequest(backend.url, 'PUT', '/v1/claims/enrollee/1001/claims/nope', {}, '{}')).status).toBe(404);
  expect((await rawRequest(backend.url, 'DELETE', '/v1/claims/enrollee/1001')).status).toBe(405);
});

test('a request that still carries Authorization is refused loudly (the gateway must strip it)', async () => {
  const res = await rawRequest(backend.url, 'GET', '/v1/claims/enrollee/1001', { authorization: 'Bearer leaked' });
  expect(res.status).toBe(400);
  expect(res.body).not.toContain('Alice');
  expect(JSON.stringify(lines)).not.toContain('leaked');
  expect(backend.seen.at(-1)?.headerNames).toContain('authorization');
});
