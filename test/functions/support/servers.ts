/** Tiny local HTTP servers on 127.0.0.1:0 for JWKS and backend tests. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
  readonly url: string;
  readonly requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void | Promise<void>;

export async function startServer(handler: Handler): Promise<LocalServer> {
  const requests: LocalServer['requests'] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      void Promise.resolve(handler(req, res, body)).catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A JWKS endpoint whose keys and failure mode tests can change. */
export interface JwksServer extends LocalServer {
  keys: Array<Record<string, string>>;
  mode: 'ok' | 'error' | 'hang';
  fetches(): number;
}

export async function startJwksServer(keys: Array<Record<string, string>>): Promise<JwksServer> {
  const holder: { current?: JwksServer } = {};
  const server = await startServer((_req, res) => {
    const state = holder.current;
    if (!state || state.mode === 'hang') return; // never answers
    if (state.mode === 'error') {
      res.writeHead(503).end('down');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  const jwks: JwksServer = { ...server, close: server.close, keys, mode: 'ok', fetches: () => server.requests.length };
  holder.current = jwks;
  return jwks;
}
