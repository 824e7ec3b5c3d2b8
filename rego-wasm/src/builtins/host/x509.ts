/**
 * crypto.x509.* and crypto.parse_private_keys (OPA's topdown/crypto.go).
 *
 * Results have the shape of Go's `json.Marshal` of `x509.Certificate`,
 * `x509.CertificateRequest` and `tls.Certificate` (big integers exact). DER
 * structure comes from @peculiar/asn1-x509 / asn1-csr, keys and signatures
 * from node:crypto. Chain verification follows Go's `Certificate.Verify` for
 * the checks listed at `verifyChain`; a chain it cannot judge the way Go does
 * (name constraints, policy constraints) is a builtin error, never a verdict.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { AlgorithmIdentifier, Extension, Extensions, GeneralName, Name } from '@peculiar/asn1-x509';
import type { CertificationRequest } from '@peculiar/asn1-csr';
import { children, DerError, readTlv, slice, splitDer } from './der';
import { decodeBase64Strict } from './encoding';
import { BuiltinEvalError, InputLimitError, OperandTypeError } from './errors';
import { bigFromBytes, goBytes, goJson, type GoValue } from './go-json';
import { obj, str } from './operands';
import type { InternalBuiltin, JsonValue } from './types';

/** Inputs above this size are refused before parsing. */
const MAX_INPUT = 1 << 20;
/** At most this many certificates in one input. */
const MAX_CERTS = 64;

class X509Error extends Error {}

type AsnSchema = typeof import('@peculiar/asn1-schema');
type AsnX509 = typeof import('@peculiar/asn1-x509');
type AsnCsr = typeof import('@peculiar/asn1-csr');
let asnModules: { schema: AsnSchema; x509: AsnX509; csr: AsnCsr } | undefined;

/** The ASN.1 schemas load on the first x509 call, not at cold start. */
function asn(): { schema: AsnSchema; x509: AsnX509; csr: AsnCsr } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  asnModules ??= {
    schema: require('@peculiar/asn1-schema') as AsnSchema,
    x509: require('@peculiar/asn1-x509') as AsnX509,
    csr: require('@peculiar/asn1-csr') as AsnCsr,
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return asnModules;
}

/** `AsnConvert.parse` with a schema class from @peculiar/asn1-x509 / asn1-csr. */
function asnParse<T>(data: ArrayBuffer | Uint8Array, type: new () => T): T {
  return asn().schema.AsnConvert.parse(data, type);
}

// ---------------------------------------------------------------- PEM / base64

interface PemBlock {
  type: string;
  bytes: Buffer;
  rest: string;
}

/** Go's `pem.Decode`: the first well-formed block, or undefined. */
function pemDecode(text: string): PemBlock | undefined {
  const re = /-----BEGIN ([^\r\n-]*)-----\r?\n([\s\S]*?)-----END \1-----[ \t]*(\r?\n|$)/;
  const m = re.exec(text);
  if (!m) return undefined;
  const body = m[2]
    .split(/\r?\n/)
    .filter((l) => !/^[\w-]+:/.test(l))
    .join('')
    .replace(/\s+/g, '');
  const bytes = decodeBase64Strict(body, false);
  if (!bytes) return undefined;
  return { type: m[1], bytes, rest: text.slice((m.index ?? 0) + m[0].length) };
}

function stdBase64(builtin: string, s: string): Buffer {
  const b = decodeBase64Strict(s, false);
  if (!b) throw new BuiltinEvalError(builtin, 'illegal base64 data');
  return b;
}

function limitInput(builtin: string, s: string): string {
  if (s.length > MAX_INPUT) throw new InputLimitError(builtin, `input larger than ${MAX_INPUT} bytes`);
  return s;
}

/** OPA's getX509CertsFromString: PEM, base64 of PEM, or base64 of (concatenated) DER. */
function certsFromString(builtin: string, input: string): Uint8Array[] {
  let der: Uint8Array;
  const fromPem = (text: string): Uint8Array => {
    const parts: Buffer[] = [];
    for (let rest = text; rest.length > 0; ) {
      const p = pemDecode(rest);
      if (!p) break;
      if (p.type !== 'CERTIFICATE') throw new BuiltinEvalError(builtin, `PEM block type is '${p.type}', expected CERTIFICATE`);
      parts.push(p.bytes);
      rest = p.rest;
    }
    return Buffer.concat(parts);
  };
  if (input.startsWith('-----BEGIN')) der = fromPem(input);
  else {
    const b = stdBase64(builtin, input);
    der = b.subarray(0, 10).toString('latin1').startsWith('-----BEGIN') ? fromPem(b.toString('utf8')) : b;
  }
  let certs: Uint8Array[];
  try {
    certs = splitDer(der);
  } catch (e) {
    throw new BuiltinEvalError(builtin, e instanceof Error ? e.message : String(e));
  }
  if (certs.length > MAX_CERTS) throw new InputLimitError(builtin, `more than ${MAX_CERTS} certificates`);
  return certs;
}

// ---------------------------------------------------------------- Go enums

const SIGNATURE_ALGORITHMS: Record<string, number> = {
  '1.2.840.113549.1.1.2': 1, // MD2WithRSA
  '1.2.840.113549.1.1.4': 2, // MD5WithRSA
  '1.2.840.113549.1.1.5': 3, // SHA1WithRSA
  '1.2.840.113549.1.1.11': 4, // SHA256WithRSA
  '1.2.840.113549.1.1.12': 5, // SHA384WithRSA
  '1.2.840.113549.1.1.13': 6, // SHA512WithRSA
  '1.2.840.10040.4.3': 7, // DSAWithSHA1
  '2.16.840.1.101.3.4.3.2': 8, // DSAWithSHA256
  '1.2.840.10045.4.1': 9, // ECDSAWithSHA1
  '1.2.840.10045.4.3.2': 10, // ECDSAWithSHA256
  '1.2.840.10045.4.3.3': 11, // ECDSAWithSHA384
  '1.2.840.10045.4.3.4': 12, // ECDSAWithSHA512
  '1.3.101.112': 16, // PureEd25519
};
/** Go refuses these in chain verification (InsecureAlgorithmError). */
const INSECURE_SIGNATURES = new Set([1, 2, 3, 7, 9]);
const RSA_PSS = '1.2.840.113549.1.1.10';
const PSS_HASHES: [string, number][] = [
  ['608648016503040201', 13], // SHA-256 → SHA256WithRSAPSS
  ['608648016503040202', 14], // SHA-384
  ['608648016503040203', 15], // SHA-512
];

function signatureAlgorithm(alg: AlgorithmIdentifier): number {
  if (alg.algorithm === RSA_PSS) {
    const params = alg.parameters ? Buffer.from(alg.parameters).toString('hex') : '';
    for (const [oid, v] of PSS_HASHES) if (params.includes(oid)) return v;
    return 0;
  }
  return SIGNATURE_ALGORITHMS[alg.algorithm] ?? 0;
}

const PUBLIC_KEY_ALGORITHMS: Record<string, number> = {
  '1.2.840.113549.1.1.1': 1, // RSA
  '1.2.840.10040.4.1': 2, // DSA
  '1.2.840.10045.2.1': 3, // ECDSA
  '1.3.101.112': 4, // Ed25519
};

const EXT_KEY_USAGES: Record<string, number> = {
  '2.5.29.37.0': 0,
  '1.3.6.1.5.5.7.3.1': 1,
  '1.3.6.1.5.5.7.3.2': 2,
  '1.3.6.1.5.5.7.3.3': 3,
  '1.3.6.1.5.5.7.3.4': 4,
  '1.3.6.1.5.5.7.3.5': 5,
  '1.3.6.1.5.5.7.3.6': 6,
  '1.3.6.1.5.5.7.3.7': 7,
  '1.3.6.1.5.5.7.3.8': 8,
  '1.3.6.1.5.5.7.3.9': 9,
  '1.3.6.1.4.1.311.10.3.3': 10,
  '2.16.840.1.113730.4.1': 11,
  '1.3.6.1.4.1.311.2.1.22': 12,
  '1.3.6.1.4.1.311.61.1.1': 13,
};

/** OPA's option names for x509.ExtKeyUsage values. */
const KEY_USAGE_OPTIONS: Record<string, number> = {
  KeyUsageAny: 0,
  KeyUsageServerAuth: 1,
  KeyUsageClientAuth: 2,
  KeyUsageCodeSigning: 3,
  KeyUsageEmailProtection: 4,
  KeyUsageIPSECEndSystem: 5,
  KeyUsageIPSECTunnel: 6,
  KeyUsageIPSECUser: 7,
  KeyUsageTimeStamping: 8,
  KeyUsageOCSPSigning: 9,
  KeyUsageMicrosoftServerGatedCrypto: 10,
  KeyUsageNetscapeServerGatedCrypto: 11,
  KeyUsageMicrosoftCommercialCodeSigning: 12,
  KeyUsageMicrosoftKernelCodeSigning: 13,
};

const oidInts = (oid: string): number[] => oid.split('.').map(Number);

// ---------------------------------------------------------------- names

const NAME_FIELDS: Record<string, string> = {
  '2.5.4.6': 'Country',
  '2.5.4.10': 'Organization',
  '2.5.4.11': 'OrganizationalUnit',
  '2.5.4.7': 'Locality',
  '2.5.4.8': 'Province',
  '2.5.4.9': 'StreetAddress',
  '2.5.4.17': 'PostalCode',
};

/** Go's pkix.Name after FillFromRDNSequence. */
function goName(name: Name): GoValue {
  const out: Record<string, GoValue> = {
    Country: null,
    Organization: null,
    OrganizationalUnit: null,
    Locality: null,
    Province: null,
    StreetAddress: null,
    PostalCode: null,
    SerialNumber: '',
    CommonName: '',
    Names: null,
    ExtraNames: null,
  };
  const names: GoValue[] = [];
  for (const rdn of name) {
    for (const atv of rdn) {
      if (atv.value.anyValue !== undefined || atv.value.universalString !== undefined) {
        throw new X509Error('x509: invalid RDN value: unsupported string type');
      }
      const value = atv.value.toString();
      names.push({ Type: oidInts(atv.type), Value: value });
      const field = NAME_FIELDS[atv.type];
      if (field) (out[field] as GoValue[] | null) === null ? (out[field] = [value]) : (out[field] as GoValue[]).push(value);
      else if (atv.type === '2.5.4.3') out.CommonName = value;
      else if (atv.type === '2.5.4.5') out.SerialNumber = value;
    }
  }
  if (names.length > 0) out.Names = names;
  return out;
}

// ---------------------------------------------------------------- keys

function publicKeyObject(spkiDer: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
}

const b64u = (s: string | undefined): bigint => bigFromBytes(Buffer.from(s ?? '', 'base64url'));

/** Go's json of rsa.PublicKey / ecdsa.PublicKey / ed25519.PublicKey. */
function goPublicKey(key: KeyObject): GoValue {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') return { N: b64u(jwk.n), E: Number(b64u(jwk.e)) };
  // ecdsa.PublicKey embeds elliptic.Curve, whose Go implementations have no exported fields.
  if (jwk.kty === 'EC') return { Curve: {}, X: b64u(jwk.x), Y: b64u(jwk.y) };
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return Buffer.from(jwk.x ?? '', 'base64url').toString('base64');
  throw new X509Error(`x509: unsupported public key type ${String(jwk.kty)}`);
}

/** Go's json of rsa.PrivateKey (after Precompute) / ecdsa.PrivateKey / ed25519.PrivateKey. */
function goPrivateKey(key: KeyObject): GoValue {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') {
    return {
      N: b64u(jwk.n),
      E: Number(b64u(jwk.e)),
      D: b64u(jwk.d),
      Primes: [b64u(jwk.p), b64u(jwk.q)],
      Precomputed: { Dp: b64u(jwk.dp), Dq: b64u(jwk.dq), Qinv: b64u(jwk.qi), CRTValues: [] },
    };
  }
  if (jwk.kty === 'EC') return { Curve: {}, X: b64u(jwk.x), Y: b64u(jwk.y), D: b64u(jwk.d) };
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    // Go's ed25519.PrivateKey is seed || public key.
    return Buffer.concat([Buffer.from(jwk.d ?? '', 'base64url'), Buffer.from(jwk.x ?? '', 'base64url')]).toString('base64');
  }
  throw new X509Error(`x509: unsupported private key type ${String(jwk.kty)}`);
}

// ---------------------------------------------------------------- certificates

interface ParsedCert {
  der: Uint8Array;
  value: Record<string, GoValue>;
  node: X509Certificate;
  signatureAlgorithm: number;
  isCA: boolean;
  basicConstraintsValid: boolean;
  maxPathLen: number;
  extKeyUsage: number[];
  unknownExtKeyUsage: number;
  unhandledCritical: number;
  nameConstraints: boolean;
  policyConstraints: boolean;
  notBefore: Date;
  notAfter: Date;
}

const HANDLED_EXTENSIONS = new Set([
  '2.5.29.15', // key usage
  '2.5.29.19', // basic constraints
  '2.5.29.17', // subject alt name
  '2.5.29.30', // name constraints
  '2.5.29.31', // CRL distribution points
  '2.5.29.35', // authority key id
  '2.5.29.14', // subject key id
  '2.5.29.37', // ext key usage
  '2.5.29.32', // certificate policies
  '2.5.29.33', // policy mappings
  '2.5.29.36', // policy constraints
  '2.5.29.54', // inhibit any policy
  '1.3.6.1.5.5.7.1.1', // authority info access
]);

function goTime(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

/** Go's net/url URL struct for a SAN URI (url.Parse). */
function goUrl(s: string): GoValue {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new X509Error(`x509: cannot parse URI ${JSON.stringify(s)}`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  const opaque = !s.slice(scheme.length + 1).startsWith('/');
  if (opaque || u.username || u.password) throw new X509Error('x509: URI SAN form not supported');
  return {
    Scheme: scheme,
    Opaque: '',
    User: null,
    Host: u.host,
    Path: decodeURIComponent(u.pathname === '/' && !/^[a-z][a-z0-9+.-]*:\/\/[^/]*\//i.test(s) ? '' : u.pathname),
    RawPath: '',
    OmitHost: false,
    ForceQuery: false,
    RawQuery: u.search.replace(/^\?/, ''),
    Fragment: decodeURIComponent(u.hash.replace(/^#/, '')),
    RawFragment: '',
  };
}

interface SanValues {
  DNSNames: string[] | null;
  EmailAddresses: string[] | null;
  IPAddresses: string[] | null;
  URIs: GoValue[] | null;
  uriStrings: string[] | null;
}

function sanValues(names: readonly GeneralName[]): SanValues {
  const out: SanValues = { DNSNames: null, EmailAddresses: null, IPAddresses: null, URIs: null, uriStrings: null };
  for (const n of names) {
    if (n.dNSName !== undefined) (out.DNSNames ??= []).push(n.dNSName);
    else if (n.rfc822Name !== undefined) (out.EmailAddresses ??= []).push(n.rfc822Name);
    else if (n.iPAddress !== undefined) (out.IPAddresses ??= []).push(n.iPAddress);
    else if (n.uniformResourceIdentifier !== undefined) {
      (out.URIs ??= []).push(goUrl(n.uniformResourceIdentifier));
      (out.uriStrings ??= []).push(n.uniformResourceIdentifier);
    }
  }
  return out;
}

function goExtensions(exts: Extensions | undefined): GoValue {
  if (!exts || exts.length === 0) return null;
  return exts.map((e: Extension) => ({ Id: oidInts(e.extnID), Critical: e.critical, Value: goBytes(e.extnValue.buffer) }));
}

function parseCertificate(der: Uint8Array): ParsedCert {
  let cert: import('@peculiar/asn1-x509').Certificate;
  let node: X509Certificate;
  try {
    cert = asnParse(Buffer.from(der), asn().x509.Certificate);
    node = new X509Certificate(Buffer.from(der));
  } catch (e) {
    throw new X509Error(`x509: malformed certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  const tbs = cert.tbsCertificate;
  // Raw slices of the TBS fields, as Go keeps them.
  const top = readTlv(der, 0);
  const [tbsTlv] = children(der, top);
  const fields = children(der, tbsTlv);
  const off = fields[0]?.tag === 0xa0 ? 1 : 0;
  const rawIssuer = fields[off + 2];
  const rawSubject = fields[off + 4];
  const rawSpki = fields[off + 5];
  if (!rawIssuer || !rawSubject || !rawSpki) throw new X509Error('x509: malformed tbs certificate');

  const key = publicKeyObject(slice(der, rawSpki));
  const v: Record<string, GoValue> = {
    Raw: goBytes(der),
    RawTBSCertificate: goBytes(slice(der, tbsTlv)),
    RawSubjectPublicKeyInfo: goBytes(slice(der, rawSpki)),
    RawSubject: goBytes(slice(der, rawSubject)),
    RawIssuer: goBytes(slice(der, rawIssuer)),
    Signature: goBytes(cert.signatureValue),
    SignatureAlgorithm: signatureAlgorithm(cert.signatureAlgorithm),
    PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHMS[tbs.subjectPublicKeyInfo.algorithm.algorithm] ?? 0,
    PublicKey: goPublicKey(key),
    Version: tbs.version + 1,
    SerialNumber: signedBig(tbs.serialNumber),
    Issuer: goName(tbs.issuer),
    Subject: goName(tbs.subject),
    NotBefore: goTime(tbs.validity.notBefore.getTime()),
    NotAfter: goTime(tbs.validity.notAfter.getTime()),
    KeyUsage: 0,
    Extensions: goExtensions(tbs.extensions),
    ExtraExtensions: null,
    UnhandledCriticalExtensions: null,
    ExtKeyUsage: null,
    UnknownExtKeyUsage: null,
    BasicConstraintsValid: false,
    IsCA: false,
    MaxPathLen: 0,
    MaxPathLenZero: false,
    SubjectKeyId: null,
    AuthorityKeyId: null,
    OCSPServer: null,
    IssuingCertificateURL: null,
    DNSNames: null,
    EmailAddresses: null,
    IPAddresses: null,
    URIs: null,
    PermittedDNSDomainsCritical: false,
    PermittedDNSDomains: null,
    ExcludedDNSDomains: null,
    PermittedIPRanges: null,
    ExcludedIPRanges: null,
    PermittedEmailAddresses: null,
    ExcludedEmailAddresses: null,
    PermittedURIDomains: null,
    ExcludedURIDomains: null,
    CRLDistributionPoints: null,
    PolicyIdentifiers: null,
    Policies: null,
    InhibitAnyPolicy: 0,
    InhibitAnyPolicyZero: false,
    InhibitPolicyMapping: 0,
    InhibitPolicyMappingZero: false,
    RequireExplicitPolicy: 0,
    RequireExplicitPolicyZero: false,
    PolicyMappings: null,
  };
  const parsed: ParsedCert = {
    der,
    value: v,
    node,
    signatureAlgorithm: v.SignatureAlgorithm as number,
    isCA: false,
    basicConstraintsValid: false,
    maxPathLen: 0,
    extKeyUsage: [],
    unknownExtKeyUsage: 0,
    unhandledCritical: 0,
    nameConstraints: false,
    policyConstraints: false,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
  };
  const unhandled: GoValue[] = [];
  let uriStrings: string[] | null = null;
  for (const ext of tbs.extensions ?? []) {
    const body = ext.extnValue.buffer;
    switch (ext.extnID) {
      case '2.5.29.15': {
        const ku = asnParse(body, asn().x509.KeyUsage);
        // Go numbers bits from the first (most significant) bit: bit i → 1 << i.
        const bytes = new Uint8Array(ku.value);
        let usage = 0;
        for (let i = 0; i < Math.min(bytes.length * 8, 9); i++) if (bytes[i >> 3] & (0x80 >> (i & 7))) usage |= 1 << i;
        v.KeyUsage = usage;
        break;
      }
      case '2.5.29.19': {
        const bc = asnParse(body, asn().x509.BasicConstraints);
        v.BasicConstraintsValid = parsed.basicConstraintsValid = true;
        v.IsCA = parsed.isCA = bc.cA;
        v.MaxPathLen = parsed.maxPathLen = bc.pathLenConstraint ?? -1;
        v.MaxPathLenZero = bc.pathLenConstraint === 0;
        break;
      }
      case '2.5.29.17': {
        const san = sanValues(asnParse(body, asn().x509.SubjectAlternativeName));
        v.DNSNames = san.DNSNames;
        v.EmailAddresses = san.EmailAddresses;
        v.IPAddresses = san.IPAddresses;
        v.URIs = san.URIs;
        uriStrings = san.uriStrings;
        break;
      }
      case '2.5.29.30':
        parsed.nameConstraints = true;
        break;
      case '2.5.29.36':
      case '2.5.29.33':
      case '2.5.29.54':
        parsed.policyConstraints = true;
        break;
      case '2.5.29.31': {
        const points: string[] = [];
        for (const dp of asnParse(body, asn().x509.CRLDistributionPoints)) {
          for (const n of dp.distributionPoint?.fullName ?? []) if (n.uniformResourceIdentifier !== undefined) points.push(n.uniformResourceIdentifier);
        }
        v.CRLDistributionPoints = points.length ? points : null;
        break;
      }
      case '2.5.29.35':
        v.AuthorityKeyId = goBytes(asnParse(body, asn().x509.AuthorityKeyIdentifier).keyIdentifier?.buffer);
        break;
      case '2.5.29.14':
        v.SubjectKeyId = goBytes(asnParse(body, asn().x509.SubjectKeyIdentifier).buffer);
        break;
      case '2.5.29.37': {
        const known: number[] = [];
        const unknown: GoValue[] = [];
        for (const oid of asnParse(body, asn().x509.ExtendedKeyUsage)) {
          const k = EXT_KEY_USAGES[oid];
          if (k === undefined) unknown.push(oidInts(oid));
          else known.push(k);
        }
        v.ExtKeyUsage = known.length ? known : null;
        v.UnknownExtKeyUsage = unknown.length ? unknown : null;
        parsed.extKeyUsage = known;
        parsed.unknownExtKeyUsage = unknown.length;
        break;
      }
      case '2.5.29.32': {
        const ids = asnParse(body, asn().x509.CertificatePolicies).map((p) => p.policyIdentifier);
        v.PolicyIdentifiers = ids.map(oidInts);
        v.Policies = ids;
        break;
      }
      case '1.3.6.1.5.5.7.1.1': {
        for (const ad of asnParse(body, asn().x509.AuthorityInfoAccessSyntax)) {
          const uri = ad.accessLocation.uniformResourceIdentifier;
          if (uri === undefined) continue;
          if (ad.accessMethod === '1.3.6.1.5.5.7.48.1') ((v.OCSPServer as string[] | null) ??= []).push(uri);
          if (ad.accessMethod === '1.3.6.1.5.5.7.48.2') ((v.IssuingCertificateURL as string[] | null) ??= []).push(uri);
        }
        break;
      }
      default:
        break;
    }
    if (ext.critical && !HANDLED_EXTENSIONS.has(ext.extnID)) unhandled.push(oidInts(ext.extnID));
  }
  if (parsed.nameConstraints) {
    // Go fills Permitted*/Excluded* from the extension; this implementation does not.
    throw new X509Error('x509: certificates with name constraints are not supported by this implementation');
  }
  if (parsed.policyConstraints) {
    throw new X509Error('x509: certificates with policy constraints/mappings are not supported by this implementation');
  }
  if (unhandled.length) v.UnhandledCriticalExtensions = unhandled;
  parsed.unhandledCritical = unhandled.length;
  // Carried separately so that only the builtins that add OPA's URIStrings field show it.
  Object.defineProperty(v, 'URIStrings', { value: uriStrings, enumerable: false });
  return parsed;
}

/** DER INTEGER bytes (two's complement) as a bigint. */
function signedBig(buf: ArrayBuffer): bigint {
  const b = new Uint8Array(buf);
  const n = bigFromBytes(b);
  return b.length > 0 && b[0] & 0x80 ? n - (1n << BigInt(b.length * 8)) : n;
}

function parseAll(builtin: string, certs: Uint8Array[]): ParsedCert[] {
  try {
    return certs.map(parseCertificate);
  } catch (e) {
    if (e instanceof X509Error || e instanceof DerError) throw new BuiltinEvalError(builtin, e.message);
    throw new BuiltinEvalError(builtin, `x509: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** OPA's extendedCert: the certificate plus `URIStrings`. */
function withUriStrings(c: ParsedCert): GoValue {
  const desc = Object.getOwnPropertyDescriptor(c.value, 'URIStrings');
  return { ...c.value, URIStrings: (desc?.value as string[] | null | undefined) ?? null };
}

// ---------------------------------------------------------------- verification

interface VerifyOptions {
  dnsName: string;
  currentTime?: Date;
  keyUsages: number[];
}

class VerifyFailed extends Error {}

/**
 * Go's Certificate.Verify with roots = [certs[0]], intermediates = the middle,
 * leaf = the last; returns the first chain (leaf first). Checked as Go does:
 * validity period of every chain member at CurrentTime (default now), signatures
 * (MD2/MD5/SHA-1 and DSA signatures refused), intermediates must be CAs,
 * MaxPathLen, unhandled critical extensions, DNSName against SAN DNS names / IPs
 * (no Common Name fallback), extended key usage along the chain (default
 * ServerAuth). Name/policy constraints never reach here (parse refuses them).
 */
function verifyChain(certs: ParsedCert[], opts: VerifyOptions): ParsedCert[] {
  if (certs.length < 2) throw new VerifyFailed('must supply at least two certificates to be able to verify');
  const root = certs[0];
  const intermediates = certs.slice(1, -1);
  const leaf = certs[certs.length - 1];
  const now = opts.currentTime ?? new Date();
  const timeOk = (c: ParsedCert): boolean => now >= c.notBefore && now <= c.notAfter;
  if (!timeOk(leaf)) throw new VerifyFailed('x509: certificate has expired or is not yet valid');
  if (leaf.unhandledCritical > 0) throw new VerifyFailed('x509: unhandled critical extension');
  if (opts.dnsName !== '') {
    const name = opts.dnsName;
    const ok = /^[\d.]+$|:/.test(name)
      ? leaf.node.checkIP(name.replace(/^\[|\]$/g, '')) !== undefined
      : leaf.node.checkHost(name, { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false }) !== undefined;
    if (!ok) throw new VerifyFailed('x509: certificate is not valid for the requested name');
  }
  const sameCert = (a: ParsedCert, b: ParsedCert): boolean => Buffer.compare(Buffer.from(a.der), Buffer.from(b.der)) === 0;
  if (sameCert(leaf, root)) return checkKeyUsage([leaf], opts.keyUsages);

  let signatureChecks = 0;
  const signedBy = (child: ParsedCert, parent: ParsedCert): boolean => {
    if (++signatureChecks > 100) throw new VerifyFailed('x509: signature check attempts limit reached');
    if (INSECURE_SIGNATURES.has(child.signatureAlgorithm) || child.signatureAlgorithm === 0 || child.signatureAlgorithm === 8) return false;
    return child.node.checkIssued(parent.node) && child.node.verify(parent.node.publicKey);
  };
  const candidateOk = (c: ParsedCert, chain: ParsedCert[], isRoot: boolean): boolean => {
    if (!timeOk(c) || c.unhandledCritical > 0) return false;
    if (!isRoot && (!c.basicConstraintsValid || !c.isCA)) return false;
    if (c.basicConstraintsValid && c.maxPathLen >= 0 && chain.length - 1 > c.maxPathLen) return false;
    return true;
  };
  const build = (chain: ParsedCert[]): ParsedCert[] | undefined => {
    const current = chain[chain.length - 1];
    if (signedBy(current, root) && !chain.some((x) => sameCert(x, root)) && candidateOk(root, chain, true)) {
      const full = [...chain, root];
      try {
        return checkKeyUsage(full, opts.keyUsages);
      } catch {
        /* try another path */
      }
    }
    if (chain.length > 10) return undefined;
    for (const inter of intermediates) {
      if (chain.some((x) => sameCert(x, inter))) continue;
      if (!signedBy(current, inter) || !candidateOk(inter, chain, false)) continue;
      const found = build([...chain, inter]);
      if (found) return found;
    }
    return undefined;
  };
  const chain = build([leaf]);
  if (!chain) throw new VerifyFailed('x509: certificate signed by unknown authority');
  return chain;
}

/** Go's checkChainForKeyUsage. */
function checkKeyUsage(chain: ParsedCert[], requested: number[]): ParsedCert[] {
  const usages = requested.length ? [...requested] : [1];
  if (usages.includes(0)) return chain;
  let remaining = usages.slice();
  for (let i = chain.length - 1; i >= 0; i--) {
    const c = chain[i];
    if (c.extKeyUsage.length === 0 && c.unknownExtKeyUsage === 0) continue;
    if (c.extKeyUsage.includes(0)) continue;
    remaining = remaining.filter(
      (u) => c.extKeyUsage.includes(u) || (u === 1 && (c.extKeyUsage.includes(11) || c.extKeyUsage.includes(10))),
    );
    if (remaining.length === 0) throw new VerifyFailed('x509: certificate specifies an incompatible key usage');
  }
  return chain;
}

function verifyOptions(builtin: string, options: Record<string, JsonValue>): VerifyOptions {
  const out: VerifyOptions = { dnsName: '', keyUsages: [] };
  for (const [k, v] of Object.entries(options)) {
    switch (k) {
      case 'DNSName':
        if (typeof v !== 'string') throw new BuiltinEvalError(builtin, "'DNSName' should be a string");
        out.dnsName = v;
        break;
      case 'CurrentTime':
        if (typeof v !== 'number') throw new BuiltinEvalError(builtin, "'CurrentTime' should be a number");
        if (!Number.isInteger(v) || Math.abs(v) > 2 ** 63) throw new BuiltinEvalError(builtin, "'CurrentTime' should be a valid int64 number");
        out.currentTime = new Date(Math.floor(v / 1e6));
        break;
      case 'MaxConstraintComparisons':
        if (typeof v !== 'number') throw new BuiltinEvalError(builtin, "'MaxConstraintComparisons' should be a number");
        if (!Number.isInteger(v)) throw new BuiltinEvalError(builtin, "'MaxConstraintComparisons' should be a valid number");
        break; // only limits name-constraint checks, which are refused anyway
      case 'KeyUsages': {
        if (!Array.isArray(v)) throw new BuiltinEvalError(builtin, "'KeyUsages' should be an Array or Set");
        const invalid: string[] = [];
        for (const u of v) {
          if (typeof u !== 'string') continue;
          const ku = KEY_USAGE_OPTIONS[u];
          if (ku === undefined) invalid.push(u);
          else out.keyUsages.push(ku);
        }
        if (invalid.length) throw new BuiltinEvalError(builtin, `invalid entries for 'KeyUsages' found: [${invalid.join(' ')}]`);
        break;
      }
      default:
        throw new BuiltinEvalError(builtin, 'invalid key option');
    }
  }
  return out;
}

// ---------------------------------------------------------------- builtins

const parseCertificates: InternalBuiltin = (input) => {
  const B = 'crypto.x509.parse_certificates';
  const certs = parseAll(B, certsFromString(B, limitInput(B, str(B, input, 1))));
  return goJson(certs.map(withUriStrings));
};

function parseAndVerify(B: string, input: JsonValue | undefined, opts: VerifyOptions, uriStrings: boolean): ReturnType<InternalBuiltin> {
  let certs: ParsedCert[];
  try {
    certs = certs0(B, input);
  } catch (e) {
    // OPA answers [false, []] when the input does not parse, except for limits and unsupported features.
    if (e instanceof InputLimitError || (e instanceof BuiltinEvalError && /not supported/.test(e.message))) throw e;
    if (e instanceof OperandTypeError) throw e;
    return [false, []];
  }
  let chain: ParsedCert[];
  try {
    chain = verifyChain(certs, opts);
  } catch (e) {
    if (e instanceof VerifyFailed) return [false, []];
    throw e;
  }
  return goJson([true, chain.map((c) => (uriStrings ? withUriStrings(c) : c.value))]);
}

function certs0(B: string, input: JsonValue | undefined): ParsedCert[] {
  return parseAll(B, certsFromString(B, limitInput(B, str(B, input, 1))));
}

const parseAndVerifyCertificates: InternalBuiltin = (input) =>
  parseAndVerify('crypto.x509.parse_and_verify_certificates', input, { dnsName: '', keyUsages: [] }, true);

const parseAndVerifyCertificatesWithOptions: InternalBuiltin = (input, options) => {
  const B = 'crypto.x509.parse_and_verify_certificates_with_options';
  str(B, input, 1);
  const o = obj(B, options, 2);
  return parseAndVerify(B, input, verifyOptions(B, o), false);
};

/** x509.CertificateRequest as Go marshals it. */
const parseCertificateRequest: InternalBuiltin = (input) => {
  const B = 'crypto.x509.parse_certificate_request';
  const s = limitInput(B, str(B, input, 1));
  let bytes: Buffer = s.startsWith('-----BEGIN CERTIFICATE REQUEST-----') ? Buffer.from(s, 'utf8') : stdBase64(B, s);
  const p = pemDecode(bytes.toString('latin1'));
  if (p && p.type !== 'CERTIFICATE REQUEST') throw new BuiltinEvalError(B, 'invalid PEM-encoded certificate signing request');
  if (p) bytes = p.bytes;
  try {
    let csr: CertificationRequest;
    try {
      csr = asnParse(bytes, asn().csr.CertificationRequest);
    } catch {
      throw new X509Error('asn1: structure error: tags don\'t match');
    }
    const top = readTlv(bytes, 0);
    if (top.end !== bytes.length) throw new X509Error('x509: trailing data');
    const [infoTlv] = children(bytes, top);
    const fields = children(bytes, infoTlv);
    const rawSubject = fields[1];
    const rawSpki = fields[2];
    const info = csr.certificationRequestInfo;
    const v: Record<string, GoValue> = {
      Raw: goBytes(bytes),
      RawTBSCertificateRequest: goBytes(slice(bytes, infoTlv)),
      RawSubjectPublicKeyInfo: goBytes(slice(bytes, rawSpki)),
      RawSubject: goBytes(slice(bytes, rawSubject)),
      Version: info.version,
      Signature: goBytes(csr.signature),
      SignatureAlgorithm: signatureAlgorithm(csr.signatureAlgorithm),
      PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHMS[info.subjectPKInfo.algorithm.algorithm] ?? 0,
      PublicKey: goPublicKey(publicKeyObject(slice(bytes, rawSpki))),
      Subject: goName(info.subject),
      Attributes: null,
      Extensions: null,
      ExtraExtensions: null,
      DNSNames: null,
      EmailAddresses: null,
      IPAddresses: null,
      URIs: null,
    };
    const attributes: GoValue[] = [];
    for (const attr of info.attributes) {
      if (attr.type !== '1.2.840.113549.1.9.14') {
        throw new X509Error(`x509: CSR attribute ${attr.type} is not supported by this implementation`);
      }
      const exts: Extension[] = [];
      for (const value of attr.values) exts.push(...asnParse(value, asn().x509.Extensions));
      if (exts.some((e) => e.critical)) throw new X509Error('x509: critical CSR extensions are not supported by this implementation');
      attributes.push({ Type: oidInts(attr.type), Value: [exts.map((e) => ({ Type: oidInts(e.extnID), Value: goBytes(e.extnValue.buffer) }))] });
      v.Extensions = exts.map((e) => ({ Id: oidInts(e.extnID), Critical: e.critical, Value: goBytes(e.extnValue.buffer) }));
      for (const e of exts) {
        if (e.extnID !== '2.5.29.17') continue;
        const san = sanValues(asnParse(e.extnValue.buffer, asn().x509.SubjectAlternativeName));
        v.DNSNames = san.DNSNames;
        v.EmailAddresses = san.EmailAddresses;
        v.IPAddresses = san.IPAddresses;
        v.URIs = san.URIs;
      }
    }
    if (attributes.length) v.Attributes = attributes;
    return goJson(v);
  } catch (e) {
    if (e instanceof X509Error || e instanceof DerError) throw new BuiltinEvalError(B, e.message);
    throw new BuiltinEvalError(B, `x509: ${e instanceof Error ? e.message : String(e)}`);
  }
};

/** A private key block: PKCS#1 RSA, PKCS#8 or SEC 1 EC. */
function privateKeyFromBlock(block: PemBlock): KeyObject | undefined {
  const der = block.bytes;
  switch (block.type) {
    case 'RSA PRIVATE KEY':
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
    case 'PRIVATE KEY':
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    case 'EC PRIVATE KEY':
      return createPrivateKey({ key: der, format: 'der', type: 'sec1' });
    default:
      return undefined;
  }
}

/** OPA's getPrivateKeysFromPEMData. */
function privateKeysFromPem(builtin: string, data: string): KeyObject[] {
  let text = data;
  const b = decodeBase64Strict(data, false);
  if (b) text = b.toString('utf8');
  const keys: KeyObject[] = [];
  for (let rest = text; rest.length > 0; ) {
    const block = pemDecode(rest);
    if (!block) break;
    rest = block.rest;
    let key: KeyObject | undefined;
    try {
      key = privateKeyFromBlock(block);
    } catch (e) {
      throw new BuiltinEvalError(builtin, `x509: failed to parse private key: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (key) keys.push(key);
    if (keys.length > MAX_CERTS) throw new InputLimitError(builtin, `more than ${MAX_CERTS} keys`);
  }
  return keys;
}

/** crypto.x509.parse_rsa_private_key: the first private key as a JWK. */
const parseRsaPrivateKey: InternalBuiltin = (input) => {
  const B = 'crypto.x509.parse_rsa_private_key';
  let s = limitInput(B, str(B, input, 1));
  if (s === '') throw new BuiltinEvalError(B, 'input PEM data was empty');
  if (!s.startsWith('-----BEGIN')) s = stdBase64(B, s).toString('utf8');
  const keys = privateKeysFromPem(B, s);
  if (keys.length === 0) return null;
  const jwk = keys[0].export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') throw new BuiltinEvalError(B, `unsupported key type ${String(jwk.kty)}`);
  return jwk as JsonValue;
};

const parsePrivateKeys: InternalBuiltin = (input) => {
  const B = 'crypto.parse_private_keys';
  const s = limitInput(B, str(B, input, 1));
  if (s === '') return null;
  const keys = privateKeysFromPem(B, s);
  if (keys.length === 0) return [];
  try {
    return goJson(keys.map(goPrivateKey));
  } catch (e) {
    throw new BuiltinEvalError(B, e instanceof Error ? e.message : String(e));
  }
};

/** crypto.x509.parse_keypair: Go's tls.X509KeyPair as JSON. */
const parseKeypair: InternalBuiltin = (certArg, keyArg) => {
  const B = 'crypto.x509.parse_keypair';
  let certText = limitInput(B, str(B, certArg, 1));
  let keyText = limitInput(B, str(B, keyArg, 2));
  if (!certText.startsWith('-----BEGIN ')) certText = stdBase64(B, certText).toString('latin1');
  if (!keyText.startsWith('-----BEGIN ')) keyText = stdBase64(B, keyText).toString('latin1');
  const certBlocks: Buffer[] = [];
  if (certText.startsWith('-----BEGIN ')) {
    for (let rest = certText; rest.length > 0; ) {
      const p = pemDecode(rest);
      if (!p) break;
      rest = p.rest;
      if (p.type === 'CERTIFICATE') certBlocks.push(p.bytes);
    }
  } else certBlocks.push(Buffer.from(certText, 'latin1'));
  if (certBlocks.length === 0) throw new BuiltinEvalError(B, 'tls: failed to find any PEM data in certificate input');
  let keyBlock: PemBlock | undefined;
  if (keyText.startsWith('-----BEGIN')) {
    for (let rest = keyText; rest.length > 0; ) {
      const p = pemDecode(rest);
      if (!p) break;
      rest = p.rest;
      if (p.type === 'PRIVATE KEY' || p.type.endsWith(' PRIVATE KEY')) {
        keyBlock = p;
        break;
      }
    }
  } else keyBlock = { type: 'PRIVATE KEY', bytes: Buffer.from(keyText, 'latin1'), rest: '' };
  if (!keyBlock) throw new BuiltinEvalError(B, 'tls: failed to find any PEM data in key input');
  try {
    const leaf = parseCertificate(certBlocks[0]);
    let key: KeyObject | undefined;
    for (const type of ['pkcs1', 'pkcs8', 'sec1'] as const) {
      try {
        key = createPrivateKey({ key: keyBlock.bytes, format: 'der', type });
        break;
      } catch {
        /* Go's parsePrivateKey tries PKCS#1, PKCS#8, then SEC 1 */
      }
    }
    if (!key) throw new X509Error('tls: failed to parse private key');
    const pub = createPublicKey(key).export({ format: 'der', type: 'spki' });
    if (!leaf.node.publicKey.export({ format: 'der', type: 'spki' }).equals(pub)) throw new X509Error('tls: private key does not match public key');
    return goJson({
      Certificate: certBlocks.map((b) => b.toString('base64')),
      PrivateKey: goPrivateKey(key),
      SupportedSignatureAlgorithms: null,
      OCSPStaple: null,
      SignedCertificateTimestamps: null,
      Leaf: leaf.value,
    });
  } catch (e) {
    if (e instanceof X509Error || e instanceof DerError) throw new BuiltinEvalError(B, e.message);
    throw new BuiltinEvalError(B, `tls: ${e instanceof Error ? e.message : String(e)}`);
  }
};

export const x509Builtins: Record<string, InternalBuiltin> = {
  'crypto.x509.parse_certificates': parseCertificates,
  'crypto.x509.parse_and_verify_certificates': parseAndVerifyCertificates,
  'crypto.x509.parse_and_verify_certificates_with_options': parseAndVerifyCertificatesWithOptions,
  'crypto.x509.parse_certificate_request': parseCertificateRequest,
  'crypto.x509.parse_keypair': parseKeypair,
  'crypto.x509.parse_rsa_private_key': parseRsaPrivateKey,
  'crypto.parse_private_keys': parsePrivateKeys,
};
