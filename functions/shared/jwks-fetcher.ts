/**
 * JWKS fetching for aws-jwt-verify with Node's global fetch: a hard timeout
 * (AbortController), no redirects, 200 only, a response size cap. Unlike the
 * library's https-only fetcher it also speaks http, which config.ts allows
 * only for loopback (the local Okta stand-in). Every failure is a
 * JwksUnavailableError, so callers fail closed.
 */
import type { Fetcher } from 'aws-jwt-verify/https';
import { JwksUnavailableError } from './errors';

/** Okta's JWKS is a few KiB; MAX_JWKS_KEYS keys with certificate chains fit well within this. */
export const MAX_JWKS_BYTES = 64 * 1024;

/**
 * The body, stopping as soon as it exceeds `max` bytes: a chunked answer
 * without Content-Length (or one that lies) cannot make the authorizer buffer
 * an unbounded body until the timeout fires.
 */
async function readCapped(response: Response, max: number): Promise<ArrayBuffer> {
  if (!response.body) return new ArrayBuffer(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new JwksUnavailableError(`JWKS larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out.buffer;
}

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
      return await readCapped(response, MAX_JWKS_BYTES);
    } catch (error) {
      if (error instanceof JwksUnavailableError) throw error;
      if (controller.signal.aborted) throw new JwksUnavailableError(`JWKS fetch timed out after ${this.timeoutMs} ms`);
      throw new JwksUnavailableError(`JWKS fetch failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
