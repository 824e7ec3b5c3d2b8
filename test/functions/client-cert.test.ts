/**
 * The client certificate API Gateway forwards (requestContext.identity.clientCert)
 * becomes input.clientCert (functions/shared/client-cert.ts): facts derived
 * from the PEM, every field limited, anything malformed refused before the
 * policy (Deny), and no certificate means no clientCert in the input.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createAuthorizer } from '../../functions/authorizer/authorizer';
import { clientCertOf } from '../../functions/shared/client-cert';
import { RequestRejectedError } from '../../functions/shared/errors';
import { createTokenVerifier } from '../../functions/shared/token-verifier';
import { createLocalCa, type PemPair } from '../../local/mtls/pki';
import { resultOf, scriptedEngine } from './support/engines';
import { startIntrospectionServer, type IntrospectionServer } from './support/introspection-server';
import { AUDIENCE } from './support/jwt';
import { captureLogs } from './support/logs';

let partner: PemPair;
let caPem: string;
beforeAll(async () => {
  const ca = await createLocalCa('Acme Partner CA');
  caPem = ca.certPem;
  partner = await ca.client('audit.partner.example');
}, 30_000);

const forwarded = (pem: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  clientCertPem: pem,
  subjectDN: 'CN=audit.partner.example,O=Acme local dev',
  issuerDN: 'CN=Acme Partner CA,O=Acme local dev',
  serialNumber: 'a1:b2:c3',
  validity: { notBefore: 'May 28 12:30:02 2026 GMT', notAfter: 'Aug  5 09:36:04 2027 GMT' },
  ...extra,
});
const restEvent = (clientCert: unknown): unknown => ({ requestContext: { identity: { sourceIp: '203.0.113.7', clientCert } } });

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RequestRejectedError);
    return (error as RequestRejectedError).reason;
  }
  throw new Error('accepted');
}

describe('clientCertOf', () => {
  it('no certificate (API Gateway sends null without mutual TLS): undefined', () => {
    expect(clientCertOf(restEvent(null))).toBeUndefined();
    expect(clientCertOf({ requestContext: { identity: {} } })).toBeUndefined();
    expect(clientCertOf({})).toBeUndefined();
  });

  it('derives the CN, the issuer CN, the sha256 fingerprint and the SAN DNS names from the PEM', () => {
    const input = clientCertOf(restEvent(forwarded(partner.certPem)));
    const x = new X509Certificate(partner.certPem);
    expect(input).toEqual({
      pem: partner.certPem,
      subjectDN: 'CN=audit.partner.example,O=Acme local dev',
      issuerDN: 'CN=Acme Partner CA,O=Acme local dev',
      serialNumber: 'a1:b2:c3',
      validity: { notBefore: 'May 28 12:30:02 2026 GMT', notAfter: 'Aug  5 09:36:04 2027 GMT' },
      subjectCN: 'audit.partner.example',
      issuerCN: 'Acme Partner CA',
      fingerprintSha256: x.fingerprint256.replace(/:/g, '').toLowerCase(),
      sanDns: ['audit.partner.example'],
    });
  });

  it('the CN comes from the certificate, not from a DN string that says otherwise', () => {
    expect(clientCertOf(restEvent(forwarded(partner.certPem, { subjectDN: 'CN=acme-admin' })))?.subjectCN).toBe('audit.partner.example');
  });

  it('reads the HTTP API (payload 2.0) location too', () => {
    expect(clientCertOf({ requestContext: { authentication: { clientCert: forwarded(partner.certPem) } } })?.subjectCN).toBe('audit.partner.example');
  });

  it.each<[string, unknown]>([
    ['a string instead of an object', 'CN=x'],
    ['no PEM', forwarded(undefined as unknown as string)],
    ['garbage inside PEM armour', forwarded('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')],
    ['two certificates', null],
    ['a private key', forwarded('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')],
    ['an oversized PEM', forwarded(`-----BEGIN CERTIFICATE-----\n${'A'.repeat(20_000)}\n-----END CERTIFICATE-----\n`)],
    ['a DN with a control character', 'dn'],
    ['an oversized serial', 'serial'],
  ])('refuses %s (bad_client_certificate)', (what, raw) => {
    let value = raw;
    if (what === 'two certificates') value = forwarded(`${partner.certPem}${caPem}`);
    if (raw === 'dn') value = forwarded(partner.certPem, { subjectDN: 'CN=a\nCN=b' });
    if (raw === 'serial') value = forwarded(partner.certPem, { serialNumber: 'a'.repeat(200) });
    expect(rejection(() => clientCertOf(restEvent(value)))).toBe('bad_client_certificate');
  });
});

describe('in the authorizer', () => {
  let idp: IntrospectionServer;
  beforeAll(async () => {
    idp = await startIntrospectionServer();
  });
  afterAll(() => idp.close());

  const run = async (clientCert: unknown) => {
    const engine = scriptedEngine(() => resultOf({ allow: true, reason: 'ok' }));
    const event = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'events', 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', idp.token())) as APIGatewayRequestAuthorizerEvent;
    (event.requestContext.identity as unknown as Record<string, unknown>).clientCert = clientCert;
    const logs = captureLogs();
    const result = await createAuthorizer({
      config: { apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, requestEntrypoint: 'acme/authz/decision', apiProduct: undefined },
      verifier: createTokenVerifier({
        issuers: [idp.issuer], audiences: [AUDIENCE], jwksUris: [`${idp.issuer}/v1/keys`], algorithms: ['RS256'],
        clockSkewSeconds: 60, jwksMaxAgeSeconds: 900, jwksFetchTimeoutMs: 500,
      }),
      engine: Promise.resolve(engine),
      logger: logs.logger,
      decisions: logs.decisions,
    })(event);
    return { result, engine, logs };
  };

  it('the policy input carries clientCert', async () => {
    const { result, engine } = await run(forwarded(partner.certPem));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(engine.calls[0]?.input.clientCert).toMatchObject({ subjectCN: 'audit.partner.example', pem: partner.certPem });
  });

  it('without mutual TLS the input has no clientCert', async () => {
    const { engine } = await run(null);
    expect(engine.calls[0]?.input).not.toHaveProperty('clientCert');
  });

  it('a malformed certificate is a Deny before the policy runs, and the PEM is not logged', async () => {
    const { result, engine, logs } = await run(forwarded('-----BEGIN CERTIFICATE-----\nQUFBQQ==\n-----END CERTIFICATE-----\n'));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(engine.calls).toHaveLength(0);
    expect(logs.summary()).toMatchObject({ type: 'decision', result: 'rejected', reason: 'bad_client_certificate' });
    expect(logs.text()).not.toContain('QUFBQQ');
  });
});
