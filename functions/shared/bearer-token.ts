/**
 * Strict `Authorization: Bearer <jwt>` parsing (RFC 6750 §2.1, scheme
 * case-insensitive per RFC 7235). Only the header is accepted: no query or
 * form tokens.
 */
import { MalformedAuthorizationError, MissingTokenError } from './errors';

/** Compact JWS (RFC 7515 §7.1): three base64url parts WITHOUT padding (§2), so one token has one spelling. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/**
 * The well-formed header in one scan: `Bearer` (any case), spaces, a compact
 * JWT. Only ASCII can match, so its length is its byte count. Anything else
 * takes the step-by-step checks, which name what is wrong.
 */
const WELL_FORMED = /^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Each part is canonical base64url: it re-encodes to itself. This refuses a
 * length of 1 mod 4 and non-zero unused bits in the last character, which
 * decoders ignore (`...Q` and `...R` would be the same signature), so a
 * token cannot be re-spelt into a new cache key or past a string blocklist.
 * Checked on the length and the last character alone (a decode and
 * re-encode of the whole token cost more than the rest of the request
 * mapping); `token` must already be base64url characters and dots.
 */
function isCanonicalJws(token: string): boolean {
  for (const part of token.split('.')) {
    const rest = part.length % 4;
    if (rest === 1) return false;
    // 2 characters carry 1 byte (4 bits unused), 3 carry 2 bytes (2 bits unused).
    if (rest !== 0 && (BASE64URL.indexOf(part.charAt(part.length - 1)) & (rest === 2 ? 0b1111 : 0b11)) !== 0) return false;
  }
  return true;
}

export type HeaderMap = Readonly<Record<string, string | undefined>> | null | undefined;
export type MultiHeaderMap = Readonly<Record<string, readonly string[] | undefined>> | null | undefined;

/** All values of a header, case-insensitively, from single- and multi-value maps. */
export function headerValues(name: string, headers: HeaderMap, multi?: MultiHeaderMap): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  if (multi) {
    for (const [key, values] of Object.entries(multi)) {
      if (key.toLowerCase() !== wanted || !values) continue;
      out.push(...values);
    }
  }
  if (out.length === 0 && headers) {
    for (const [key, v] of Object.entries(headers)) {
      if (key.toLowerCase() === wanted && v !== undefined) out.push(v);
    }
  }
  return out;
}

/**
 * The JWT from the Authorization header value(s).
 * @throws MissingTokenError when there is no header
 * @throws MalformedAuthorizationError when it is not exactly one `Bearer <jwt>` within `maxBytes`
 */
export function extractBearerToken(values: readonly string[], maxBytes: number): string {
  if (values.length === 0) throw new MissingTokenError('no Authorization header');
  if (values.length > 1) throw new MalformedAuthorizationError('more than one Authorization header');
  const header = values[0];
  if (header.length <= maxBytes) {
    const fast = WELL_FORMED.exec(header);
    if (fast && isCanonicalJws(fast[1])) return fast[1];
  }
  if (header.trim() === '') throw new MissingTokenError('empty Authorization header');
  // Stryker disable next-line StringLiteral: equivalent, Buffer.byteLength counts UTF-8 for an empty or unknown encoding
  if (Buffer.byteLength(header, 'utf8') > maxBytes) {
    throw new MalformedAuthorizationError(`Authorization header longer than ${maxBytes} bytes`);
  }
  const match = /^([A-Za-z]+) +(\S+)$/.exec(header.trim());
  if (!match) throw new MalformedAuthorizationError('Authorization header is not "<scheme> <credentials>"');
  if (match[1].toLowerCase() !== 'bearer') throw new MalformedAuthorizationError(`unsupported scheme ${match[1].slice(0, 20)}`);
  const token = match[2];
  if (!JWT_SHAPE.test(token)) throw new MalformedAuthorizationError('bearer credentials are not a compact JWT (base64url without padding)');
  if (!isCanonicalJws(token)) throw new MalformedAuthorizationError('bearer credentials are not canonical base64url');
  return token;
}
