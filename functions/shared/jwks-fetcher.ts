/**
 * JWKS fetching for aws-jwt-verify with Node's global fetch: a hard timeout
 * (AbortController), no redirects, 200 only, a response size cap. Unlike the
 * library's https-only fetcher it also speaks http, which config.ts allows
 * only for loopback (the local Okta stand-in). Every failure is a
 * JwksUnavailableError, so callers fail closed.
 */
import type { Fetcher } from 'aws-jwt-verify/https';
import { JwksUnavailableError } from './errors';

export const MAX_JWKS_BYTES = 256 * 1024;

export class JwksFetcher implements Fetcher {
  constructor(private readonly timeoutMs: number) {}

  async fetch(uri: string): Promise<ArrayBuffer> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const response = await fetch(uri, {
        method: 'GET',
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: controller.signal,
      });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new JwksUnavailableError(`JWKS endpoint answered ${response.status}`);
      }
      const declared = Number(response.headers.get('content-length') ?? '0');
      if (declared > MAX_JWKS_BYTES) {
        await response.body?.cancel().catch(() => undefined);
        throw new JwksUnavailableError(`JWKS larger than ${MAX_JWKS_BYTES} bytes`);
      }
      const body = await response.arrayBuffer();
      if (body.byteLength > MAX_JWKS_BYTES) throw new JwksUnavailableError(`JWKS larger than ${MAX_JWKS_BYTES} bytes`);
      return body;
    } catch (error) {
      if (error instanceof JwksUnavailableError) throw error;
      if (controller.signal.aborted) throw new JwksUnavailableError(`JWKS fetch timed out after ${this.timeoutMs} ms`);
      throw new JwksUnavailableError(`JWKS fetch failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
