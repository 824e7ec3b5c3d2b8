/**
 * Signed bundles: `/.signatures.json` interoperates with OPA's format in both directions
 * (checked against test/sign-opa-reference.ts, an independent node:crypto implementation of
 * OPA's sign.go / verify.go / hash.go, and a committed vector it produced), and every way a
 * bundle can fail verification is refused with its reason.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  BundleError,
  BundleVerificationError,
  type BundleVerificationReason,
  fileDigest,
  readBundle,
  readBundleFiles,
  signBundle,
  verifyBundle,
  writeBundle,
  type SigningAlgorithm,
  type VerificationOptions,
} from '../src/index';
import { tar } from '../src/package/bundle';
import { refCanonical, refDigest, refFiles, refParse, refSignaturesJson, refSignToken, refVerify } from './sign-opa-reference';

const FIX = join(__dirname, 'fixtures', 'signing');
const VECTOR = join(FIX, 'bundle-TEST-ONLY');
const fixture = (name: string): string => readFileSync(join(FIX, name), 'utf8');
const RSA_KEY = fixture('rsa-2048-TEST-ONLY.key.pem');
const RSA_PUB = fixture('rsa-2048-TEST-ONLY.pub.pem');
const EC_KEY = fixture('ec-p256-TEST-ONLY.key.pem');
const EC_PUB = fixture('ec-p256-TEST-ONLY.pub.pem');
const SECRET = 'test-only-hmac-secret';

/** The vector's files in `opa sign`'s walk order. */
const VECTOR_NAMES = ['.manifest', 'authz/allow.rego', 'data.json'];
type Files = [string, Uint8Array][];
const vectorFiles = (withSignature = true): Files => [
  ...VECTOR_NAMES.map((n): [string, Uint8Array] => [n, readFileSync(join(VECTOR, n))]),
  ...(withSignature ? [['.signatures.json', readFileSync(join(VECTOR, '.signatures.json'))] as [string, Uint8Array]] : []),
];
const RSA_OPTS: VerificationOptions = { publicKey: RSA_PUB, scope: 'test-scope' };

const pem = (k: KeyObject): string => k.export({ type: k.type === 'private' ? 'pkcs8' : 'spki', format: 'pem' }) as string;
const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');

function reasonOf(f: () => unknown): BundleVerificationReason | 'accepted' {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (e instanceof BundleVerificationError) return e.reason;
    throw e;
  }
}

/** The files with one replaced, added (`body`) or removed (`undefined`). */
function withFile(files: Files, name: string, body: Uint8Array | undefined): Files {
  const out = files.filter(([n]) => n !== name);
  if (body !== undefined) out.push([name, body]);
  return out;
}

function withSignatures(files: Files, token: string): Files {
  return withFile(files, '.signatures.json', text(refSignaturesJson(token)));
}

describe('the committed vector (made as opa sign --bundle makes it)', () => {
  test('our verifier accepts it, as a directory file set and as bundle.tar.gz', () => {
    const verified = verifyBundle(vectorFiles(), RSA_OPTS);
    expect(verified.map((f) => f.name)).toEqual(VECTOR_NAMES);
    const gz = gzipSync(tar(vectorFiles().map(([n, b]) => [`/${n}`, b] as [string, Uint8Array])));
    const bundle = readBundle(gz, { verification: RSA_OPTS });
    expect(bundle.manifest.revision).toBe('TEST-ONLY-1');
    expect(bundle.modules?.has('/authz/allow.rego')).toBe(true);
    expect(bundle.verified?.map((f) => f.name).sort()).toEqual([...VECTOR_NAMES].sort());
  });

  test('the reference implementation regenerates it byte for byte (RS256 is deterministic)', () => {
    const token = refSignToken(refFiles(vectorFiles(false)), { alg: 'RS256', key: RSA_KEY, claims: { scope: 'test-scope' } });
    expect(refSignaturesJson(token)).toBe(readFileSync(join(VECTOR, '.signatures.json'), 'utf8'));
  });

  test('our signer writes the same bytes as the reference for the same input', () => {
    const ours = signBundle(vectorFiles(), { key: RSA_KEY, algorithm: 'RS256', claims: { scope: 'test-scope' } });
    expect(Buffer.from(ours.signaturesJson).toString('utf8')).toBe(readFileSync(join(VECTOR, '.signatures.json'), 'utf8'));
    expect(ours.files.map((f) => f.name)).toEqual(VECTOR_NAMES);
  });

  test('data.json is hashed by its canonical JSON: reformatting keeps the digest, a changed literal does not', () => {
    const data = JSON.parse(readFileSync(join(VECTOR, 'data.json'), 'utf8')) as Record<string, unknown>;
    // JSON.parse turns 1.50 into 1.5 and 1E3 into 1000: a different literal, so a different digest
    expect(reasonOf(() => verifyBundle(withFile(vectorFiles(), 'data.json', text(JSON.stringify(data))), RSA_OPTS))).toBe('digest_mismatch');
    const raw = readFileSync(join(VECTOR, 'data.json'), 'utf8');
    const reformatted = raw.replace(/\n\s*/g, '').replace(/": /g, '":');
    expect(reformatted).not.toBe(raw);
    expect(reasonOf(() => verifyBundle(withFile(vectorFiles(), 'data.json', text(reformatted)), RSA_OPTS))).toBe('accepted');
    // a .manifest with its keys in another order is the same document
    expect(reasonOf(() => verifyBundle(withFile(vectorFiles(), '.manifest', text('{"roots":[""],"revision":"TEST-ONLY-1"}')), RSA_OPTS))).toBe('accepted');
    // but a .rego file is hashed by its bytes
    const rego = readFileSync(join(VECTOR, 'authz/allow.rego'), 'utf8');
    expect(reasonOf(() => verifyBundle(withFile(vectorFiles(), 'authz/allow.rego', text(`${rego}\n`)), RSA_OPTS))).toBe('digest_mismatch');
  });
});

describe('tokens built independently (node:crypto, OPA format) verify here', () => {
  const rsaPss = RSA_KEY;
  const cases: { alg: 'RS256' | 'PS256' | 'ES256' | 'HS256' | 'RS512'; key: string; verify: VerificationOptions }[] = [
    { alg: 'RS256', key: RSA_KEY, verify: { publicKey: RSA_PUB } },
    { alg: 'RS512', key: RSA_KEY, verify: { publicKey: RSA_PUB, algorithm: 'RS512' } },
    { alg: 'PS256', key: rsaPss, verify: { publicKey: RSA_PUB } },
    { alg: 'ES256', key: EC_KEY, verify: { publicKey: EC_PUB } },
    { alg: 'HS256', key: SECRET, verify: { secret: SECRET } },
  ];
  test.each(cases)('$alg', ({ alg, key, verify }) => {
    const files = vectorFiles(false);
    const token = refSignToken(refFiles(files), { alg, key });
    expect(verifyBundle(withSignatures(files, token), verify).map((f) => f.name)).toEqual(VECTOR_NAMES);
  });

  test('the kid header (opa build --signing-key writes kid and the keyid claim) matches a configured key id', () => {
    const files = vectorFiles(false);
    const token = refSignToken(refFiles(files), { alg: 'ES256', key: EC_KEY, kid: 'k1-TEST', claims: { keyid: 'k1-TEST' } });
    expect(reasonOf(() => verifyBundle(withSignatures(files, token), { publicKey: EC_PUB, keyId: 'k1-TEST' }))).toBe('accepted');
    expect(reasonOf(() => verifyBundle(withSignatures(files, token), { publicKey: EC_PUB, keyId: 'k2-TEST' }))).toBe('wrong_key_id');
  });
});

describe('our signer verifies under the independent verifier', () => {
  const cases: { alg: SigningAlgorithm & ('RS256' | 'PS256' | 'ES256' | 'HS256' | 'RS512'); key: string; pub?: string }[] = [
    { alg: 'RS256', key: RSA_KEY, pub: RSA_PUB },
    { alg: 'RS512', key: RSA_KEY, pub: RSA_PUB },
    { alg: 'PS256', key: RSA_KEY, pub: RSA_PUB },
    { alg: 'ES256', key: EC_KEY, pub: EC_PUB },
    { alg: 'HS256', key: SECRET },
  ];
  test.each(cases)('$alg, signBundle and writeBundle(…, {signing})', ({ alg, key, pub }) => {
    const files = vectorFiles(false);
    const signed = signBundle(files, { key, algorithm: alg, scope: 'prod' });
    const ref = { alg, publicKey: pub, secret: pub ? undefined : key, scope: 'prod' };
    expect(refVerify([...files, ['.signatures.json', signed.signaturesJson]], ref)).toBe('ok');
    expect(refVerify([...files, ['.signatures.json', signed.signaturesJson]], { ...ref, scope: 'dev' })).toBe('scope mismatch');

    const gz = writeBundle(
      { data: { roles: { admin: ['alice'] } }, manifest: { revision: 'r1' }, wasm: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]) },
      { signing: { key, algorithm: alg, keyId: 'k-TEST' } },
    );
    const inArchive = [...readBundleFiles(gz)];
    expect(inArchive.map(([n]) => n)).toEqual(['/data.json', '/policy.wasm', '/.signatures.json', '/.manifest']);
    expect(refVerify(inArchive, { ...ref, scope: undefined })).toBe('ok');
    const header = JSON.parse(Buffer.from(signed.token.split('.')[0], 'base64url').toString('utf8')) as unknown;
    expect(header).toEqual({ alg });
    const token = (JSON.parse(Buffer.from(inArchive[2][1]).toString('utf8')) as { signatures: string[] }).signatures[0];
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'))).toEqual({ alg, kid: 'k-TEST' });
    expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))).toMatchObject({ keyid: 'k-TEST' });
  });
});

describe('canonical digests agree with the reference on any JSON document', () => {
  const key = fc.string({ unit: 'binary', maxLength: 6 });
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    ),
  })).value;
  test('data.json written compact or indented', () => {
    fc.assert(
      fc.property(fc.dictionary(key, json, { maxKeys: 5 }), fc.boolean(), (doc, indent) => {
        const body = text(JSON.stringify(doc, null, indent ? 2 : undefined));
        expect(fileDigest('data.json', body)).toBe(refDigest('data.json', body));
      }),
      { numRuns: 300 },
    );
  });

  test('Go string escapes: control characters, U+2028/9, no HTML escaping, keys in UTF-8 byte order', () => {
    const doc = String.raw`{"\uffff":1,"😀":2,"a<&>":"\u0001\b\f\n\r\t` + '\u007f\u2028\u2029' + String.raw`\\\"","é":[1.0,-0,1e-7]}`;
    const canonical = String.raw`{"a<&>":"\u0001\b\f\n\r\t` + '\u007f' + String.raw`\u2028\u2029\\\"","é":[1.0,-0,1e-7],` + '"\uffff":1,"😀":2}';
    expect(refCanonical(refParse(doc))).toBe(canonical);
    expect(fileDigest('x/data.json', text(doc))).toBe(refDigest('x/data.json', text(doc)));
  });

  test('a UTF-8 BOM is ignored in structured files; other files are hashed as bytes', () => {
    expect(fileDigest('data.json', text('\ufeff{"a":1}'))).toBe(fileDigest('data.json', text('{"a": 1}')));
    expect(fileDigest('x.json', text('{"a":1}'))).not.toBe(fileDigest('x.json', text('{"a": 1}')));
  });
});

describe('refusals, each with its reason', () => {
  const files = (): Files => vectorFiles();
  const signedWith = (alg: 'RS256' | 'ES256' | 'HS256', key: string, claims?: Record<string, string>, kid?: string): Files =>
    withSignatures(vectorFiles(false), refSignToken(refFiles(vectorFiles(false)), { alg, key, claims, kid }));

  test('unsigned: no .signatures.json, or one without a token', () => {
    expect(reasonOf(() => verifyBundle(vectorFiles(false), RSA_OPTS))).toBe('unsigned');
    expect(reasonOf(() => verifyBundle(withFile(files(), '.signatures.json', text('{"signatures": []}')), RSA_OPTS))).toBe('unsigned');
    expect(reasonOf(() => verifyBundle(withFile(files(), '.signatures.json', text('{}')), RSA_OPTS))).toBe('unsigned');
  });

  test('tampered file content: digest_mismatch naming the file', () => {
    let err: unknown;
    try {
      verifyBundle(withFile(files(), 'authz/allow.rego', text('package acme.authz\n\nallow := true\n')), RSA_OPTS);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BundleVerificationError);
    expect(err).toBeInstanceOf(BundleError);
    expect(err).toMatchObject({ reason: 'digest_mismatch', file: 'authz/allow.rego' });
  });

  test('tampered payload or signature: bad_signature', () => {
    const token = (JSON.parse(readFileSync(join(VECTOR, '.signatures.json'), 'utf8')) as { signatures: string[] }).signatures[0];
    const [h, p, s] = token.split('.');
    const payload = Buffer.from(p, 'base64url').toString('utf8').replace(/"hash":"5/, '"hash":"6');
    expect(reasonOf(() => verifyBundle(withSignatures(files(), `${h}.${Buffer.from(payload).toString('base64url')}.${s}`), RSA_OPTS))).toBe('bad_signature');
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    expect(reasonOf(() => verifyBundle(withSignatures(files(), `${h}.${p}.${flipped}`), RSA_OPTS))).toBe('bad_signature');
  });

  test('wrong key, wrong algorithm, alg none: bad_signature', () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(reasonOf(() => verifyBundle(files(), { ...RSA_OPTS, publicKey: pem(other.publicKey) }))).toBe('bad_signature');
    expect(reasonOf(() => verifyBundle(files(), { ...RSA_OPTS, publicKey: EC_PUB }))).toBe('bad_signature');
    expect(reasonOf(() => verifyBundle(files(), { ...RSA_OPTS, algorithm: 'PS256' }))).toBe('bad_signature');
    expect(reasonOf(() => verifyBundle(signedWith('HS256', SECRET), { secret: 'another-secret' }))).toBe('bad_signature');
    // an HS256 token made with the RSA public key as the secret is not accepted by the RSA key
    expect(reasonOf(() => verifyBundle(signedWith('HS256', RSA_PUB, { scope: 'test-scope' }), RSA_OPTS))).toBe('bad_signature');
    const [, p] = (JSON.parse(readFileSync(join(VECTOR, '.signatures.json'), 'utf8')) as { signatures: string[] }).signatures[0].split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    expect(reasonOf(() => verifyBundle(withSignatures(files(), none), RSA_OPTS))).not.toBe('accepted');
  });

  test('extra file and missing file', () => {
    expect(reasonOf(() => verifyBundle(withFile(files(), 'extra/data.json', text('{"x": 1}')), RSA_OPTS))).toBe('extra_file');
    expect(reasonOf(() => verifyBundle(withFile(files(), 'sub/.signatures.json', text('{}')), RSA_OPTS))).toBe('extra_file');
    expect(reasonOf(() => verifyBundle(withFile(files(), 'authz/allow.rego', undefined), RSA_OPTS))).toBe('missing_file');
  });

  test('exclude globs drop files from both checks (Go filepath.Match: * stops at /)', () => {
    const extra = withFile(files(), 'extra/notes.txt', text('x'));
    expect(reasonOf(() => verifyBundle(extra, { ...RSA_OPTS, exclude: ['extra/*'] }))).toBe('accepted');
    expect(reasonOf(() => verifyBundle(extra, { ...RSA_OPTS, exclude: ['*'] }))).toBe('extra_file');
    const missing = withFile(files(), 'authz/allow.rego', undefined);
    expect(reasonOf(() => verifyBundle(missing, { ...RSA_OPTS, exclude: ['authz/*.rego'] }))).toBe('missing_file');
    const excluded = verifyBundle(files(), { ...RSA_OPTS, exclude: ['authz/*.rego'] });
    expect(excluded.map((f) => f.name)).toEqual(['.manifest', 'data.json']);
  });

  test('scope must equal the configured scope, absent included', () => {
    expect(reasonOf(() => verifyBundle(files(), { publicKey: RSA_PUB, scope: 'other' }))).toBe('scope_mismatch');
    expect(reasonOf(() => verifyBundle(files(), { publicKey: RSA_PUB }))).toBe('scope_mismatch');
    expect(reasonOf(() => verifyBundle(signedWith('ES256', EC_KEY), { publicKey: EC_PUB, scope: 'test-scope' }))).toBe('scope_mismatch');
  });

  test('key id: the token naming another key (kid, else the keyid claim) is wrong_key_id', () => {
    expect(reasonOf(() => verifyBundle(signedWith('ES256', EC_KEY, undefined, 'a-TEST'), { publicKey: EC_PUB, keyId: 'b-TEST' }))).toBe('wrong_key_id');
    expect(reasonOf(() => verifyBundle(signedWith('ES256', EC_KEY, { keyid: 'a-TEST' }), { publicKey: EC_PUB, keyId: 'b-TEST' }))).toBe('wrong_key_id');
    // no key id in the token: the configured key decides (as OPA's configured keyid does)
    expect(reasonOf(() => verifyBundle(signedWith('ES256', EC_KEY), { publicKey: EC_PUB, keyId: 'b-TEST' }))).toBe('accepted');
  });

  test('malformed signatures files and tokens', () => {
    const sig = (s: string): Files => withFile(files(), '.signatures.json', text(s));
    const token = (JSON.parse(readFileSync(join(VECTOR, '.signatures.json'), 'utf8')) as { signatures: string[] }).signatures[0];
    expect(reasonOf(() => verifyBundle(sig('not json'), RSA_OPTS))).toBe('malformed');
    expect(reasonOf(() => verifyBundle(sig(JSON.stringify({ signatures: [token, token] })), RSA_OPTS))).toBe('malformed');
    expect(reasonOf(() => verifyBundle(sig(JSON.stringify({ signatures: [token], plugin: 'x' })), RSA_OPTS))).toBe('malformed');
    expect(reasonOf(() => verifyBundle(sig(JSON.stringify({ signatures: ['a.b'] })), RSA_OPTS))).toBe('malformed');
    expect(reasonOf(() => verifyBundle(sig(JSON.stringify({ signatures: ['e30.e30.@@'] })), RSA_OPTS))).toBe('malformed');
    // a listed file with a weak digest algorithm, signed correctly
    const weak = refFiles(vectorFiles(false)).map((f) => (f.name === 'data.json' ? { ...f, algorithm: 'MD5' } : f));
    expect(reasonOf(() => verifyBundle(withSignatures(files(), refSignToken(weak, { alg: 'RS256', key: RSA_KEY, claims: { scope: 'test-scope' } })), RSA_OPTS))).toBe('malformed');
    // a data.json that is not JSON cannot be hashed
    expect(reasonOf(() => verifyBundle(withFile(files(), 'data.json', text('{')), RSA_OPTS))).toBe('malformed');
  });

  test('an unpaired surrogate cannot pass for the U+FFFD that was signed (Go hashes both alike)', () => {
    const signed: Files = [['data.json', text('{"k": "\\ufffd"}')]];
    const sig = signBundle(signed, { key: EC_KEY, algorithm: 'ES256' });
    const opts = { publicKey: EC_PUB };
    expect(reasonOf(() => verifyBundle([...signed, ['.signatures.json', sig.signaturesJson]], opts))).toBe('accepted');
    // the reference (Go's rule) accepts the swap; we refuse it
    const swapped: Files = [['data.json', text('{"k": "\\ud800"}')], ['.signatures.json', sig.signaturesJson]];
    expect(refVerify(swapped, { alg: 'ES256', publicKey: EC_PUB })).toBe('ok');
    expect(reasonOf(() => verifyBundle(swapped, opts))).toBe('malformed');
    expect(reasonOf(() => verifyBundle([['data.json', text('{"\\udc00": 1}')], ['.signatures.json', sig.signaturesJson]], opts))).toBe('malformed');
  });
});

describe('readBundle with verification', () => {
  const gz = (signing?: Parameters<typeof writeBundle>[1]): Uint8Array =>
    writeBundle({ data: { a: 1 }, manifest: { revision: 'r9' }, modules: new Map([['/p.rego', 'package p\n']]) }, signing);

  test('verifies before reading; refuses unsigned bundles and files the signature does not cover', () => {
    expect(readBundle(gz({ signing: { key: EC_KEY, algorithm: 'ES256' } }), { verification: { publicKey: EC_PUB } }).data).toEqual({ a: 1 });
    expect(reasonOf(() => readBundle(gz(), { verification: { publicKey: EC_PUB } }))).toBe('unsigned');
    expect(readBundle(gz()).manifest.revision).toBe('r9'); // no verification asked: read as before
    const files = [...readBundleFiles(gz({ signing: { key: EC_KEY, algorithm: 'ES256' } }))];
    files.splice(1, 0, ['/evil.rego', text('package evil\n')]);
    expect(reasonOf(() => readBundle(gzipSync(tar(files)), { verification: { publicKey: EC_PUB } }))).toBe('extra_file');
  });
});

describe('key configuration errors are BundleError, not a verdict on the bundle', () => {
  test.each<[string, () => unknown]>([
    ['both publicKey and secret', () => verifyBundle(vectorFiles(), { publicKey: RSA_PUB, secret: 'x' })],
    ['neither', () => verifyBundle(vectorFiles(), {})],
    ['not a PEM key', () => verifyBundle(vectorFiles(), { publicKey: 'nope' })],
    ['an RSA key for ES256', () => verifyBundle(vectorFiles(), { publicKey: RSA_PUB, algorithm: 'ES256' })],
    ['a secret for RS256', () => verifyBundle(vectorFiles(), { secret: 'x', algorithm: 'RS256' })],
    ['a PEM key as an HMAC secret', () => signBundle(vectorFiles(), { key: RSA_KEY, algorithm: 'HS256' })],
    ['an EC key for RS256', () => signBundle(vectorFiles(), { key: EC_KEY, algorithm: 'RS256' })],
    ['a public key to sign', () => signBundle(vectorFiles(), { key: RSA_PUB, algorithm: 'RS256' })],
    ['a short RSA key', () => signBundle(vectorFiles(), { key: pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey) })],
    ['claims redefining files', () => signBundle(vectorFiles(), { key: RSA_KEY, claims: { files: [] } })],
  ])('%s', (_, f) => {
    expect(f).toThrow(BundleError);
    expect(f).not.toThrow(BundleVerificationError);
  });
});
