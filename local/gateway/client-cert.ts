/**
 * The client certificate of a mutual-TLS connection in API Gateway's shape
 * (`requestContext.identity.clientCert`): PEM, subject and issuer DN,
 * serial number (colon-separated hex) and validity in OpenSSL's date format,
 * as API Gateway forwards them for a custom domain with mutual TLS. The TLS
 * handshake (requestCert + rejectUnauthorized) has already refused a
 * connection without a certificate or with one from another CA.
 */
import type { APIGatewayEventClientCertificate } from 'aws-lambda';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

function dn(name: string): string {
  // node prints one attribute per line, most significant first; API Gateway prints them comma-separated.
  return name.split('\n').filter((l) => l !== '').join(',');
}

export function clientCertOfSocket(socket: Socket): APIGatewayEventClientCertificate | null {
  const tls = socket as Partial<TLSSocket>;
  if (typeof tls.getPeerX509Certificate !== 'function' || tls.authorized !== true) return null;
  const cert = tls.getPeerX509Certificate();
  if (!cert) return null;
  return {
    clientCertPem: cert.toString(),
    subjectDN: dn(cert.subject),
    issuerDN: dn(cert.issuer),
    serialNumber: (cert.serialNumber.toLowerCase().match(/../g) ?? []).join(':'),
    validity: { notBefore: cert.validFrom, notAfter: cert.validTo },
  };
}
