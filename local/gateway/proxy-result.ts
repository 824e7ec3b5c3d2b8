/**
 * Validation of a Lambda proxy integration result, as API Gateway does it:
 * `statusCode` (integer), `headers` (scalar values), `multiValueHeaders`
 * (lists), `body` (string), `isBase64Encoded` (boolean) and nothing else.
 * Anything malformed makes API Gateway answer 502 "Internal server error".
 */

export interface HttpResult {
  readonly statusCode: number;
  /** Header name → values (multi-value headers preserved). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

export class MalformedProxyResult extends Error {
  constructor(readonly detail: string) {
    super(`malformed Lambda proxy response: ${detail}`);
    this.name = 'MalformedProxyResult';
  }
}

const ALLOWED_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded', 'cookies']);

function scalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

export function parseProxyResult(raw: unknown): HttpResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MalformedProxyResult('not an object');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!ALLOWED_KEYS.has(k)) throw new MalformedProxyResult(`unexpected key ${k}`);
  const code = typeof r.statusCode === 'string' && /^\d+$/.test(r.statusCode) ? Number(r.statusCode) : r.statusCode;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 599) throw new MalformedProxyResult('statusCode must be an HTTP status');
  const headers: Array<[string, string]> = [];
  const seen = new Set<string>();
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object') throw new MalformedProxyResult('multiValueHeaders must be an object');
    for (const [k, list] of Object.entries(r.multiValueHeaders as Record<string, unknown>)) {
      if (!Array.isArray(list) || !list.every(scalar)) throw new MalformedProxyResult(`multiValueHeaders.${k} must be a list of scalars`);
      for (const v of list) headers.push([k, String(v)]);
      seen.add(k.toLowerCase());
    }
  }
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object') throw new MalformedProxyResult('headers must be an object');
    for (const [k, v] of Object.entries(r.headers as Record<string, unknown>)) {
      if (!scalar(v)) throw new MalformedProxyResult(`headers.${k} must be a scalar`);
      // `headers` and `multiValueHeaders` are merged; a name in both keeps the multi-value list.
      if (!seen.has(k.toLowerCase())) headers.push([k, String(v)]);
    }
  }
  for (const [k, v] of headers) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) || /[\r\n\0]/.test(v)) throw new MalformedProxyResult(`invalid header ${k}`);
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') throw new MalformedProxyResult('body must be a string');
  if (r.isBase64Encoded !== undefined && typeof r.isBase64Encoded !== 'boolean') throw new MalformedProxyResult('isBase64Encoded must be a boolean');
  const text = typeof r.body === 'string' ? r.body : '';
  const body = r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { statusCode: code, headers, body };
}
