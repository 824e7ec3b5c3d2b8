/**
 * Bundles the functions load are verified (rego-wasm's readBundle with
 * verification, OPA's `.signatures.json`): each refusal is a PolicyBundleError
 * with the verifier's reason, so it is logged and the last good policy keeps
 * serving. The key may come from an SSM parameter, read once per container.
 */
import { generateKeyPairSync } from 'node:crypto';
import { loadAuthorizerConfig } from '../../functions/shared/config';
import { PolicyBundleError } from '../../functions/shared/errors';
import { decide, loadBundleEngine } from '../../functions/shared/policy-engine';
import { configuredPolicyStores } from '../../functions/shared/policy-store';
import { decisionBundle, signed } from './support/bundles';
import { captureLogs } from './support/logs';
import { startServer } from './support/servers';

const ENTRY = 'acme/authz/decision';
const pair = (): { privateKey: string; publicKey: string } =>
  generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const good = pair();
const other = pair();

const loadWith = (bytes: Buffer, verification: { keyId?: string; scope?: string } = {}, publicKey = good.publicKey) =>
  loadBundleEngine(bytes, { verification: { publicKey, keyId: verification.keyId, scope: verification.scope }, requiredEntrypoints: [ENTRY], maxBytes: 1 << 24 });

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyBundleError);
    return (error as PolicyBundleError).reason;
  }
  return 'accepted';
}

describe('verification of a downloaded bundle', () => {
  it('a bundle signed with the configured key loads, with its manifest revision', async () => {
    const engine = await loadWith(signed(decisionBundle('signed-1'), good.privateKey));
    expect(engine.revision).toBe('signed-1');
    expect(decide(engine, ENTRY, { allow: true }).allow).toBe(true);
  });

  it.each([
    ['unsigned', () => decisionBundle('u-1'), {}],
    ['signed by another key', () => signed(decisionBundle('o-1'), other.privateKey), {}],
    ['tampered after signing (policy.wasm replaced)', () => tamper(signed(decisionBundle('t-1'), good.privateKey), decisionBundle('t-evil')), {}],
    ['signed with another key id', () => signed(decisionBundle('k-1'), good.privateKey, { keyId: 'old' }), { keyId: 'current' }],
    ['signed for another scope', () => signed(decisionBundle('s-1'), good.privateKey, { scope: 'staging' }), { scope: 'prod' }],
  ] as const)('%s is refused with the verifier\'s reason', async (name, make, verification) => {
    const expected: Record<string, string> = {
      unsigned: 'unsigned',
      'signed by another key': 'bad_signature',
      'tampered after signing (policy.wasm replaced)': 'digest_mismatch',
      'signed with another key id': 'wrong_key_id',
      'signed for another scope': 'scope_mismatch',
    };
    expect(await refusal(loadWith(make(), verification))).toBe(expected[name]);
  });

  it('a key from POLICY_VERIFICATION_KEY_PARAMETER is read once per container; a failed read is verification_key_unavailable and retried', async () => {
    const bytes = signed(decisionBundle('ssm-1'), good.privateKey);
    const service = await startServer((_req, res) => void res.writeHead(200, { etag: '"1"' }).end(bytes));
    try {
      const config = loadAuthorizerConfig(
        {
          OKTA_ISSUER: 'https://example.okta.com/oauth2/default',
          OKTA_AUDIENCE: 'api://default',
          POLICY_BUNDLE_URL: `${service.url}/b.tar.gz`,
          POLICY_BUNDLE_ALLOW_HTTP: 'true',
          POLICY_VERIFICATION_KEY_PARAMETER: '/acme/policy/verification-key',
        },
        __dirname,
      );
      const reads: string[] = [];
      let failNext = true;
      const logs = captureLogs();
      const { enforced } = configuredPolicyStores({
        policy: config.policy,
        logger: logs.logger,
        entrypoints: [ENTRY],
        ifUnavailable: 'deny',
        readParameter: async (name) => {
          reads.push(name);
          if (failNext) {
            failNext = false;
            throw new Error('AccessDenied');
          }
          return good.publicKey;
        },
      });
      await expect(enforced.engine()).rejects.toMatchObject({ reason: 'no_policy' });
      expect(logs.parsed().some((l) => l.reason === 'verification_key_unavailable')).toBe(true);
      expect(logs.text()).not.toContain('BEGIN PUBLIC KEY');
      await new Promise((r) => setTimeout(r, 1050));
      expect(() => enforced.engine()).toThrow(PolicyBundleError);
      await enforced.idle();
      expect((await enforced.engine()).revision).toBe('ssm-1');
      expect(reads).toEqual(['/acme/policy/verification-key', '/acme/policy/verification-key']);
    } finally {
      await service.close();
    }
  });
});

/** `signedBundle` with its /policy.wasm swapped for the one in `other` (signatures kept). */
function tamper(signedBundle: Buffer, other: Buffer): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { untar, tar } = require('../../rego-wasm/src/package/bundle') as typeof import('../../rego-wasm/src/package/bundle');
  const { gunzipSync, gzipSync } = require('node:zlib') as typeof import('node:zlib');
  const files = untar(gunzipSync(signedBundle));
  files.set('/policy.wasm', untar(gunzipSync(other)).get('/policy.wasm')!);
  return gzipSync(tar([...files]));
}
