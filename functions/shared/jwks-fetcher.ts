/**
 * JWKS fetching for aws-jwt-verify with Node's `http`/`https` clients: a hard
 * timeout for the whole exchange, no redirects, 200 only, a response size
 * cap. Unlike the library's https-only fetcher it also speaks http, which
 * config.ts allows only for loopback (the local Okta stand-in). Every failure
 * is a JwksUnavailableError, so callers fail closed.
 *
 * Not the global `fetch`: its first use loads Node's bundled undici, which
 * costs tens of milliseconds of the authorizer's cold start, and the JWKS is
 * fetched at every cold start.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Fetcher } from 'aws-jwt-verify/https';
import { JwksUnavailableError } from './errors';

/** Okta's JWKS is a few KiB; MAX_JWKS_KEYS keys with certificate chains fit well within this. */
export const MAX_JWKS_BYTES = 64 * 1024;

/**
 * The body, stopping as soon as it exceeds `max` bytes: a chunked answer
 * without Content-Length (or one that lies) cannot make the authorizer buffer
 * an unbounded body until the timeout fires.
 */
function readCapped(response: http.IncomingMessage, max: number): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    response.on('data', (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total > max) {
        response.destroy();
        reject(new JwksUnavailableError(`JWKS larger than ${max} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    response.on('error', reject);
    // Destroyed by the timeout (or the peer) before the end: never a partial body.
    response.on('close', () => {
      if (!ended) reject(new JwksUnavailableError('JWKS connection closed before the end of the body'));
    });
    response.on('end', () => {
      ended = true;
      const out = Buffer.concat(chunks, total);
      resolve(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer);
    });
  });
}

export class JwksFetcher implements Fetcher {
  constructor(private readonly timeoutMs: number) {}

  async fetch(uri: string): Promise<ArrayBuffer> {
    let url: URL;
    try {
      url = new URL(uri);
    } catch (error) {
      throw new JwksUnavailableError(`JWKS fetch failed: not a URL`, { cause: error });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new JwksUnavailableError(`JWKS fetch failed: ${url.protocol} is not http(s)`);
    const client = url.protocol === 'https:' ? https : http;
    let timedOut = false;
    let request: http.ClientRequest | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      request?.destroy();
    }, this.timeoutMs);
    try {
      const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
        // A fresh connection per fetch (fetches are at most one per refresh interval): a
        // kept-alive socket the server has already closed would fail the fetch.
        request = client.get(url, { headers: { accept: 'application/json' }, agent: false }, resolve);
        request.on('error', reject);
      });
      if (response.statusCode !== 200) {
        // Redirects included: the configured URI is the only place keys come from.
        response.destroy();
        throw new JwksUnavailableError(`JWKS endpoint answered ${response.statusCode ?? 'nothing'}`);
      }
      const declared = Number(response.headers['content-length'] ?? '0');
      if (declared > MAX_JWKS_BYTES) {
        response.destroy();
        throw new JwksUnavailableError(`JWKS larger than ${MAX_JWKS_BYTES} bytes`);
      }
      return await readCapped(response, MAX_JWKS_BYTES);
    } catch (error) {
      if (timedOut) throw new JwksUnavailableError(`JWKS fetch timed out after ${this.timeoutMs} ms`);
      if (error instanceof JwksUnavailableError) throw error;
      throw new JwksUnavailableError(`JWKS fetch failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
