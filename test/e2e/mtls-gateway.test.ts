/**
 * The local gateway on mutual TLS (`npm start -- --mtls`, here LOCAL_MTLS=1)
 * over real HTTPS: no client certificate, or one from another CA, is refused
 * in the TLS handshake and never reaches the authorizer; a verified
 * certificate reaches the policy as input.clientCert, and the sample rule
 * that binds the partner certificate to the acme-audit-service client decides.
 */
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLocalCa } from '../../local/mtls/pki';
import { PARTNER_CERT_CN, type GatewayMtlsFiles } from '../../local/mtls/gateway-pki';
import { serviceToken, userToken } from './helpers/acme-client';
import { outputMatching, REPO_ROOT, startStackProcess, type StackProcess } from './helpers/stack-process';

interface Reply { readonly status: number; readonly body: string }
type Outcome = Reply | { readonly error: string };

function get(url: string, ca: string, token: string, client?: { cert: string; key: string }): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = https.request(url, { method: 'GET', ca, agent: false, headers: { authorization: `Bearer ${token}` }, ...(client ?? {}) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

const authorizerInvocations = (stack: StackProcess): number => (stack.output().match(/"authorizer":"invoked"/g) ?? []).length;

let stack: StackProcess;
let files: GatewayMtlsFiles;
let dir: string;
let ca: string;
const read = (f: string): string => fs.readFileSync(f, 'utf8');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-mtls-policies-'));
  // The whole policy folder, sub-packages (system/log/mask.rego) included; not a previous build.
  fs.cpSync(path.join(REPO_ROOT, 'policies'), dir, { recursive: true, filter: (src) => path.basename(src) !== 'build' });
  const data = JSON.parse(fs.readFileSync(path.join(dir, 'data.json'), 'utf8')) as { acme: { api: { client_certificates: unknown } } };
  data.acme.api.client_certificates = { 'acme-audit-service': { subject_cn: PARTNER_CERT_CN } };
  fs.writeFileSync(path.join(dir, 'data.json'), JSON.stringify(data));
  stack = await startStackProcess({ LOCAL_MTLS: '1', LOCAL_POLICY_DIR: dir, LOCAL_WATCH: '0', AUTHORIZER_CACHE_TTL: '0', LOCAL_DEBUG_EVENTS: '1' });
  const ready = /LOCAL_STACK_READY (\{.*\})/.exec(stack.output())?.[1];
  files = (JSON.parse(ready ?? '{}') as { mtls: GatewayMtlsFiles }).mtls;
  ca = read(files.caFile);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const RECORD = '/v1/claims/enrollee/1001';

test('the gateway serves HTTPS; the start-up client keys are private files (0600)', () => {
  expect(stack.gateway).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(fs.existsSync(files.partner.keyFile)).toBe(true);
  expect(fs.statSync(files.partner.keyFile).mode & 0o077).toBe(0);
});

test('no client certificate: the handshake is refused and the authorizer is never called', async () => {
  const before = authorizerInvocations(stack);
  const out = await get(`${stack.gateway}${RECORD}`, ca, await userToken(stack, 'alice'));
  expect(out).toHaveProperty('error');
  expect(authorizerInvocations(stack)).toBe(before);
  // The refusal is logged (the line may arrive just after the client saw the reset).
  const deadline = Date.now() + 3000;
  while (!/tls_handshake_refused/.test(stack.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(await outputMatching(stack, /tls_handshake_refused/)).toMatch(/tls_handshake_refused/);
});

test('a client certificate from another CA: refused in the handshake, the authorizer is never called', async () => {
  const other = await (await createLocalCa('Mallory CA')).client(PARTNER_CERT_CN);
  const before = authorizerInvocations(stack);
  const out = await get(`${stack.gateway}${RECORD}`, ca, await serviceToken(stack, 'acme-audit-service'), { cert: other.certPem, key: other.keyPem });
  expect(out).toHaveProperty('error');
  expect(authorizerInvocations(stack)).toBe(before);
});

test('a member with a device certificate from the CA reads her record (200); the authorizer event carries the certificate as API Gateway does', async () => {
  const out = await get(`${stack.gateway}${RECORD}`, ca, await userToken(stack, 'alice'), { cert: read(files.member.certFile), key: read(files.member.keyFile) });
  expect(out).toMatchObject({ status: 200 });
  const events = stack.output().split('\n').filter((l) => l.includes('"debug":"authorizer-event"')).map((l) => JSON.parse(l) as { event: { requestContext: { identity: { clientCert: Record<string, unknown> } } } });
  const cert = events.at(-1)?.event.requestContext.identity.clientCert;
  expect(cert).toEqual({
    clientCertPem: read(files.member.certFile).replace(/\r?\n?$/, '\n'),
    subjectDN: 'CN=member-device.local,O=Acme local dev',
    issuerDN: 'CN=Acme local gateway CA,O=Acme local dev',
    serialNumber: expect.stringMatching(/^[0-9a-f]{2}(:[0-9a-f]{2})+$/),
    validity: { notBefore: expect.stringMatching(/^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4} GMT$/), notAfter: expect.stringMatching(/ GMT$/) },
  });
});

test('the partner certificate bound to acme-audit-service: its token reads with it (200) and is refused with another certificate (403)', async () => {
  const audit = await serviceToken(stack, 'acme-audit-service');
  expect(await get(`${stack.gateway}${RECORD}`, ca, audit, { cert: read(files.partner.certFile), key: read(files.partner.keyFile) })).toMatchObject({ status: 200 });
  expect(await get(`${stack.gateway}${RECORD}`, ca, audit, { cert: read(files.member.certFile), key: read(files.member.keyFile) })).toMatchObject({ status: 403 });
  expect(await outputMatching(stack, /"reason":"client_certificate_required"/)).toMatch(/"reason":"client_certificate_required"/);
});

test('the partner certificate with a member token is refused (403 client_certificate_mismatch)', async () => {
  const out = await get(`${stack.gateway}${RECORD}`, ca, await userToken(stack, 'alice'), { cert: read(files.partner.certFile), key: read(files.partner.keyFile) });
  expect(out).toMatchObject({ status: 403 });
  expect(await outputMatching(stack, /"reason":"client_certificate_mismatch"/)).toMatch(/"reason":"client_certificate_mismatch"/);
});
