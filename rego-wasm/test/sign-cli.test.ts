/**
 * Signing and verification on the command line, shaped like opa's flags: `build
 * --signing-key`, `sign --bundle`, and `--verification-key` on `eval -b` and `build -b`. A
 * bundle that fails verification exits 1 with the reason; a signed bundle without a key is
 * refused (exit 2) unless --skip-verify. Signatures are checked with the independent reference
 * (sign-opa-reference.ts), not only with our own verifier.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/main';
import { readBundleFiles } from '../src/package/bundle';
import { refVerify } from './sign-opa-reference';

const FIX = join(__dirname, 'fixtures', 'signing');
const RSA_KEY = join(FIX, 'rsa-2048-TEST-ONLY.key.pem');
const RSA_PUB = join(FIX, 'rsa-2048-TEST-ONLY.pub.pem');
const EC_KEY = join(FIX, 'ec-p256-TEST-ONLY.key.pem');
const EC_PUB = join(FIX, 'ec-p256-TEST-ONLY.pub.pem');

const AUTHZ = `package acme.authz

default allow := false

allow if input.user in data.roles.admin
`;

let dir: string;

function write(rel: string, text: string): void {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
}

function cli(argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const payloadOf = (signaturesJson: Uint8Array | string): Record<string, unknown> => {
  const token = (JSON.parse(Buffer.from(signaturesJson).toString('utf8')) as { signatures: string[] }).signatures[0];
  return { header: JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')), payload: JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) };
};

/** eval -b: a directory holds the module (query the rule), a built bundle.tar.gz only data and policy.wasm (query its data). */
const evalAllow = (bundle: string, extra: string[] = []): { code: number; out: string; err: string } => {
  write('in.json', JSON.stringify({ user: 'alice' }));
  const query = bundle.endsWith('.tar.gz') ? 'input.user == data.roles.admin[0]' : 'data.acme.authz.allow';
  return cli(['eval', '-b', bundle, '-i', join(dir, 'in.json'), '-f', 'pretty', ...extra, query]);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sign-cli-'));
  write('src/authz.rego', AUTHZ);
  write('src/data.json', JSON.stringify({ roles: { admin: ['alice'] } }));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('build --signing-key', () => {
  test('writes /.signatures.json as opa build does (kid and keyid "default"), verified by the reference', () => {
    const out = join(dir, 'bundle.tar.gz');
    const r = cli(['build', '-e', 'acme/authz/allow', '-o', out, '--signing-key', RSA_KEY, join(dir, 'src')]);
    expect(r).toMatchObject({ code: 0 });
    const files = [...readBundleFiles(readFileSync(out))];
    expect(files.map(([n]) => n)).toEqual(['/data.json', '/policy.wasm', '/.signatures.json', '/.manifest']);
    expect(refVerify(files, { alg: 'RS256', publicKey: readFileSync(RSA_PUB, 'utf8') })).toBe('ok');
    expect(payloadOf(files[2][1])).toMatchObject({ header: { alg: 'RS256', kid: 'default' }, payload: { keyid: 'default' } });
  });

  test('--signing-alg ES256 --scope prod --verification-key-id k1; eval -b verifies before use', () => {
    const out = join(dir, 'bundle.tar.gz');
    expect(cli(['build', '-e', 'acme/authz/allow', '-o', out, '--signing-key', EC_KEY, '--signing-alg', 'ES256', '--scope', 'prod', '--verification-key-id', 'k1', join(dir, 'src')]).code).toBe(0);
    const files = [...readBundleFiles(readFileSync(out))];
    expect(refVerify(files, { alg: 'ES256', publicKey: readFileSync(EC_PUB, 'utf8'), scope: 'prod' })).toBe('ok');

    expect(evalAllow(out, ['--verification-key', EC_PUB, '--scope', 'prod', '--verification-key-id', 'k1'])).toEqual({ code: 0, out: 'true', err: '' });
    const wrongScope = evalAllow(out, ['--verification-key', EC_PUB, '--scope', 'dev']);
    expect(wrongScope.code).toBe(1);
    expect(wrongScope.err).toMatch(/scope_mismatch/);
    const wrongKid = evalAllow(out, ['--verification-key', EC_PUB, '--scope', 'prod', '--verification-key-id', 'k2']);
    expect(wrongKid.code).toBe(1);
    expect(wrongKid.err).toMatch(/wrong_key_id/);
    const wrongKey = evalAllow(out, ['--verification-key', RSA_PUB, '--scope', 'prod']);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.err).toMatch(/bad_signature/);
    // a signed bundle without a key is refused, as opa does; --skip-verify loads it unverified
    const noKey = evalAllow(out);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toMatch(/signed but no verification key/);
    expect(evalAllow(out, ['--skip-verify'])).toEqual({ code: 0, out: 'true', err: '' });
  });

  test('an unsigned bundle is refused when a verification key is given', () => {
    const out = join(dir, 'bundle.tar.gz');
    expect(cli(['build', '-e', 'acme/authz/allow', '-o', out, join(dir, 'src')]).code).toBe(0);
    expect(evalAllow(out)).toMatchObject({ code: 0, out: 'true' });
    const r = evalAllow(out, ['--verification-key', RSA_PUB]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\(unsigned\)/);
  });

  test('--claims-file sets the claims and drops the key id (as opa build); HS256 with a literal secret', () => {
    write('claims.json', JSON.stringify({ scope: 'from-claims', iss: 'ci' }));
    const out = join(dir, 'bundle.tar.gz');
    expect(cli(['build', '-e', 'acme/authz/allow', '-o', out, '--signing-key', 'test-only-secret', '--signing-alg', 'HS256', '--claims-file', join(dir, 'claims.json'), join(dir, 'src')]).code).toBe(0);
    const files = [...readBundleFiles(readFileSync(out))];
    expect(refVerify(files, { alg: 'HS256', secret: 'test-only-secret', scope: 'from-claims' })).toBe('ok');
    const { header, payload } = payloadOf(files[2][1]) as { header: object; payload: object };
    expect(header).toEqual({ alg: 'HS256' });
    expect(payload).toMatchObject({ scope: 'from-claims', iss: 'ci' });
    expect(payload).not.toHaveProperty('keyid');
    expect(evalAllow(out, ['--verification-key', 'test-only-secret', '--scope', 'from-claims'])).toMatchObject({ code: 0, out: 'true' });
    expect(evalAllow(out, ['--verification-key', 'another-secret', '--scope', 'from-claims']).code).toBe(1);
  });

  test('refused: --signing-plugin, an unknown algorithm, a bare .wasm output, --compiler opa with a key', () => {
    const args = ['build', '-e', 'acme/authz/allow', join(dir, 'src')];
    const plugin = cli([...args, '--signing-key', RSA_KEY, '--signing-plugin', 'x']);
    expect(plugin.code).toBe(2);
    expect(plugin.err).toMatch(/--signing-plugin is not supported/);
    expect(cli([...args, '--signing-key', RSA_KEY, '--signing-alg', 'none']).code).toBe(2);
    const bare = cli([...args, '--signing-key', RSA_KEY, '-o', join(dir, 'policy.wasm')]);
    expect(bare.code).toBe(2);
    expect(bare.err).toMatch(/signature lives in a bundle/);
    expect(cli([...args, '--signing-key', RSA_KEY, '--compiler', 'opa']).code).toBe(2);
    expect(cli([...args, '--claims-file', 'x.json']).err).toMatch(/--claims-file needs --signing-key/);
  });
});

describe('sign --bundle', () => {
  test('signs a bundle directory; with .signatures.json in place eval -b and build -b verify it', () => {
    const outDir = join(dir, 'sig');
    const r = cli(['sign', '--bundle', '--signing-key', RSA_KEY, '-o', outDir, join(dir, 'src')]);
    expect(r.code).toBe(0);
    const sig = readFileSync(join(outDir, '.signatures.json'));
    // names relative to the bundle root, no kid (opa sign passes no key id)
    const { header, payload } = payloadOf(sig) as { header: object; payload: { files: { name: string }[] } };
    expect(header).toEqual({ alg: 'RS256' });
    expect(payload.files.map((f) => f.name)).toEqual(['authz.rego', 'data.json']);
    expect(sig.toString('utf8')).toMatch(/^\{\n "signatures": \[\n  "[^"]+"\n \]\n\}$/);

    cpSync(join(outDir, '.signatures.json'), join(dir, 'src', '.signatures.json'));
    const files: [string, Uint8Array][] = ['authz.rego', 'data.json', '.signatures.json'].map((n) => [n, readFileSync(join(dir, 'src', n))]);
    expect(refVerify(files, { alg: 'RS256', publicKey: readFileSync(RSA_PUB, 'utf8') })).toBe('ok');
    expect(evalAllow(join(dir, 'src'), ['--verification-key', RSA_PUB])).toMatchObject({ code: 0, out: 'true' });
    const built = cli(['build', '-b', '-e', 'acme/authz/allow', '-o', join(dir, 'b.tar.gz'), '--verification-key', RSA_PUB, join(dir, 'src')]);
    expect(built.code).toBe(0);
    expect(cli(['build', '-b', '-e', 'acme/authz/allow', '-o', join(dir, 'b.tar.gz'), join(dir, 'src')]).err).toMatch(/signed but no verification key/);

    write('src/authz.rego', AUTHZ.replace('default allow := false', 'default allow := true'));
    const tampered = evalAllow(join(dir, 'src'), ['--verification-key', RSA_PUB]);
    expect(tampered.code).toBe(1);
    expect(tampered.err).toMatch(/digest_mismatch.*authz\.rego/);
    expect(cli(['build', '-b', '-e', 'acme/authz/allow', '-o', join(dir, 'b.tar.gz'), '--verification-key', RSA_PUB, join(dir, 'src')]).code).toBe(1);

    write('src/authz.rego', AUTHZ);
    write('src/extra.rego', 'package extra\n');
    expect(evalAllow(join(dir, 'src'), ['--verification-key', RSA_PUB]).err).toMatch(/extra_file.*extra\.rego/);
    expect(evalAllow(join(dir, 'src'), ['--verification-key', RSA_PUB, '--exclude-files-verify', 'extra.rego'])).toMatchObject({ code: 0, out: 'true' });
  });

  test('signs a bundle.tar.gz; the signature covers the archive files', () => {
    const out = join(dir, 'bundle.tar.gz');
    expect(cli(['build', '-e', 'acme/authz/allow', '-o', out, join(dir, 'src')]).code).toBe(0);
    expect(cli(['sign', '--bundle', '--signing-key', EC_KEY, '--signing-alg', 'ES256', '-o', dir, out]).code).toBe(0);
    const files = [...readBundleFiles(readFileSync(out)), ['/.signatures.json', readFileSync(join(dir, '.signatures.json'))] as [string, Uint8Array]];
    expect(refVerify(files, { alg: 'ES256', publicKey: readFileSync(EC_PUB, 'utf8') })).toBe('ok');
  });

  test('usage errors exit 2: no --bundle, no key, no path', () => {
    expect(cli(['sign', '--signing-key', RSA_KEY, join(dir, 'src')]).err).toMatch(/--bundle/);
    expect(cli(['sign', '--bundle', join(dir, 'src')]).code).toBe(2);
    expect(cli(['sign', '--bundle', '--signing-key', RSA_KEY]).code).toBe(2);
  });
});
