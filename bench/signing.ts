/**
 * Signed bundles (#11): what signing and verification cost on this project's policy bundle
 * (policies/ built as `npm run policy:build` builds it). readBundle with verification is what a
 * function pays per downloaded bundle; the plain readBundle beside it is the floor. Keys are
 * generated per run (RSA 2048, EC P-256).
 */
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { build, readBundle, writeBundle, readBundleFiles, parseBundleFiles, type SigningOptions } from 'rego-wasm';

function medianMs(n: number, f: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    f();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function benchSigning(): Promise<Record<string, number>> {
  const { bundle } = build({ paths: [join(__dirname, '..', 'policies')], target: 'wasm' });
  const unsigned = parseBundleFiles(readBundleFiles(bundle));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = (k: { export(o: { type: 'pkcs8' | 'spki'; format: 'pem' }): string | Buffer }, type: 'pkcs8' | 'spki'): string => String(k.export({ type, format: 'pem' }));
  const figures: Record<string, number> = { bundle_bytes: bundle.length };
  for (const [alg, priv, pub] of [
    ['rs256', pem(rsa.privateKey, 'pkcs8'), pem(rsa.publicKey, 'spki')],
    ['es256', pem(ec.privateKey, 'pkcs8'), pem(ec.publicKey, 'spki')],
  ] as const) {
    const signing: SigningOptions = { key: priv, algorithm: alg === 'rs256' ? 'RS256' : 'ES256', keyId: 'bench' };
    const signed = writeBundle(unsigned, { signing });
    figures[`${alg}_write_signed_ms`] = medianMs(50, () => writeBundle(unsigned, { signing }));
    figures[`${alg}_read_verified_ms`] = medianMs(200, () => readBundle(signed, { verification: { publicKey: pub, keyId: 'bench' } }));
  }
  figures.read_unverified_ms = medianMs(200, () => readBundle(bundle));
  return figures;
}
