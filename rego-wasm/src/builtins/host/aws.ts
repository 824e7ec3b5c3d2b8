/**
 * providers.aws.sign_req (OPA's topdown/providers.go + internal/providers/aws
 * SignV4). This is OPA's own SigV4 variant, reproduced exactly, not a general
 * SigV4 signer: the canonical request uses the method as given (not
 * upper-cased), Go's `URL.EscapedPath()` (an empty path stays empty) and the
 * raw query string (not sorted or re-encoded), header values unmodified, and
 * `x-amz-content-sha256` only for s3 and glacier. Maintained SigV4 libraries
 * canonicalise correctly and therefore sign differently from OPA (see README).
 * The signing time is the `time_ns` operand, usually `time.now_ns()`, which is
 * fixed for one evaluation.
 */
import { createHash, createHmac } from 'node:crypto';
import { BuiltinEvalError, OperandTypeError } from './errors';
import { goMarshal } from './json-marshal';
import { isObject } from './operands';
import type { HostBuiltin, JsonObject, JsonValue } from './types';

const B = 'providers.aws.sign_req';

/** http.send's request keys: validateHTTPRequestOperand accepts only these. */
const ALLOWED_REQUEST_KEYS = new Set([
  'method', 'url', 'body', 'enable_redirect', 'force_json_decode', 'force_yaml_decode', 'headers', 'raw_body',
  'tls_use_system_certs', 'tls_ca_cert', 'tls_ca_cert_file', 'tls_ca_cert_env_variable', 'tls_client_cert',
  'tls_client_cert_file', 'tls_client_cert_env_variable', 'tls_client_key', 'tls_client_key_file',
  'tls_client_key_env_variable', 'tls_insecure_skip_verify', 'tls_server_name', 'timeout', 'cache', 'force_cache',
  'force_cache_duration_seconds', 'raise_error', 'caching_mode', 'max_retry_attempts', 'cache_ignored_headers',
]);
const REQUIRED_AWS_KEYS = ['aws_access_key', 'aws_region', 'aws_secret_access_key', 'aws_service'];
const IGNORED_HEADERS = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);

/** Go's `%v` of an ast.Set of strings: `{"a", "b"}` (sorted). */
const goSet = (keys: string[]): string => `{${[...keys].sort().map((k) => JSON.stringify(k)).join(', ')}}`;

const operandError = (pos: number, msg: string): BuiltinEvalError => new BuiltinEvalError(B, `operand ${pos} ${msg}`);

interface GoUrl {
  host: string;
  escapedPath: string;
  rawQuery: string;
}

const PATH_OK = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/[\]]|%[0-9A-Fa-f]{2})*$/;

/** Go's escape(s, encodePath): unreserved and `$&+,/:;=@` stay, the rest is %XX. */
function escapePath(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~$&+,/:;=@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The parts of Go's url.Parse that SignV4 reads. */
function parseUrl(raw: string): GoUrl {
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new BuiltinEvalError(B, `parse ${JSON.stringify(raw)}: net/url: invalid control character in URL`);
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#.*)?$/.exec(raw);
  if (!m) throw new BuiltinEvalError(B, `parse ${JSON.stringify(raw)}: invalid URL`);
  const authority = m[2] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  const rawPath = m[3] ?? '';
  let escapedPath: string;
  if (PATH_OK.test(rawPath)) escapedPath = rawPath;
  else {
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      throw new BuiltinEvalError(B, `parse ${JSON.stringify(raw)}: invalid URL escape`);
    }
    escapedPath = escapePath(decoded);
  }
  return { host, escapedPath, rawQuery: m[4] ?? '' };
}

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, msg: string): Buffer => createHmac('sha256', key).update(msg, 'utf8').digest();

/** Go's time.Format("20060102T150405Z") in UTC, from nanoseconds. */
function amzDate(ns: number): string {
  const d = new Date(Math.floor(ns / 1e6));
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

const signReq: HostBuiltin = (reqArg, configArg, timeArg) => {
  if (!isObject(reqArg)) throw new OperandTypeError(B, 1, reqArg, 'object');
  if (!isObject(configArg)) throw new OperandTypeError(B, 1, configArg, 'object');
  const config: JsonObject = configArg;
  const missingAws = REQUIRED_AWS_KEYS.filter((k) => !(k in config));
  if (missingAws.length) throw operandError(2, `missing required AWS config parameters(s): ${goSet(missingAws)}`);
  const invalidAws = REQUIRED_AWS_KEYS.filter((k) => typeof config[k] !== 'string');
  if (invalidAws.length) throw operandError(2, `invalid values for required AWS config parameters(s): ${goSet(invalidAws)}`);
  const service = config.aws_service as string;
  const accessKey = config.aws_access_key as string;
  const secretKey = config.aws_secret_access_key as string;
  const region = config.aws_region as string;
  const sessionToken = typeof config.aws_session_token === 'string' ? config.aws_session_token : '';

  if (typeof timeArg !== 'number') throw new OperandTypeError(B, 1, timeArg, 'number');
  // OPA needs an int64 text; the SDK hands us a double, so fractions and (unlike
  // OPA, which accepts `-1` but not `-1e9`) negative times are refused.
  if (!Number.isInteger(timeArg) || timeArg < 0 || timeArg > 2 ** 63) throw operandError(3, 'could not convert time_ns value into a unix timestamp');

  const req: JsonObject = reqArg;
  const invalidKeys = Object.keys(req).filter((k) => !ALLOWED_REQUEST_KEYS.has(k));
  if (invalidKeys.length) throw operandError(1, `invalid request parameters(s): ${goSet(invalidKeys)}`);
  const missing = ['method', 'url'].filter((k) => !(k in req));
  if (missing.length) throw operandError(1, `missing required request parameters(s): ${goSet(missing)}`);

  let headers: JsonObject = {};
  if ('headers' in req) {
    if (!isObject(req.headers)) throw new OperandTypeError(B, 0, req.headers, 'object');
    headers = req.headers;
  }
  const invalid = ['url', 'method'].filter((k) => typeof req[k] !== 'string');
  if (invalid.length) throw operandError(1, `invalid values for required request parameters(s): ${goSet(invalid)}`);
  const url = parseUrl(req.url as string);
  const method = req.method as string;

  let body: Buffer;
  if ('raw_body' in req) body = Buffer.from(typeof req.raw_body === 'string' ? req.raw_body : '', 'utf8');
  else if ('body' in req) body = Buffer.from(goMarshal(req.body as JsonValue, '', undefined), 'utf8');
  else body = Buffer.alloc(0);

  let disablePayloadSigning = false;
  if ('disable_payload_signing' in config) {
    if (typeof config.disable_payload_signing !== 'boolean') throw operandError(2, "invalid value for 'disable_payload_signing' in AWS config");
    disablePayloadSigning = config.disable_payload_signing;
  }

  // objectToMap: non-string values become "".
  const headerMap = new Map<string, string>(Object.entries(headers).map(([k, v]) => [k, typeof v === 'string' ? v : '']));
  const contentSha256 = disablePayloadSigning ? 'UNSIGNED-PAYLOAD' : sha256Hex(body);
  const iso = amzDate(timeArg);
  const date = iso.slice(0, 8);
  const awsHeaders: Record<string, string> = { host: url.host, 'x-amz-date': iso };
  if (service === 's3' || service === 'glacier') awsHeaders['x-amz-content-sha256'] = contentSha256;
  if (sessionToken !== '') awsHeaders['x-amz-security-token'] = sessionToken;

  const toSign = new Map<string, string>(Object.entries(awsHeaders));
  for (const [k, v] of headerMap) {
    const lower = k.toLowerCase();
    if (!IGNORED_HEADERS.has(lower)) toSign.set(lower, v);
  }
  const ordered = [...toSign.keys()].sort();
  const signedHeaders = ordered.join(';');
  const canonical = `${method}\n${url.escapedPath}\n${url.rawQuery}\n${ordered.map((k) => `${k}:${toSign.get(k)}\n`).join('')}\n${signedHeaders}\n${contentSha256}`;
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${iso}\n${scope}\n${sha256Hex(canonical)}`;
  const key = hmac(hmac(hmac(hmac(`AWS4${secretKey}`, date), region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');

  const outHeaders: JsonObject = Object.fromEntries(headerMap);
  outHeaders.Authorization = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;
  for (const [k, v] of Object.entries(awsHeaders)) outHeaders[k] = v;
  return { ...req, headers: outHeaders };
};

export const awsBuiltins: Record<string, HostBuiltin> = { 'providers.aws.sign_req': signReq };
