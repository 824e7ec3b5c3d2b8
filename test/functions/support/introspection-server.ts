/**
 * The Okta stand-in's introspection/revocation service (local/okta/introspection.ts)
 * on an in-process HTTP server, with test-chosen signing and client keys, so
 * the authorizer's introspection client is tested against a real RFC 7662 /
 * RFC 7009 server without the ESM-only oidc-provider. It also serves the
 * JWKS at {issuer}/v1/keys, so a real token verifier can use it.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIntrospectionService, type IntrospectionService } from '../../../local/okta/introspection';
import type { PublicJwk } from '../../../local/okta/keys';
import { accessClaims, ISSUER_PATH, rsaKey, signRs256, type TestKey } from './jwt';

export const GATEWAY_CLIENT = { clientId: 'acme-api-gateway', clientSecret: 'test-gateway-secret' };
/** The client that "issued" the test tokens (accessClaims' cid). */
export const ISSUING_CLIENT = { clientId: '0oa-acme-portal', clientSecret: 'test-portal-secret' };

export interface IntrospectionServer {
  readonly issuer: string;
  readonly endpoint: string;
  readonly revokeEndpoint: string;
  readonly service: IntrospectionService;
  /** The gateway client's private key (private_key_jwt). */
  readonly gatewayKey: crypto.KeyObject;
  readonly signingKey: TestKey;
  /** Sign an access token of this issuer. */
  token(overrides?: Record<string, unknown>): string;
  /** Revoke as the issuing client (client_secret_basic). */
  revoke(token: string): Promise<number>;
  close(): Promise<void>;
}

export async function startIntrospectionServer(): Promise<IntrospectionServer> {
  const signingKey = rsaKey('k1');
  const { privateKey: gatewayKey, publicKey: gatewayPublic } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let service: IntrospectionService | undefined;
  const server = http.createServer((req, res) => {
    if (req.url === `${ISSUER_PATH}/v1/keys`) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [signingKey.jwk] }));
      return;
    }
    const kind = req.url === `${ISSUER_PATH}/v1/introspect` ? 'introspect' : req.url === `${ISSUER_PATH}/v1/revoke` ? 'revoke' : undefined;
    if (!kind || !service) {
      res.writeHead(404).end();
      return;
    }
    void service.handle(kind, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}${ISSUER_PATH}`;
  service = createIntrospectionService({
    issuer,
    publicJwks: () => [signingKey.jwk as unknown as PublicJwk],
    clients: () => [
      { ...GATEWAY_CLIENT, publicKey: gatewayPublic },
      ISSUING_CLIENT,
    ],
  });
  const s = service;
  return {
    issuer,
    endpoint: `${issuer}/v1/introspect`,
    revokeEndpoint: `${issuer}/v1/revoke`,
    service: s,
    gatewayKey,
    signingKey,
    token: (overrides = {}) => signRs256(signingKey, accessClaims(issuer, overrides)),
    revoke: async (token) => {
      const basic = Buffer.from(`${ISSUING_CLIENT.clientId}:${ISSUING_CLIENT.clientSecret}`).toString('base64');
      const res = await fetch(`${issuer}/v1/revoke`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
      await res.arrayBuffer();
      return res.status;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
