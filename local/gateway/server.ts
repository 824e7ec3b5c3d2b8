/**
 * The local gateway: an in-process emulation of an API Gateway REST API
 * stage on 127.0.0.1 that runs the real Lambda handlers.
 *
 * Per request: size limits → route match → identity sources (missing → 401,
 * the authorizer is not called) → authorizer result cache (per identity
 * values, TTL) or authorizer invocation → IAM policy evaluated against this
 * request's methodArn → proxy integration event → handler result validated
 * and written back. Errors use API Gateway's gateway responses, rendered
 * from the CDK construct's own specs.
 */
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import { API_KEY_HEADER, authorizerIdentitySources } from '../../cdk/construct/identity-sources';
import { AuthorizerCache } from './authorizer-cache';
import { MalformedAuthorizerResult, parseAuthorizerResult, proxyAuthorizerContext, type AuthorizerDecision } from './authorizer-result';
import type { ResolvedCors } from '../../cdk/construct/cors';
import { corsGatewayResponses, preflightResult } from './cors';
import { type GatewayResponseType } from './gateway-responses';
import { evaluatePolicy } from './iam-policy';
import { resolveIdentitySources } from './identity-sources';
import { MalformedProxyResult, parseProxyResult, type HttpResult } from './proxy-result';
import { buildAuthorizerEvent, buildProxyEvent, headerValue, methodArn, type ApiIdentity, type GatewayRequest } from './request-model';
import { nameMap } from '../../functions/shared/request-input';
import { CDK_ROUTES, matchRoute, type RouteDefinition } from './routes';
import { readCapped } from '../../functions/shared/capped-body';
import { listenOnLoopback } from '../listen';
import { clientCertOfSocket } from './client-cert';

export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface LocalGatewayOptions {
  /** 0 = ephemeral. */
  readonly port: number;
  readonly authorizer: AuthorizerHandler;
  readonly integration: ProxyHandler;
  readonly api?: Partial<ApiIdentity>;
  /** Authorizer result cache TTL (API Gateway default 300 s; 0 disables). */
  readonly authorizerCacheTtlSeconds?: number;
  /**
   * API keys accepted in the `x-api-key` header (API Gateway with `apiKeyRequired`). When set,
   * the header is also an identity source (the CDK construct does the same): a missing key is
   * 401 without calling the authorizer, an unknown key 403 after it allowed the request, as in AWS.
   */
  readonly apiKeys?: readonly string[];
  /** Defaults to the CDK construct's sources (Authorization, context.httpMethod, context.path[, x-api-key]). */
  readonly identitySources?: readonly string[];
  readonly routes?: readonly RouteDefinition[];
  readonly authorizerTimeoutMs?: number;
  /** API Gateway's integration timeout (29 s by default). */
  readonly integrationTimeoutMs?: number;
  /** Request line + headers (API Gateway: 10 KiB). */
  readonly maxHeaderBytes?: number;
  /** Payload (API Gateway: 10 MiB). */
  readonly maxBodyBytes?: number;
  /** One JSON object per request (never tokens or bodies). */
  readonly log?: (line: Record<string, unknown>) => void;
  /**
   * Print the authorizer event and result and the integration event (like SAM's
   * debug output), with every Authorization / API key value redacted.
   */
  readonly debugEvents?: boolean;
  /** The construct's `cors` (resolved): preflight + CORS headers on gateway responses (local/gateway/cors.ts). */
  readonly cors?: ResolvedCors;
  /**
   * Serve HTTPS with mutual TLS, like a custom domain with a truststore: a
   * client without a certificate signed by `ca` never gets past the
   * handshake; the verified certificate reaches the authorizer as
   * `requestContext.identity.clientCert`. PEM strings.
   */
  readonly tls?: { readonly key: string; readonly cert: string; readonly ca: string };
}

export interface LocalGateway {
  readonly url: string;
  readonly port: number;
  readonly api: ApiIdentity;
  readonly cache: AuthorizerCache;
  /** How often each handler ran (tests use it to see cache hits). */
  readonly invocations: { authorizer: number; integration: number };
  close(): Promise<void>;
}

export const DEFAULT_API: ApiIdentity = {
  region: 'us-east-1',
  accountId: '123456789012',
  apiId: 'local0api1',
  stage: 'local',
  domainName: 'local0api1.execute-api.us-east-1.amazonaws.com',
};

class HandlerTimeout extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HandlerTimeout(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function headerBytes(req: http.IncomingMessage): number {
  let n = (req.method ?? '').length + (req.url ?? '').length + 11;
  for (let i = 0; i < req.rawHeaders.length; i += 2) n += (req.rawHeaders[i] ?? '').length + (req.rawHeaders[i + 1] ?? '').length + 4;
  return n;
}

/**
 * The client's headers plus what API Gateway adds on the way in: the caller's
 * address appended to X-Forwarded-For, X-Forwarded-Port/Proto and an
 * X-Amzn-Trace-Id (client-sent values of the last three are replaced).
 */
function forwardedHeaders(req: http.IncomingMessage, sourceIp: string, port: number, requestId: string, proto: 'http' | 'https'): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let xff: string | undefined;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? '';
    const value = req.rawHeaders[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') xff = xff === undefined ? value : `${xff}, ${value}`;
    else if (lower === 'x-forwarded-port' || lower === 'x-forwarded-proto' || lower === 'x-amzn-trace-id') continue;
    else pairs.push([name, value]);
  }
  pairs.push(['X-Forwarded-For', xff === undefined ? sourceIp : `${xff}, ${sourceIp}`]);
  pairs.push(['X-Forwarded-Port', String(port)]);
  pairs.push(['X-Forwarded-Proto', proto]);
  pairs.push(['X-Amzn-Trace-Id', `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${requestId.replace(/-/g, '').slice(0, 24)}`]);
  return pairs;
}

const SECRET_HEADERS = new Set(['authorization', API_KEY_HEADER]);

/** A copy of an event with credential header values replaced (for debug output only). */
export function redactEvent<E extends { headers?: unknown; multiValueHeaders?: unknown }>(event: E): E {
  const redactMap = (m: unknown, multi: boolean): unknown => {
    if (typeof m !== 'object' || m === null) return m;
    const out = nameMap<unknown>();
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? (multi ? ['<redacted>'] : '<redacted>') : v;
    }
    return out;
  };
  return { ...event, headers: redactMap(event.headers, false), multiValueHeaders: redactMap(event.multiValueHeaders, true) };
}

function sourceIpOf(req: http.IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '127.0.0.1';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const api: ApiIdentity = { ...DEFAULT_API, ...options.api };
  const cache = new AuthorizerCache(options.authorizerCacheTtlSeconds ?? 300);
  const apiKeys = options.apiKeys && options.apiKeys.length > 0 ? new Set(options.apiKeys) : undefined;
  const identitySources = options.identitySources ?? authorizerIdentitySources(apiKeys !== undefined);
  const routes = options.routes ?? CDK_ROUTES;
  const responses = corsGatewayResponses(options.cors);
  const authorizerTimeoutMs = options.authorizerTimeoutMs ?? 10_000;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? 29_000;
  const maxHeaderBytes = options.maxHeaderBytes ?? 10_240;
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const log = options.log ?? ((line) => process.stdout.write(`${JSON.stringify(line)}\n`));
  const invocations = { authorizer: 0, integration: 0 };

  const write = (res: http.ServerResponse, requestId: string, result: HttpResult): void => {
    const grouped = new Map<string, { name: string; values: string[] }>();
    for (const [name, value] of result.headers) {
      const key = name.toLowerCase();
      if (key === 'content-length' || key === 'transfer-encoding' || key === 'connection') continue;
      const g = grouped.get(key) ?? { name, values: [] };
      g.values.push(value);
      grouped.set(key, g);
    }
    for (const { name, values } of grouped.values()) res.setHeader(name, values.length === 1 ? (values[0] ?? '') : values);
    res.setHeader('x-amzn-RequestId', requestId);
    res.setHeader('x-amz-apigw-id', requestId.slice(0, 16));
    res.setHeader('content-length', result.body.length);
    res.writeHead(result.statusCode);
    res.end(result.body);
  };

  const gatewayError = (type: GatewayResponseType, requestId: string, message: string | null, extra?: { statusCode?: number; authorizer?: Record<string, string | number | boolean | null> }): HttpResult => {
    const r = responses.render(type, { requestId, message, statusCode: extra?.statusCode, authorizer: extra?.authorizer });
    return { statusCode: r.statusCode, headers: Object.entries(r.headers), body: Buffer.from(r.body, 'utf8') };
  };

  interface Outcome { result: HttpResult; authorizer: 'skipped' | 'cache-hit' | 'invoked'; verdict?: string; principalId?: string; reason?: string }

  const handle = async (req: http.IncomingMessage, requestId: string): Promise<Outcome> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q === -1 ? '' : rawUrl.slice(q + 1);

    if (headerBytes(req) > maxHeaderBytes) {
      return { result: gatewayError('BAD_REQUEST_PARAMETERS', requestId, 'Request header fields too large'), authorizer: 'skipped', reason: 'headers_too_large' };
    }
    // The socket stays usable for the 413 (no destroy when the reader stops early).
    const body = await readCapped(req.iterator({ destroyOnReturn: false }), maxBodyBytes, req.headers['content-length']);
    if (body === undefined) return { result: gatewayError('REQUEST_TOO_LARGE', requestId, 'Request Too Long'), authorizer: 'skipped', reason: 'body_too_large' };
    const route = path.startsWith('/') ? matchRoute(routes, method, path) : undefined;
    if (!route) {
      return { result: gatewayError('MISSING_AUTHENTICATION_TOKEN', requestId, 'Missing Authentication Token'), authorizer: 'skipped', reason: 'no_route' };
    }
    const preflight = preflightResult(options.cors, method, req.headers.origin);
    if (preflight) return { result: preflight, authorizer: 'skipped', reason: 'cors_preflight' };
    const sourceIp = sourceIpOf(req);
    const headerPairs = forwardedHeaders(req, sourceIp, (server.address() as AddressInfo).port, requestId, options.tls ? 'https' : 'http');
    const greq: GatewayRequest = {
      method, path, rawQuery, headerPairs, body, sourceIp, requestId, receivedAt: new Date(),
      resource: route.resource, resourceId: route.resourceId, pathParameters: route.pathParameters,
      clientCert: options.tls ? clientCertOfSocket(req.socket) : null,
    };
    // No length check of our own: a path whose ARN is too long for an IAM
    // Resource is Denied by the authorizer (403), as in AWS.
    const arn = methodArn(api, method, path);

    // Identity sources: all present or 401 without calling the authorizer.
    const identity = resolveIdentitySources(identitySources, api, greq);
    if (!identity) return { result: gatewayError('UNAUTHORIZED', requestId, 'Unauthorized'), authorizer: 'skipped', reason: 'missing_identity_source' };

    const key = AuthorizerCache.key(identity);
    let decision = cache.get(key);
    let source: Outcome['authorizer'] = 'cache-hit';
    let latencyMs = 0;
    if (!decision) {
      source = 'invoked';
      const started = performance.now();
      invocations.authorizer++;
      let raw: unknown;
      try {
        const authorizerEvent = buildAuthorizerEvent(api, greq);
        if (options.debugEvents) log({ component: 'gateway', requestId, debug: 'authorizer-event', event: redactEvent(authorizerEvent) });
        raw = await withTimeout(options.authorizer(authorizerEvent), authorizerTimeoutMs);
        if (options.debugEvents) log({ component: 'gateway', requestId, debug: 'authorizer-result', result: raw });
      } catch (e) {
        if (e instanceof Error && e.message === 'Unauthorized') {
          return { result: gatewayError('UNAUTHORIZED', requestId, 'Unauthorized'), authorizer: source, reason: 'authorizer_unauthorized' };
        }
        // As API Gateway: a thrown error is a configuration error, a timeout an authorizer failure.
        if (e instanceof HandlerTimeout) return { result: gatewayError('AUTHORIZER_FAILURE', requestId, null), authorizer: source, reason: 'authorizer_timeout' };
        return { result: gatewayError('AUTHORIZER_CONFIGURATION_ERROR', requestId, null), authorizer: source, reason: 'authorizer_error' };
      }
      latencyMs = Math.round(performance.now() - started);
      try {
        decision = parseAuthorizerResult(raw);
      } catch (e) {
        if (e instanceof MalformedAuthorizerResult) {
          return { result: gatewayError('AUTHORIZER_CONFIGURATION_ERROR', requestId, null), authorizer: source, reason: e.detail };
        }
        throw e;
      }
      cache.set(key, decision);
    }

    const verdict = evaluatePolicy(decision.policyDocument, arn);
    if (verdict !== 'allow') {
      const message = verdict === 'explicit-deny' ? 'User is not authorized to access this resource with an explicit deny' : 'User is not authorized to access this resource';
      return { result: gatewayError('ACCESS_DENIED', requestId, message, { authorizer: { ...decision.context, principalId: decision.principalId } }), authorizer: source, verdict, principalId: decision.principalId };
    }

    if (apiKeys) {
      const key = headerValue(greq, API_KEY_HEADER);
      if (key === undefined || !apiKeys.has(key)) {
        return { result: gatewayError('INVALID_API_KEY', requestId, 'Forbidden'), authorizer: source, verdict: 'invalid-api-key', principalId: decision.principalId, reason: 'invalid_api_key' };
      }
    }
    const event = buildProxyEvent(api, greq, proxyAuthorizerContext(decision, latencyMs));
    if (options.debugEvents) log({ component: 'gateway', requestId, debug: 'integration-event', event: redactEvent(event) });
    invocations.integration++;
    let raw: unknown;
    try {
      raw = await withTimeout(options.integration(event), integrationTimeoutMs);
    } catch (e) {
      if (e instanceof HandlerTimeout) return { result: gatewayError('INTEGRATION_TIMEOUT', requestId, 'Endpoint request timed out'), authorizer: source, verdict, principalId: decision.principalId, reason: 'integration_timeout' };
      return { result: gatewayError('DEFAULT_5XX', requestId, 'Internal server error', { statusCode: 502 }), authorizer: source, verdict, principalId: decision.principalId, reason: 'integration_error' };
    }
    try {
      return { result: parseProxyResult(raw), authorizer: source, verdict, principalId: decision.principalId };
    } catch (e) {
      if (e instanceof MalformedProxyResult) {
        return { result: gatewayError('DEFAULT_5XX', requestId, 'Internal server error', { statusCode: 502 }), authorizer: source, verdict, principalId: decision.principalId, reason: e.detail };
      }
      throw e;
    }
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const requestId = crypto.randomUUID();
    const started = performance.now();
    handle(req, requestId)
      .catch((): { result: HttpResult; authorizer: 'skipped'; reason: string } => ({
        result: gatewayError('DEFAULT_5XX', requestId, 'Internal server error'),
        authorizer: 'skipped',
        reason: 'gateway_error',
      }))
      .then((o: { result: HttpResult; authorizer: string; verdict?: string; principalId?: string; reason?: string }) => {
        write(res, requestId, o.result);
        const q = (req.url ?? '').indexOf('?');
        log({
          component: 'gateway', requestId, method: req.method, path: q === -1 ? req.url : (req.url ?? '').slice(0, q),
          status: o.result.statusCode, authorizer: o.authorizer, verdict: o.verdict ?? null, principalId: o.principalId ?? null,
          reason: o.reason ?? null, latencyMs: Math.round((performance.now() - started) * 100) / 100,
        });
      });
  };
  const server = options.tls
    ? https.createServer({ maxHeaderSize: 64 * 1024, key: options.tls.key, cert: options.tls.cert, ca: options.tls.ca, requestCert: true, rejectUnauthorized: true }, onRequest)
    : http.createServer({ maxHeaderSize: 64 * 1024 }, onRequest);
  // A refused handshake (no client certificate, another CA, expired) never reaches the authorizer; it is logged.
  server.on('tlsClientError', (err: NodeJS.ErrnoException) => {
    log({
      component: 'gateway', requestId: null, method: null, path: null, status: null, authorizer: 'skipped',
      verdict: null, principalId: null, reason: `tls_handshake_refused:${(err.code ?? 'unknown').slice(0, 64)}`, latencyMs: 0,
    });
  });
  // Requests Node's HTTP parser refuses never reach the handler above (header
  // block over maxHeaderSize, malformed lines, Content-Length together with
  // Transfer-Encoding...). Answer them as Node would, and log each one: every
  // refusal leaves a line (DESIGN §7).
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
    const connectionLost = err.code === 'ECONNRESET' || !socket.writable;
    log({
      component: 'gateway', requestId: null, method: null, path: null, status: connectionLost ? null : status, authorizer: 'skipped',
      verdict: null, principalId: null, reason: `refused_by_http_parser:${(err.code ?? 'unknown').slice(0, 64)}`, latencyMs: 0,
    });
    if (connectionLost) {
      socket.destroy();
      return;
    }
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  server.keepAliveTimeout = 5000;
  const port = await listenOnLoopback(server, options.port);
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    api,
    cache,
    invocations,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
