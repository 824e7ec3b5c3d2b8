/**
 * Mutual TLS from the claims proxy to the backend
 * (functions/claims-proxy/backend-tls.ts): the proxy presents its client
 * certificate and trusts only the pinned CA. Success; a backend whose
 * certificate is from another CA; a client certificate the backend does not
 * trust; and the claims proxy's answer in those cases (502, no backend data,
 * no key material in the logs).
 */
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createBackendClient, type BackendClient } from '../../functions/claims-proxy/backend-client';
import { parseBackendTlsCredentials, type BackendTlsCredentials } from '../../functions/claims-proxy/backend-tls';
import { createClaimsProxy } from '../../functions/claims-proxy/claims-proxy';
import { loadClaimsProxyConfig } from '../../functions/shared/config';
import { BackendTlsError, BackendUnreachableError, ConfigError } from '../../functions/shared/errors';
import { SecretReadError } from '../../functions/shared/secrets';
import { createLocalCa, type LocalCa, type PemPair } from '../../local/mtls/pki';
import { resultOf, scriptedEngine } from './support/engines';
import { captureLogs } from './support/logs';

const SECRET = '999-99-9999';

interface Backend { url: string; hits: string[]; close(): Promise<void> }

async function startTlsBackend(server: PemPair, trustedClientCa: string): Promise<Backend> {
  const hits: string[] = [];
  const srv = https.createServer({ key: server.keyPem, cert: server.certPem, ca: trustedClientCa, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const cn = (req.socket as TLSSocket).getPeerX509Certificate()?.subject ?? '';
    hits.push(cn);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ enrolleeId: '1001', memberSsn: SECRET, peer: cn }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((r) => {
      srv.closeAllConnections();
      srv.close(() => r());
    }),
  };
}

let backendCa: LocalCa;
let otherCa: LocalCa;
let proxyCert: PemPair;
let backend: Backend;
let impostor: Backend;

beforeAll(async () => {
  backendCa = await createLocalCa('Backend CA');
  otherCa = await createLocalCa('Other CA');
  proxyCert = await backendCa.client('acme-claims-proxy');
  backend = await startTlsBackend(await backendCa.server('backend'), backendCa.certPem);
  // Trusts the proxy's CA, but its own certificate is from another CA: the pinned CA must refuse it.
  impostor = await startTlsBackend(await otherCa.server('backend'), backendCa.certPem);
}, 30_000);
afterAll(async () => {
  await backend.close();
  await impostor.close();
});

const creds = (over: Partial<BackendTlsCredentials> = {}): (() => Promise<BackendTlsCredentials>) =>
  () => Promise.resolve({ cert: proxyCert.certPem, key: proxyCert.keyPem, ca: [backendCa.certPem], ...over });

const client = (url: string, tls = creds()): BackendClient =>
  createBackendClient({ baseUrl: new URL(url), timeoutMs: 2000, maxResponseBytes: 65_536, tls });

const get = (c: BackendClient) => c.send({ method: 'GET', path: '/v1/claims/enrollee/1001', query: {}, headers: { accept: 'application/json' } });

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('the backend client over mutual TLS', () => {
  it('presents the client certificate and verifies the backend against the pinned CA', async () => {
    const res = await get(client(backend.url));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString('utf8'))).toMatchObject({ peer: expect.stringContaining('CN=acme-claims-proxy') });
  });

  it('a pinned CA list with the old and the new CA (a rotation) still verifies the backend', async () => {
    const both = parseBackendTlsCredentials(JSON.stringify({ certificatePem: proxyCert.certPem, privateKeyPem: proxyCert.keyPem, caPem: `${otherCa.certPem}${backendCa.certPem}` }));
    expect((await get(client(backend.url, () => Promise.resolve(both)))).status).toBe(200);
  });

  it('a backend certificate from another CA is refused before any request is sent (pinned CA, no system CAs)', async () => {
    const hits = impostor.hits.length;
    const error = await failure(get(client(impostor.url)));
    expect(error).toBeInstanceOf(BackendTlsError);
    expect((error as BackendTlsError).reason).toBe('backend_certificate_rejected');
    expect(impostor.hits.length).toBe(hits);
  });

  it('a client certificate the backend does not trust: the handshake fails, nothing reaches the backend', async () => {
    const stranger = await otherCa.client('acme-claims-proxy');
    const hits = backend.hits.length;
    const error = await failure(get(client(backend.url, creds({ cert: stranger.certPem, key: stranger.keyPem }))));
    expect(error instanceof BackendTlsError || error instanceof BackendUnreachableError).toBe(true);
    expect(backend.hits.length).toBe(hits);
  });

  it('no client certificate (the pinned CA only): the backend refuses the handshake, nothing reaches it', async () => {
    const hits = backend.hits.length;
    const error = await failure(get(client(backend.url, creds({ cert: '', key: '' }))));
    expect(error).toBeInstanceOf(BackendTlsError);
    expect((error as BackendTlsError).reason).toBe('backend_handshake_failed');
    expect(backend.hits.length).toBe(hits);
  });

  it('credentials that cannot be read: backend_credentials, retried on the next request', async () => {
    let calls = 0;
    const flaky = client(backend.url, () => {
      calls++;
      return calls === 1 ? Promise.reject(new SecretReadError('GetSecretValue failed (ThrottlingException)')) : creds()();
    });
    expect(((await failure(get(flaky))) as BackendTlsError).reason).toBe('backend_credentials');
    expect((await get(flaky)).status).toBe(200);
  });
});

describe('the claims proxy', () => {
  const event = (): APIGatewayProxyEvent => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'events', 'proxy-get-own-record.json'), 'utf8')) as APIGatewayProxyEvent;
  const proxyFor = (c: BackendClient, logs: ReturnType<typeof captureLogs>) => createClaimsProxy({
    config: { apiKeyHeader: 'x-api-key', responseEntrypoint: 'acme/filter/response' },
    backend: c,
    engine: Promise.resolve(scriptedEngine((_e, input) => resultOf((input.response as { body: unknown }).body))),
    logger: logs.logger,
    decisions: logs.decisions,
  });

  it('answers through mutual TLS', async () => {
    const res = await proxyFor(client(backend.url), captureLogs())(event());
    expect(res.statusCode).toBe(200);
  });

  it('a backend that fails the pinned CA → 502 JSON, no backend data, no key material logged', async () => {
    const logs = captureLogs();
    const res = await proxyFor(client(impostor.url), logs)(event());
    expect(res.statusCode).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'bad_gateway' });
    expect(res.body).not.toContain(SECRET);
    expect(logs.parsed().find((l) => l.level === 'error')).toMatchObject({ reason: 'backend_certificate_rejected' });
    expect(logs.text()).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    expect(logs.text()).not.toContain(proxyCert.keyPem.split('\n')[1]);
  });
});

describe('credentials and configuration', () => {
  const json = (o: Record<string, unknown>): string => JSON.stringify(o);

  it('the secret needs a certificate, its own key and a CA; errors never echo the PEMs', async () => {
    expect(parseBackendTlsCredentials(json({ certificatePem: proxyCert.certPem, privateKeyPem: proxyCert.keyPem, caPem: backendCa.certPem }))).toEqual({ cert: proxyCert.certPem, key: proxyCert.keyPem, ca: [backendCa.certPem.trim()] });
    const other = await backendCa.client('someone-else');
    for (const raw of [
      json({ certificatePem: proxyCert.certPem, privateKeyPem: other.keyPem, caPem: backendCa.certPem }),
      json({ certificatePem: proxyCert.certPem, privateKeyPem: proxyCert.keyPem }),
      json({ certificatePem: 'x', privateKeyPem: proxyCert.keyPem, caPem: backendCa.certPem }),
    ]) {
      let message = '';
      try {
        parseBackendTlsCredentials(raw);
      } catch (error) {
        expect(error).toBeInstanceOf(SecretReadError);
        message = (error as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toMatch(/BEGIN|PRIVATE/);
    }
  });

  it('BACKEND_MTLS_SECRET_ARN needs an https backend; a credentials file is refused in Lambda; values in env are not a source', () => {
    const base = { BACKEND_URL: 'https://claims.internal.example' };
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/backend-mtls-AbCdEf';
    expect(loadClaimsProxyConfig({ ...base, BACKEND_MTLS_SECRET_ARN: arn }, '/t').backendMtls).toEqual({ kind: 'secrets_manager', secretArn: arn });
    expect(loadClaimsProxyConfig(base, '/t').backendMtls).toBeUndefined();
    expect(() => loadClaimsProxyConfig({ BACKEND_URL: 'http://10.0.0.5', BACKEND_ALLOW_HTTP: 'true', BACKEND_MTLS_SECRET_ARN: arn }, '/t')).toThrow(/must be https/);
    expect(() => loadClaimsProxyConfig({ ...base, BACKEND_MTLS_CREDENTIALS_FILE: 'c.json', AWS_LAMBDA_FUNCTION_NAME: 'proxy' }, '/t')).toThrow(ConfigError);
  });
});
