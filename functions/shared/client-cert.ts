/**
 * The client certificate of a mutual-TLS request, as API Gateway forwards it
 * (REST: `requestContext.identity.clientCert`; HTTP API:
 * `requestContext.authentication.clientCert`), turned into the policy's
 * `input.clientCert`. API Gateway has already verified the chain against the
 * domain's truststore; the authorizer treats the fields as hostile anyway:
 * every string is length-limited, the PEM must be exactly one certificate
 * that node:crypto parses, and the facts a policy binds on (`subjectCN`,
 * `fingerprintSha256`, `issuerCN`) are derived from the PEM itself, never from
 * the DN strings. Anything malformed refuses the request before the policy
 * (RequestRejectedError `bad_client_certificate` → Deny).
 *
 * The shape (README "Client certificates and mTLS"):
 *   { pem, subjectDN, issuerDN, serialNumber, validity: {notBefore, notAfter},
 *     subjectCN, issuerCN, fingerprintSha256, sanDns: [..] }
 * `crypto.x509.*` can parse `pem` again inside a policy, but those builtins
 * are in rego-wasm's opt-in extended table (~600 KB): the facts above cost
 * the authorizer bundle nothing.
 */
import { X509Certificate } from 'node:crypto';
import { RequestRejectedError } from './errors';

export interface ClientCertInput {
  readonly pem: string;
  readonly subjectDN: string;
  readonly issuerDN: string;
  readonly serialNumber: string;
  readonly validity: { readonly notBefore: string; readonly notAfter: string };
  /** The subject's single CN, from the certificate; absent when it has none or several. */
  readonly subjectCN?: string;
  readonly issuerCN?: string;
  /** sha256 of the DER, lower-case hex without separators. */
  readonly fingerprintSha256: string;
  /** DNS names of the subjectAltName extension. */
  readonly sanDns: readonly string[];
}

export const MAX_CLIENT_CERT_PEM_BYTES = 16 * 1024;
const MAX_FIELD = 1024;
const PEM = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;

function reject(message: string): never {
  throw new RequestRejectedError('bad_client_certificate', message);
}

function field(raw: unknown, name: string, max = MAX_FIELD): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'string' || raw.length > max || /[\u0000-\u001f\u007f]/.test(raw)) reject(`clientCert.${name} is not a short printable string`);
  return raw;
}

/** The single `CN=` of an X509Certificate subject/issuer (node's one-attribute-per-line form). */
function commonName(name: string): string | undefined {
  const cns = name.split('\n').filter((l) => l.startsWith('CN=')).map((l) => l.slice(3));
  return cns.length === 1 ? cns[0] : undefined;
}

/** The event's client certificate, or undefined when the request had none. */
export function clientCertOf(event: unknown): ClientCertInput | undefined {
  const ctx = (event as { requestContext?: { identity?: { clientCert?: unknown }; authentication?: { clientCert?: unknown } } | null }).requestContext;
  const raw = ctx?.identity?.clientCert ?? ctx?.authentication?.clientCert;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) reject('clientCert is not an object');
  const c = raw as Record<string, unknown>;
  const pem = c.clientCertPem;
  if (typeof pem !== 'string' || pem.length > MAX_CLIENT_CERT_PEM_BYTES || !PEM.test(pem)) reject('clientCert.clientCertPem is not one PEM certificate');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    reject('clientCert.clientCertPem does not parse');
  }
  const validity = (c.validity ?? {}) as Record<string, unknown>;
  if (typeof validity !== 'object' || Array.isArray(validity)) reject('clientCert.validity is not an object');
  const san = cert.subjectAltName ?? '';
  const sanDns = san.split(', ').filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4)).slice(0, 32);
  const subjectCN = commonName(cert.subject);
  const issuerCN = commonName(cert.issuer);
  return {
    pem,
    subjectDN: field(c.subjectDN, 'subjectDN'),
    issuerDN: field(c.issuerDN, 'issuerDN'),
    serialNumber: field(c.serialNumber, 'serialNumber', 128),
    validity: { notBefore: field(validity.notBefore, 'validity.notBefore', 64), notAfter: field(validity.notAfter, 'validity.notAfter', 64) },
    ...(subjectCN === undefined ? {} : { subjectCN }),
    ...(issuerCN === undefined ? {} : { issuerCN }),
    fingerprintSha256: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    sanDns,
  };
}
