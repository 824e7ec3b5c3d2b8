/**
 * crypto.x509.* host builtins on certificates generated here at run time
 * (node:crypto keys, @peculiar/asn1-x509 structures): Go's x509.Certificate
 * JSON shape, chain verification as Go's Certificate.Verify, fail-closed
 * answers for what is not supported. No private key is committed.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyUsage,
  KeyUsageFlags,
  Name,
  NameConstraints,
  GeneralSubtree,
  GeneralSubtrees,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
} from '@peculiar/asn1-x509';
import type { JsonValue } from '../src/builtins/host';
import {
  extendedHostBuiltins as hostBuiltins,
  sdkExtendedHostBuiltins as sdkHostBuiltins,
  strictExtendedHostBuiltins as strictHostBuiltins,
} from '../src/builtins/host/extended';

type Obj = Record<string, JsonValue>;

function call(name: string, ...args: JsonValue[]): JsonValue | undefined {
  const fn = hostBuiltins[name];
  if (!fn) throw new Error(`no host builtin ${name}`);
  return fn(...args);
}

function name(cn: string, o?: string): Name {
  const rdns = [new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value: new AttributeValue({ utf8String: cn }) })])];
  if (o) rdns.unshift(new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.10', value: new AttributeValue({ printableString: o }) })]));
  return new Name(rdns);
}

interface Issued {
  pem: string;
  der: Buffer;
  key: KeyObject;
}

interface CertSpec {
  cn: string;
  issuer?: Issued & { cn: string };
  ca?: boolean;
  pathLen?: number;
  dns?: string[];
  uris?: string[];
  eku?: string[];
  notBefore?: Date;
  notAfter?: Date;
  serial?: number;
  extra?: Extension[];
  sigAlg?: 'sha256' | 'sha1';
}

function ext(id: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID: id, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** A certificate signed by `issuer` (or self-signed), RSA 2048 keys. */
function makeCert(spec: CertSpec): Issued & { cn: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = AsnConvert.parse(publicKey.export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo);
  const sigOid = spec.sigAlg === 'sha1' ? '1.2.840.113549.1.1.5' : '1.2.840.113549.1.1.11';
  const alg = new AlgorithmIdentifier({ algorithm: sigOid, parameters: null });
  const exts: Extension[] = [];
  if (spec.ca !== undefined) exts.push(ext('2.5.29.19', true, new BasicConstraints({ cA: spec.ca, pathLenConstraint: spec.pathLen })));
  exts.push(ext('2.5.29.15', true, new KeyUsage(spec.ca ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature)));
  const san = [...(spec.dns ?? []).map((d) => new GeneralName({ dNSName: d })), ...(spec.uris ?? []).map((u) => new GeneralName({ uniformResourceIdentifier: u }))];
  if (san.length) exts.push(ext('2.5.29.17', false, new SubjectAlternativeName(san)));
  if (spec.eku) exts.push(ext('2.5.29.37', false, new ExtendedKeyUsage(spec.eku)));
  exts.push(...(spec.extra ?? []));
  const tbs = new TBSCertificate({
    version: 2,
    serialNumber: new Uint8Array([0x01, spec.serial ?? 0x23]).buffer,
    signature: alg,
    issuer: name(spec.issuer?.cn ?? spec.cn, 'Test Org'),
    validity: new Validity({ notBefore: spec.notBefore ?? new Date(Date.now() - 3600_000), notAfter: spec.notAfter ?? new Date(Date.now() + 86400_000) }),
    subject: name(spec.cn, 'Test Org'),
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(exts),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = sign(spec.sigAlg ?? 'sha256', tbsDer, spec.issuer?.key ?? privateKey);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: alg, signatureValue: new Uint8Array(signature).buffer });
  const der = Buffer.from(AsnConvert.serialize(cert));
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
  return { pem, der, key: privateKey, cn: spec.cn };
}

const root = makeCert({ cn: 'Test Root', ca: true });
const inter = makeCert({ cn: 'Test Intermediate', ca: true, issuer: root });
const leaf = makeCert({ cn: 'svc.example.test', issuer: inter, dns: ['svc.example.test', '*.api.example.test'], uris: ['spiffe://example.test/svc'], eku: ['1.3.6.1.5.5.7.3.1'] });
const chainPem = root.pem + inter.pem + leaf.pem;

describe('crypto.x509.parse_certificates', () => {
  test("Go's x509.Certificate fields, from PEM, base64 PEM and base64 DER", () => {
    for (const input of [leaf.pem, Buffer.from(leaf.pem).toString('base64'), leaf.der.toString('base64')]) {
      const [c] = call('crypto.x509.parse_certificates', input) as Obj[];
      expect((c.Subject as Obj).CommonName).toBe('svc.example.test');
      expect((c.Subject as Obj).Organization).toEqual(['Test Org']);
      expect((c.Subject as Obj).Country).toBeNull();
      expect((c.Subject as Obj).Names).toEqual([
        { Type: [2, 5, 4, 10], Value: 'Test Org' },
        { Type: [2, 5, 4, 3], Value: 'svc.example.test' },
      ]);
      expect((c.Issuer as Obj).CommonName).toBe('Test Intermediate');
      expect(c.Version).toBe(3);
      expect(c.SignatureAlgorithm).toBe(4); // SHA256WithRSA
      expect(c.PublicKeyAlgorithm).toBe(1); // RSA
      expect((c.PublicKey as Obj).E).toBe(65537);
      expect(c.SerialNumber).toBe(0x123);
      expect(c.DNSNames).toEqual(['svc.example.test', '*.api.example.test']);
      expect(c.EmailAddresses).toBeNull();
      expect(c.URIStrings).toEqual(['spiffe://example.test/svc']);
      expect(c.URIs).toEqual([
        { Scheme: 'spiffe', Opaque: '', User: null, Host: 'example.test', Path: '/svc', RawPath: '', OmitHost: false, ForceQuery: false, RawQuery: '', Fragment: '', RawFragment: '' },
      ]);
      expect(c.ExtKeyUsage).toEqual([1]);
      expect(c.KeyUsage).toBe(1); // DigitalSignature
      expect(c.BasicConstraintsValid).toBe(false);
      expect(c.Raw).toBe(leaf.der.toString('base64'));
      expect((c.Extensions as Obj[]).map((e) => [e.Id, e.Critical])).toEqual([
        [[2, 5, 29, 15], true],
        [[2, 5, 29, 17], false],
        [[2, 5, 29, 37], false],
      ]);
      expect(c.NotAfter).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });

  test('a chain parses in order; CA fields as Go sets them', () => {
    const certs = call('crypto.x509.parse_certificates', chainPem) as Obj[];
    expect(certs.map((c) => (c.Subject as Obj).CommonName)).toEqual(['Test Root', 'Test Intermediate', 'svc.example.test']);
    expect([certs[0].BasicConstraintsValid, certs[0].IsCA, certs[0].MaxPathLen, certs[0].MaxPathLenZero]).toEqual([true, true, -1, false]);
    expect(certs[0].KeyUsage).toBe(32 | 64); // CertSign | CRLSign
  });

  test('the RSA modulus leaves exactly through the SDK table (raw JSON text)', () => {
    const raw = sdkHostBuiltins['crypto.x509.parse_certificates'](leaf.pem);
    expect(raw).toBeInstanceOf(ArrayBuffer);
    const text = Buffer.from(raw as ArrayBuffer).toString('utf8');
    const n = /"N":(\d+)/.exec(text)?.[1];
    const jwk = leaf.key.export({ format: 'jwk' });
    expect(n).toBe(BigInt(`0x${Buffer.from(jwk.n ?? '', 'base64url').toString('hex')}`).toString());
  });

  test.each<[string, string, string]>([
    ['not base64', 'foobar', 'illegal base64'],
    ['not a certificate', Buffer.from('garbage!').toString('base64'), 'x509'],
    ['wrong PEM block', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', "PEM block type is 'PUBLIC KEY', expected CERTIFICATE"],
  ])('%s is an error (undefined)', (_n, input, message) => {
    expect(call('crypto.x509.parse_certificates', input)).toBeUndefined();
    expect(() => strictHostBuiltins['crypto.x509.parse_certificates'](input)).toThrow(message);
  });

  test('name constraints are refused loudly instead of parsed partially', () => {
    const nc = new NameConstraints({ permittedSubtrees: new GeneralSubtrees([new GeneralSubtree({ base: new GeneralName({ dNSName: 'example.test' }) })]) });
    const constrained = makeCert({ cn: 'Constrained CA', ca: true, extra: [ext('2.5.29.30', true, nc)] });
    expect(() => strictHostBuiltins['crypto.x509.parse_certificates'](constrained.pem)).toThrow('name constraints are not supported');
    expect(call('crypto.x509.parse_and_verify_certificates', constrained.pem + leaf.pem)).toBeUndefined();
  });
});

describe('crypto.x509.parse_and_verify_certificates (root first, leaf last)', () => {
  const verify = (pem: string): [boolean, Obj[]] => call('crypto.x509.parse_and_verify_certificates', pem) as [boolean, Obj[]];

  test('a valid chain: the verified chain leaf first, with URIStrings', () => {
    const [ok, chain] = verify(chainPem);
    expect(ok).toBe(true);
    expect(chain.map((c) => (c.Subject as Obj).CommonName)).toEqual(['svc.example.test', 'Test Intermediate', 'Test Root']);
    expect(chain[0].URIStrings).toEqual(['spiffe://example.test/svc']);
  });

  test.each<[string, () => string]>([
    ['a single certificate', () => leaf.pem],
    ['a foreign root', () => makeCert({ cn: 'Other Root', ca: true }).pem + inter.pem + leaf.pem],
    ['an intermediate that is not a CA', () => {
      const notCa = makeCert({ cn: 'Not A CA', ca: false, issuer: root });
      return root.pem + notCa.pem + makeCert({ cn: 'x', issuer: notCa }).pem;
    }],
    ['an expired leaf', () => root.pem + inter.pem + makeCert({ cn: 'old', issuer: inter, notAfter: new Date(Date.now() - 1000) }).pem],
    ['a path length exceeded', () => {
      const i0 = makeCert({ cn: 'I0', ca: true, pathLen: 0, issuer: root });
      const i1 = makeCert({ cn: 'I1', ca: true, issuer: i0 });
      return root.pem + i0.pem + i1.pem + makeCert({ cn: 'x', issuer: i1 }).pem;
    }],
    ['a SHA-1 signature (Go refuses it)', () => root.pem + inter.pem + makeCert({ cn: 'sha1', issuer: inter, sigAlg: 'sha1' }).pem],
    ['a leaf without ServerAuth (Go default key usage)', () => root.pem + inter.pem + makeCert({ cn: 'c', issuer: inter, eku: ['1.3.6.1.5.5.7.3.2'] }).pem],
    ['an unhandled critical extension', () => root.pem + inter.pem + makeCert({ cn: 'u', issuer: inter, extra: [ext('1.2.3.4', true, new BasicConstraints())] }).pem],
    ['garbage', () => 'foobar'],
  ])('%s: [false, []]', (_n, input) => expect(verify(input())).toEqual([false, []]));
});

describe('crypto.x509.parse_and_verify_certificates_with_options', () => {
  const verify = (pem: string, opts: Obj): JsonValue | undefined => call('crypto.x509.parse_and_verify_certificates_with_options', pem, opts);

  test('DNSName against SAN DNS names, wildcards one label deep, no Common Name fallback', () => {
    expect((verify(chainPem, { DNSName: 'svc.example.test' }) as JsonValue[])[0]).toBe(true);
    expect((verify(chainPem, { DNSName: 'a.api.example.test' }) as JsonValue[])[0]).toBe(true);
    expect(verify(chainPem, { DNSName: 'a.b.api.example.test' })).toEqual([false, []]);
    expect(verify(chainPem, { DNSName: 'other.example.test' })).toEqual([false, []]);
    const cnOnly = makeCert({ cn: 'cn-only.example.test', issuer: inter });
    expect(verify(root.pem + inter.pem + cnOnly.pem, { DNSName: 'cn-only.example.test' })).toEqual([false, []]);
  });

  test('CurrentTime (ns) decides validity; the result has no URIStrings (as in OPA)', () => {
    const past = (Date.now() - 10 * 86400_000) * 1e6;
    expect(verify(chainPem, { CurrentTime: past })).toEqual([false, []]);
    const [ok, chain] = verify(chainPem, { CurrentTime: Date.now() * 1e6 }) as [boolean, Obj[]];
    expect(ok).toBe(true);
    expect(chain[0]).not.toHaveProperty('URIStrings');
  });

  test('KeyUsages', () => {
    expect(verify(chainPem, { KeyUsages: ['KeyUsageClientAuth'] })).toEqual([false, []]);
    expect((verify(chainPem, { KeyUsages: ['KeyUsageAny'] }) as JsonValue[])[0]).toBe(true);
    expect(verify(chainPem, { KeyUsages: ['Nope'] })).toBeUndefined();
    expect(() => strictHostBuiltins['crypto.x509.parse_and_verify_certificates_with_options'](chainPem, { KeyUsages: ['Nope'] })).toThrow(
      "invalid entries for 'KeyUsages' found: [Nope]",
    );
  });

  test('unknown options and wrong types are errors', () => {
    expect(verify(chainPem, { Foo: 1 })).toBeUndefined();
    expect(verify(chainPem, { DNSName: 1 })).toBeUndefined();
  });
});

describe('keys', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pkcs1 = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();

  test('crypto.x509.parse_rsa_private_key: a JWK, from PEM or base64 PEM', () => {
    const jwk = privateKey.export({ format: 'jwk' });
    expect(call('crypto.x509.parse_rsa_private_key', pkcs1)).toEqual(jwk);
    expect(call('crypto.x509.parse_rsa_private_key', Buffer.from(pkcs1).toString('base64'))).toEqual(jwk);
    expect(call('crypto.x509.parse_rsa_private_key', 'invalid')).toBeUndefined();
  });

  test('crypto.parse_private_keys: Go rsa.PrivateKey JSON per block; none → [], empty → null', () => {
    const keys = call('crypto.parse_private_keys', pkcs1 + privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()) as Obj[];
    expect(keys).toHaveLength(2);
    expect(Object.keys(keys[0]).sort()).toEqual(['D', 'E', 'N', 'Precomputed', 'Primes']);
    expect(keys[0].E).toBe(65537);
    expect(call('crypto.parse_private_keys', 'nope')).toEqual([]);
    expect(call('crypto.parse_private_keys', '')).toBeNull();
  });

  test('crypto.x509.parse_keypair: tls.Certificate JSON; a key that does not match is an error', () => {
    const keyPem = leaf.key.export({ format: 'pem', type: 'pkcs8' }).toString();
    const pair = call('crypto.x509.parse_keypair', leaf.pem, keyPem) as Obj;
    expect(pair.Certificate).toEqual([leaf.der.toString('base64')]);
    expect(((pair.Leaf as Obj).Subject as Obj).CommonName).toBe('svc.example.test');
    expect(call('crypto.x509.parse_keypair', leaf.der.toString('base64'), Buffer.from(keyPem).toString('base64'))).toEqual(pair);
    expect(() => strictHostBuiltins['crypto.x509.parse_keypair'](leaf.pem, pkcs1)).toThrow('private key does not match public key');
  });
});
