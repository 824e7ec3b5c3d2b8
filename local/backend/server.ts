/**
 * The sample claims backend (ACME.md) at 127.0.0.1:8081. It trusts the
 * gateway (no authentication), logs `x-authz-sub` / `x-request-id`, and
 * refuses any request that still carries an `authorization` header — the
 * claims proxy must strip it, so seeing one is a bug worth a loud 400.
 *
 *   GET  /v1/claims/enrollee/{id}                     the record with its claims
 *   POST /v1/claims/enrollee/{id}                     submit a claim → 201 + the record
 *   PUT  /v1/claims/enrollee/{id}/claims/{claimId}    update a claim → 200 + the record
 *   GET  /__local/requests                            last requests seen (method, path, header NAMES, x-authz-sub) for tests
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { FAULT_IDS, sampleRecords, type ClaimSummary, type EnrolleeRecord } from './data';
import { readCapped } from '../../functions/shared/capped-body';
import { listenOnLoopback } from '../listen';

export interface BackendOptions {
  readonly port: number;
  /** Delay of the `slow` fault id (ms). */
  readonly slowMs?: number;
  readonly log?: (line: Record<string, unknown>) => void;
  /**
   * Serve HTTPS and require a client certificate signed by `ca` (mutual TLS,
   * LOCAL_BACKEND_MTLS=1): a caller without one never gets past the handshake.
   */
  readonly tls?: { readonly key: string; readonly cert: string; readonly ca: string };
}

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headerNames: readonly string[];
  readonly authzSub: string | undefined;
  readonly requestId: string | undefined;
  /** Subject CN of the caller's client certificate (mutual TLS), else undefined. */
  readonly clientCertCN?: string;
}

export interface ClaimsBackend {
  readonly url: string;
  readonly port: number;
  readonly seen: readonly SeenRequest[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
const SEEN_LIMIT = 200;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const body = await readCapped(req, MAX_BODY_BYTES, req.headers['content-length']);
  if (body === undefined) throw new Error('body too large');
  return body.toString('utf8');
}

type ClaimInput = Partial<Pick<ClaimSummary, 'dateOfService' | 'provider' | 'procedure' | 'enrolleeResponsibilityAmount' | 'claimStatus'>>;

function parseClaimInput(text: string): ClaimInput | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const p = parsed as Record<string, unknown>;
  const out: ClaimInput = {};
  for (const key of ['dateOfService', 'provider', 'procedure', 'claimStatus'] as const) {
    if (p[key] === undefined) continue;
    if (typeof p[key] !== 'string') return undefined;
    out[key] = p[key] as string;
  }
  if (p.enrolleeResponsibilityAmount !== undefined) {
    if (typeof p.enrolleeResponsibilityAmount !== 'number' || !Number.isFinite(p.enrolleeResponsibilityAmount)) return undefined;
    out.enrolleeResponsibilityAmount = p.enrolleeResponsibilityAmount;
  }
  return out;
}

const RECORD_PATH = /^\/v1\/claims\/enrollee\/([A-Za-z0-9-]+)$/;
const CLAIM_PATH = /^\/v1\/claims\/enrollee\/([A-Za-z0-9-]+)\/claims\/([A-Za-z0-9-]+)$/;

export async function startClaimsBackend(options: BackendOptions): Promise<ClaimsBackend> {
  const records = new Map<string, EnrolleeRecord>(sampleRecords().map((r) => [r.enrolleeId, r]));
  const seen: SeenRequest[] = [];
  const log = options.log ?? ((line) => process.stdout.write(`${JSON.stringify(line)}\n`));
  const slowMs = options.slowMs ?? 10_000;
  let nextClaim = 1;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://backend.local');
    const method = req.method ?? 'GET';
    const authzSub = typeof req.headers['x-authz-sub'] === 'string' ? req.headers['x-authz-sub'] : undefined;
    const requestId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : undefined;

    if (url.pathname === '/__local/requests' && method === 'GET') {
      send(res, 200, { requests: seen });
      return;
    }
    if (url.pathname === '/health') {
      send(res, 200, { status: 'ok' });
      return;
    }
    const peer = options.tls ? (req.socket as TLSSocket).getPeerX509Certificate?.() : undefined;
    const clientCertCN = peer?.subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3);
    seen.push({ method, path: url.pathname, headerNames: Object.keys(req.headers).sort(), authzSub, requestId, ...(clientCertCN === undefined ? {} : { clientCertCN }) });
    if (seen.length > SEEN_LIMIT) seen.shift();
    log({ component: 'backend', method, path: url.pathname, sub: authzSub ?? null, requestId: requestId ?? null });

    if (req.headers.authorization !== undefined) {
      log({ component: 'backend', level: 'error', message: 'an authorization header reached the backend; the gateway must strip it' });
      send(res, 400, { message: 'authorization header must not reach the backend' });
      return;
    }

    const claimMatch = CLAIM_PATH.exec(url.pathname);
    const recordMatch = RECORD_PATH.exec(url.pathname);
    const id = claimMatch?.[1] ?? recordMatch?.[1];
    if (id === undefined) {
      send(res, 404, { message: 'no such resource' });
      return;
    }
    if (id === FAULT_IDS.serverError) {
      send(res, 500, { message: 'database exploded', memberSsn: '999-99-9999', stack: 'at Backend.secret()' });
      return;
    }
    if (id === FAULT_IDS.badJson) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"memberSsn": "999-99-9999", ');
      return;
    }
    if (id === FAULT_IDS.html) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>memberSsn 999-99-9999</html>');
      return;
    }
    if (id === FAULT_IDS.slow) {
      await new Promise((r) => setTimeout(r, slowMs));
      if (!res.destroyed) send(res, 200, { enrolleeId: id, memberSsn: '999-99-9999' });
      return;
    }
    const record = records.get(id);
    if (!record) {
      send(res, 404, { message: 'enrollee not found' });
      return;
    }

    if (recordMatch && method === 'GET') {
      send(res, 200, record);
      return;
    }
    if (recordMatch && method === 'POST') {
      const input = parseClaimInput(await readBody(req));
      if (!input || !input.dateOfService || !input.provider) {
        send(res, 400, { message: 'a claim needs dateOfService and provider' });
        return;
      }
      const created: ClaimSummary = {
        claimId: `C-${id}-N${nextClaim++}`,
        claimStatus: 'Submitted',
        claimStatusCode: 'S',
        dateOfService: input.dateOfService,
        provider: input.provider,
        enrolleeResponsibilityAmount: input.enrolleeResponsibilityAmount ?? 0,
        procedure: input.procedure ?? '',
      };
      record.enrolleeClaimSummaryList.push(created);
      send(res, 201, record);
      return;
    }
    if (claimMatch && method === 'PUT') {
      const found = record.enrolleeClaimSummaryList.find((c) => c.claimId === claimMatch[2]);
      if (!found) {
        send(res, 404, { message: 'claim not found' });
        return;
      }
      const input = parseClaimInput(await readBody(req));
      if (!input) {
        send(res, 400, { message: 'the body must be a JSON object of claim fields' });
        return;
      }
      Object.assign(found, input);
      send(res, 200, record);
      return;
    }
    send(res, 405, { message: 'method not allowed' });
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 400, { message: 'bad request' });
      else res.destroy();
    });
  };
  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert, ca: options.tls.ca, requestCert: true, rejectUnauthorized: true }, onRequest)
    : http.createServer(onRequest);
  if (options.tls) server.on('tlsClientError', (err: NodeJS.ErrnoException) => log({ component: 'backend', refused: 'tls_handshake', code: err.code ?? 'unknown' }));
  const port = await listenOnLoopback(server, options.port);
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    seen,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
