/**
 * A policy can parse input.clientCert.pem itself with crypto.x509.parse_certificates:
 * the builtin is in rego-wasm's opt-in extended table, so the policy builds
 * with --capabilities naming it and loads with the extended host builtins
 * (what an operator registers through registerHostBuiltins). It reads the
 * same CN the authorizer pre-parses into input.clientCert.subjectCN; without
 * the declaration the build refuses the builtin.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'rego-wasm';
import { sdkExtendedHostBuiltins } from 'rego-wasm/extended';
import { loadPolicyWasm } from 'rego-wasm/load';
import { clientCertOf } from '../../functions/shared/client-cert';
import { createLocalCa } from '../../local/mtls/pki';

const POLICY = `package partner

cert := crypto.x509.parse_certificates(input.clientCert.pem)[0]

summary := {"cn": cert.Subject.CommonName, "issuer": cert.Issuer.CommonName, "dns": cert.DNSNames}
`;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x509-policy-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function capabilities(builtins: Array<[string, number]>): string {
  const any = { type: 'any' };
  const file = path.join(dir, 'caps.json');
  fs.writeFileSync(file, JSON.stringify({ builtins: builtins.map(([name, n]) => ({ name, decl: { type: 'function', args: Array.from({ length: n }, () => any), result: any } })) }));
  return file;
}

test('without the declaration the default toolchain refuses crypto.x509.parse_certificates', () => {
  expect(() => build({ sources: [{ file: 'partner.rego', text: POLICY }], entrypoints: ['partner/summary'] })).toThrow(/crypto\.x509\.parse_certificates/);
});

test('declared and loaded with the extended builtins, it reads the certificate the authorizer forwards', async () => {
  const ca = await createLocalCa('Acme Partner CA');
  const leaf = await ca.client('audit.partner.example');
  const clientCert = clientCertOf({ requestContext: { identity: { clientCert: { clientCertPem: leaf.certPem, subjectDN: 'x', issuerDN: 'y', serialNumber: '01', validity: {} } } } });
  const built = build({
    sources: [{ file: 'partner.rego', text: POLICY }],
    entrypoints: ['partner/summary'],
    capabilities: capabilities([['crypto.x509.parse_certificates', 1], ['eq', 2], ['assign', 2]]),
  });
  const policy = await loadPolicyWasm(built.bytes, { builtins: sdkExtendedHostBuiltins });
  const [result] = policy.evaluate({ clientCert }, 'partner/summary') as Array<{ result: unknown }>;
  expect(result?.result).toEqual({ cn: clientCert?.subjectCN, issuer: 'Acme Partner CA', dns: ['audit.partner.example'] });
}, 60_000);
