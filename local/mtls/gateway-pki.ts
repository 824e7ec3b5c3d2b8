/**
 * `npm start -- --mtls` (or LOCAL_MTLS=1): the local gateway's mutual-TLS
 * material, made at start-up and written to a fresh temporary directory
 * (keys 0600) that is removed when the stack stops — never committed, never
 * reused. The gateway trusts only this CA; the two client certificates let a
 * curl user (and the e2e tests) call it as a partner or as a member device.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createLocalCa } from './pki';

/** CN of the partner certificate: README's example binds it to the acme-audit-service client. */
export const PARTNER_CERT_CN = 'acme-audit-service.partner.local';
export const MEMBER_CERT_CN = 'member-device.local';

export interface GatewayMtlsFiles {
  readonly dir: string;
  /** The CA clients must chain to (also the gateway's server certificate's issuer: pass it to curl --cacert). */
  readonly caFile: string;
  readonly partner: { readonly certFile: string; readonly keyFile: string };
  readonly member: { readonly certFile: string; readonly keyFile: string };
}

export interface GatewayMtls {
  readonly tls: { readonly key: string; readonly cert: string; readonly ca: string };
  readonly files: GatewayMtlsFiles;
  remove(): void;
}

export async function createGatewayMtls(): Promise<GatewayMtls> {
  const ca = await createLocalCa('Acme local gateway CA');
  const server = await ca.server('local-gateway');
  const partner = await ca.client(PARTNER_CERT_CN);
  const member = await ca.client(MEMBER_CERT_CN);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-gateway-mtls-'));
  const write = (name: string, content: string, mode: number): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content, { mode });
    return file;
  };
  const files: GatewayMtlsFiles = {
    dir,
    caFile: write('ca.pem', ca.certPem, 0o644),
    partner: { certFile: write('partner.pem', partner.certPem, 0o644), keyFile: write('partner-key.pem', partner.keyPem, 0o600) },
    member: { certFile: write('member.pem', member.certPem, 0o644), keyFile: write('member-key.pem', member.keyPem, 0o600) },
  };
  return {
    tls: { key: server.keyPem, cert: server.certPem, ca: ca.certPem },
    files,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
