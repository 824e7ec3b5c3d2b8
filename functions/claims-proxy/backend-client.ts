/**
 * HTTP client for the backend: Node 20 global fetch, one AbortController
 * deadline for the whole exchange (headers AND body), no redirects followed,
 * a response size cap enforced while streaming. Failures are typed:
 * timeout → BackendTimeoutError, connection failure → BackendUnreachableError,
 * too large → BackendBadResponseError.
 */
import { readCapped } from '../shared/capped-body';
import { nameMap } from '../shared/request-input';
import { BackendBadResponseError, BackendTimeoutError, BackendUnreachableError } from '../shared/errors';

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
}

export function backendUrl(base: URL, path: string, query: Readonly<Record<string, readonly string[]>>): URL {
  const url = new URL(base.toString());
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  const params = new URLSearchParams();
  for (const [k, values] of Object.entries(query)) for (const v of values) params.append(k, v);
  url.search = params.toString();
  return url;
}

export function createBackendClient(opts: BackendClientOptions): BackendClient {
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
