/** OPA bundles (bundle.tar.gz bytes) built in memory for the policy-store tests. */
import { build, readBundle, writeBundle } from 'rego-wasm';

/** A bundle whose `acme/authz/decision` allows exactly when `input.allow == true`, with a reason naming the revision. */
export function decisionBundle(revision: string, extraRego = ''): Buffer {
  const text = `package acme.authz

decision := {"allow": input.allow == true, "reason": "${revision.replace(/[^A-Za-z0-9_]/g, '_')}"}
${extraRego}`;
  return Buffer.from(build({ sources: [{ file: 'authz.rego', text }], entrypoints: ['acme/authz/decision'], revision }).bundle);
}

/** `bundle` re-written with `/.signatures.json` (rego-wasm's signer, OPA's format). */
export function signed(bundle: Buffer, key: string, opts: { keyId?: string; scope?: string; algorithm?: 'RS256' | 'ES256' } = {}): Buffer {
  return Buffer.from(writeBundle(readBundle(bundle), { signing: { key, ...opts } }));
}
