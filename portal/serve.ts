/**
 * The portal's own local origin (`npm start`: http://127.0.0.1:8080,
 * `PORTAL_PORT`): serves the esbuild bundle from memory and `config.json`
 * (the local stack's API URL, issuer and SPA client id). It listens before
 * the rest of the stack starts (the Okta SPA client and the gateway's CORS
 * need its origin); `setConfig` fills config.json once they are up, and
 * until then config.json is 503.
 */
import * as http from 'node:http';
import { listenOnLoopback } from '../local/listen';
import { buildPortal, type PortalFiles } from './build';
import type { PortalConfig } from './src/config';

export interface PortalServer {
  /** The portal's origin, e.g. `http://127.0.0.1:8080` (no trailing slash). */
  readonly origin: string;
  readonly port: number;
  setConfig(config: PortalConfig): void;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'config.json': 'application/json',
};

/** Content-Security-Policy for the portal: its own files, and fetch to exactly the API and the issuer. */
export function contentSecurityPolicy(config: PortalConfig | undefined): string {
  const connect = config === undefined ? '' : ` ${new URL(config.apiUrl).origin} ${new URL(config.issuer).origin}`;
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'${connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

export async function startPortalServer(options: { readonly port: number }): Promise<PortalServer> {
  const files: PortalFiles = await buildPortal();
  let config: PortalConfig | undefined;
  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const name = pathname === '/' ? 'index.html' : pathname.slice(1);
    const headers = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy': contentSecurityPolicy(config),
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end();
      return;
    }
    const body = name === 'config.json' ? (config === undefined ? undefined : Buffer.from(JSON.stringify(config))) : files.get(name);
    if (body === undefined) {
      res.writeHead(name === 'config.json' ? 503 : 404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': TYPES[name] ?? 'application/octet-stream', 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const port = await listenOnLoopback(server, options.port);
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    setConfig: (c) => {
      config = c;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
