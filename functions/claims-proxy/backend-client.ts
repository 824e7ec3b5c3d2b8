/**
 * HTTP client for the backend: Node 20 global fetch, one AbortController
 * deadline for the whole exchange (headers AND body), no redirects followed,
 * a response size cap enforced while streaming. Failures are typed:
 * timeout → BackendTimeoutError, connection failure → BackendUnreachableError,
 * too large → BackendBadResponseError. With `tls` (mutual TLS, backend-tls.ts)
 * the request goes through node:https with the client certificate and the
 * pinned CA (fetch cannot take either); TLS failures → BackendTlsError.
 */
import * as https from 'node:https';
import { readCapped } from '../shared/capped-body';
import { nameMap } from '../shared/request-input';
import { BackendBadResponseError, BackendTimeoutError, BackendTlsError, BackendUnreachableError } from '../shared/errors';
import { backendAgent, tlsFailure, type BackendTlsCredentials } from './backend-tls';

export interface BackendRequest {
  readonly method: string;
  /** Already-encoded path, starting with `/`. */
  readonly path: string;
  readonly query: Readonly<Record<string, readonly string[]>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface BackendResponse {
  readonly status: number;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface BackendClient {
  send(request: BackendRequest): Promise<BackendResponse>;
}

export interface BackendClientOptions {
  readonly baseUrl: URL;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /** Mutual TLS: client certificate, key and pinned CA (cached per container). */
  readonly tls?: () => Promise<BackendTlsCredentials>;
}

export function backendUrl(base: URL, path: string, query: Readonly<Record<string, readonly string[]>>): URL {
  const url = new URL(base.toString());
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  const params = new URLSearchParams();
  for (const [k, values] of Object.entries(query)) for (const v of values) params.append(k, v);
  url.search = params.toString();
  return url;
}

/** One exchange over node:https with the mTLS agent; the same deadline and cap as the fetch path. */
function sendOverMtls(agent: https.Agent, url: URL, request: BackendRequest, signal: AbortSignal, maxBytes: number): Promise<BackendResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: request.method, headers: request.headers, agent, signal }, (res) => {
      readCapped(res, maxBytes, res.headers['content-length']).then((body) => {
        if (body === undefined) {
          res.destroy();
          reject(new BackendBadResponseError('response_too_large', `backend response larger than ${maxBytes} bytes`));
          return;
        }
        const headers = nameMap<string>();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers, body });
      }, reject);
    });
    req.on('error', reject);
    req.end(request.body && request.body.length > 0 ? request.body : undefined);
  });
}

export function createBackendClient(opts: BackendClientOptions): BackendClient {
  const agent = opts.tls ? backendAgent(opts.tls) : undefined;
  if (agent) {
    return {
      async send(request) {
        const mtlsAgent = await agent();
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
        try {
          return await sendOverMtls(mtlsAgent, backendUrl(opts.baseUrl, request.path, request.query), request, controller.signal, opts.maxResponseBytes);
        } catch (error) {
          if (error instanceof BackendBadResponseError || error instanceof BackendTlsError) throw error;
          if (controller.signal.aborted) throw new BackendTimeoutError(`backend did not answer within ${opts.timeoutMs} ms`, { cause: error });
          throw tlsFailure(error) ?? new BackendUnreachableError(`backend unreachable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        } finally {
          clearTimeout(timer);
        }
      },
    };
  }
  return {
    async send(request) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
      try {
        const response = await fetch(backendUrl(opts.baseUrl, request.path, request.query), {
          method: request.method,
          headers: request.headers,
          body: request.body && request.body.length > 0 ? new Uint8Array(request.body) : undefined,
          redirect: 'manual',
          signal: controller.signal,
        });
        const body = await readCapped(response.body, opts.maxResponseBytes, response.headers.get('content-length'));
        if (body === undefined) throw new BackendBadResponseError('response_too_large', `backend response larger than ${opts.maxResponseBytes} bytes`);
        const headers = nameMap<string>();
        response.headers.forEach((v, k) => {
          headers[k.toLowerCase()] = v;
        });
        return { status: response.status, headers, body };
      } catch (error) {
        if (error instanceof BackendBadResponseError) throw error;
        if (controller.signal.aborted) throw new BackendTimeoutError(`backend did not answer within ${opts.timeoutMs} ms`, { cause: error });
        throw new BackendUnreachableError(`backend unreachable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
