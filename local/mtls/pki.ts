/**
 * A throw-away PKI for the local stack's mutual TLS (README "Client
 * certificates and mTLS"), made at start-up and never committed: a CA, a
 * server certificate for 127.0.0.1/localhost and client certificates signed
 * by that CA. EC P-256 keys (node:crypto's WebCrypto); the certificates are
 * built with `@peculiar/x509` (pure JS on WebCrypto, typed, maintained —
 * node:crypto can parse X.509 but cannot issue it).
 *
 * The same module makes the backend's PKI (its CA, its server certificate and
 * the claims proxy's client certificate) and, in tests, a second CA whose
 * certificates must be refused.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface LocalCa extends PemPair {
  readonly name: string;
  /** A leaf for a TLS server (SAN: 127.0.0.1, ::1, localhost). */
  server(cn: string): Promise<PemPair>;
  /** A leaf for a TLS client (extendedKeyUsage clientAuth). */
  client(cn: string, opts?: { readonly notAfter?: Date; readonly notBefore?: Date }): Promise<PemPair>;
}

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

function serial(): string {
  // 16 random bytes, positive (RFC 5280 §4.1.2.2).
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** A new CA valid for `days` (default 30). */
export async function createLocalCa(name: string, days = 30): Promise<LocalCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}, O=Acme local dev`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * DAY_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });

  const leaf = async (cn: string, usage: 'server' | 'client', notBefore?: Date, notAfter?: Date): Promise<PemPair> => {
    const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth], false),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ];
    extensions.push(new x509.SubjectAlternativeNameExtension(usage === 'server'
      ? [{ type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' }, { type: 'dns', value: 'localhost' }]
      : [{ type: 'dns', value: cn }]));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${cn}, O=Acme local dev`,
      issuer: caCert.subject,
      notBefore: notBefore ?? new Date(Date.now() - 60_000),
      notAfter: notAfter ?? new Date(Date.now() + days * DAY_MS),
      signingKey: keys.privateKey,
      publicKey: leafKeys.publicKey,
      signingAlgorithm: ALG,
      extensions,
    });
    return { certPem: cert.toString('pem'), keyPem: await keyPem(leafKeys.privateKey) };
  };

  return {
    name,
    certPem: caCert.toString('pem'),
    keyPem: await keyPem(keys.privateKey),
    server: (cn) => leaf(cn, 'server'),
    client: (cn, opts) => leaf(cn, 'client', opts?.notBefore, opts?.notAfter),
  };
}
