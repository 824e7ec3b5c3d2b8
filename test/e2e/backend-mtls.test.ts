/**
 * Mutual TLS from the claims proxy to the sample backend on the local stack
 * (LOCAL_BACKEND_MTLS=1): the proxy's client certificate and pinned CA come
 * from the credentials file the stack writes (Secrets Manager's JSON shape);
 * with a pinned CA that is not the backend's, every call is a 502 without
 * backend data.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLocalCa } from '../../local/mtls/pki';
import { call, userToken } from './helpers/acme-client';
import { outputMatching, startStackProcess, type StackProcess } from './helpers/stack-process';

const RECORD = '/v1/claims/enrollee/1001';

describe('backend over mutual TLS', () => {
  let stack: StackProcess;
  beforeAll(async () => {
    stack = await startStackProcess({ LOCAL_BACKEND_MTLS: '1', AUTHORIZER_CACHE_TTL: '0' });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  test('the backend serves HTTPS (client certificate required); the proxy gets the record through it', async () => {
    expect(stack.backend).toMatch(/^https:/);
    const res = await call(stack, 'GET', RECORD, await userToken(stack, 'alice'));
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ enrolleeId: '1001' });
    expect(stack.output()).not.toMatch(/PRIVATE KEY/);
  });
});

describe('backend over mutual TLS with the wrong pinned CA', () => {
  let stack: StackProcess;
  let dir: string;
  beforeAll(async () => {
    const wrong = await createLocalCa('Not the backend CA');
    const cert = await wrong.client('acme-claims-proxy.local');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-wrong-ca-'));
    const file = path.join(dir, 'creds.json');
    fs.writeFileSync(file, JSON.stringify({ certificatePem: cert.certPem, privateKeyPem: cert.keyPem, caPem: wrong.certPem }), { mode: 0o600 });
    stack = await startStackProcess({ LOCAL_BACKEND_MTLS: '1', AUTHORIZER_CACHE_TTL: '0', BACKEND_MTLS_CREDENTIALS_FILE: file });
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('fails closed: 502 JSON, no backend data, logged as backend_certificate_rejected without key material', async () => {
    const res = await call(stack, 'GET', RECORD, await userToken(stack, 'alice'));
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({ error: 'bad_gateway' });
    expect(res.body).not.toMatch(/1001|memberSsn/);
    expect(await outputMatching(stack, /"reason":"backend_certificate_rejected"/)).toMatch(/"reason":"backend_certificate_rejected"/);
    expect(stack.output()).not.toMatch(/PRIVATE KEY/);
  });
});
