/**
 * Mutual TLS to the backend (README "Client certificates and mTLS"): the
 * claims proxy presents a client certificate and trusts ONLY the pinned CA
 * (node's `ca` option replaces the system store), both from one secret:
 * `{"certificatePem": "...", "privateKeyPem": "...", "caPem": "..."}` (caPem may
 * list several CAs, e.g. the old and the new one during a rotation)
 * (Secrets Manager in the deployed stack, BACKEND_MTLS_SECRET_ARN; a file on
 * the local stack). Read once per container, with one keep-alive agent built
 * from it; a failed read is retried on the next request. Failures are
 * BackendTlsError (502, no backend data); messages name the failure, never
 * key material.
 */
import * as crypto from 'node:crypto';
import * as https from 'node:https';
import { BackendTlsError } from '../shared/errors';
import { jsonSecret, SecretReadError } from '../shared/secrets';

export interface BackendTlsCredentials {
  readonly cert: string;
  readonly key: string;
  /** The pinned CA(s), one PEM each. */
  readonly ca: readonly string[];
}

/** Parse and check the secret: the key must belong to the certificate, the CA must parse. */
export function parseBackendTlsCredentials(raw: string): BackendTlsCredentials {
  const obj = jsonSecret(raw);
  const { certificatePem, privateKeyPem, caPem } = obj;
  if (typeof certificatePem !== 'string' || typeof privateKeyPem !== 'string' || typeof caPem !== 'string') {
    throw new SecretReadError('the backend mTLS secret needs "certificatePem", "privateKeyPem" and "caPem"');
  }
  // caPem may hold several CAs (PEMs concatenated): during a rotation, the old and the new one.
  const cas = caPem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (cas.length === 0) throw new SecretReadError('the backend mTLS secret\'s "caPem" holds no certificate');
  let matches: boolean;
  try {
    const cert = new crypto.X509Certificate(certificatePem);
    matches = cert.checkPrivateKey(crypto.createPrivateKey(privateKeyPem));
    for (const ca of cas) new crypto.X509Certificate(ca);
  } catch {
    throw new SecretReadError('the backend mTLS secret holds a certificate, key or CA that does not parse');
  }
  if (!matches) throw new SecretReadError('the backend mTLS private key does not belong to the certificate');
  return { cert: certificatePem, key: privateKeyPem, ca: cas };
}

/** OpenSSL verification codes: the backend's certificate is not one the pinned CA vouches for (or not for this host). */
const CERTIFICATE_REJECTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED', 'INVALID_CA', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A BackendTlsError for a TLS-level failure, or undefined when `error` is something else. */
export function tlsFailure(error: unknown): BackendTlsError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (CERTIFICATE_REJECTED.has(code)) return new BackendTlsError('backend_certificate_rejected', `the backend's certificate is not trusted (${code})`, { cause: error });
  if (code.startsWith('ERR_SSL_')) return new BackendTlsError('backend_handshake_failed', `the backend refused the TLS handshake (${code})`, { cause: error });
  return undefined;
}

/** One agent per container from the credentials (loaded on first use). */
export function backendAgent(credentials: () => Promise<BackendTlsCredentials>): () => Promise<https.Agent> {
  let agent: Promise<https.Agent> | undefined;
  return () => {
    agent ??= credentials().then(
      (c) => new https.Agent({ keepAlive: true, cert: c.cert, key: c.key, ca: [...c.ca], rejectUnauthorized: true }),
      (error: unknown) => {
        throw new BackendTlsError('backend_credentials', `backend mTLS credentials unavailable: ${error instanceof Error ? error.message : 'error'}`, { cause: error });
      },
    );
    agent.catch(() => {
      agent = undefined;
    });
    return agent;
  };
}
