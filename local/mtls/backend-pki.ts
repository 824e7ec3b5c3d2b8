/**
 * LOCAL_BACKEND_MTLS=1: mutual TLS between the claims proxy and the sample
 * backend, with material made at start-up: the backend's CA (the one the
 * proxy pins), the backend's server certificate (required client
 * certificates from the same CA), and the proxy's client certificate. The
 * proxy's credentials are written as the JSON the deployed stack keeps in
 * Secrets Manager (`{"certificatePem", "privateKeyPem", "caPem"}`) to a 0600
 * file in a fresh temporary directory, removed when the stack stops.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLocalCa } from './pki';

export const PROXY_CERT_CN = 'acme-claims-proxy.local';

export interface BackendMtls {
  /** For startClaimsBackend({ tls }). */
  readonly serverTls: { readonly key: string; readonly cert: string; readonly ca: string };
  /** Function environment: BACKEND_MTLS_CREDENTIALS_FILE. */
  readonly env: Record<string, string>;
  remove(): void;
}

export async function createBackendMtls(): Promise<BackendMtls> {
  const ca = await createLocalCa('Acme local backend CA');
  const server = await ca.server('claims-backend');
  const proxy = await ca.client(PROXY_CERT_CN);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-backend-mtls-'));
  const file = path.join(dir, 'proxy-credentials.json');
  fs.writeFileSync(file, JSON.stringify({ certificatePem: proxy.certPem, privateKeyPem: proxy.keyPem, caPem: ca.certPem }), { mode: 0o600 });
  return {
    serverTls: { key: server.keyPem, cert: server.certPem, ca: ca.certPem },
    env: { BACKEND_MTLS_CREDENTIALS_FILE: file },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
