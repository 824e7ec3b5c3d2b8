/**
 * The request path as the policies see it: split on `/`, each segment
 * percent-decoded exactly once, empty segments dropped. Anything that could
 * mean a different path to the backend than to the policy is refused here,
 * before any policy runs: `.`/`..` segments (raw or encoded), encoded
 * slashes or backslashes, NUL and control characters, double encoding
 * (`%25xx`), malformed escapes, over-long paths — and segments that a
 * lenient backend would turn into one of those: `..;x` / `.;x` (Tomcat, Jetty
 * and Spring strip `;` path parameters before resolving dot segments) and
 * Unicode compatibility forms (`．．`, `／`, `＼`) that NFKC normalisation turns
 * into dots or slashes.
 */
import { RequestRejectedError } from './errors';

const MAX_PATH_BYTES = 2048;
const MAX_PATH_SEGMENTS = 64;

/**
 * Only RFC 3986 unreserved characters between slashes: no `%`, `;`, control,
 * whitespace or non-ASCII character, so every segment decodes and normalises
 * to itself and only the dot-segment and count rules can apply. The usual
 * request takes this path; anything else takes the full checks below, which
 * give the same answer for these paths.
 */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9._~-]*)+$/;

export function pathSegments(rawPath: string): string[] {
  if (rawPath.length <= MAX_PATH_BYTES && PLAIN_PATH.test(rawPath)) return plainSegments(rawPath);
  return checkedSegments(rawPath);
}

/** Every rule, for any path (exported so tests can hold the plain-path shortcut to it). */
export function checkedSegments(rawPath: string): string[] {
  if (Buffer.byteLength(rawPath, 'utf8') > MAX_PATH_BYTES) {
    throw new RequestRejectedError('path_too_long', `path longer than ${MAX_PATH_BYTES} bytes`);
  }
  if (!rawPath.startsWith('/')) throw new RequestRejectedError('bad_path', 'path does not start with /');
  if (rawPath.includes('?') || rawPath.includes('#')) throw new RequestRejectedError('bad_path', 'path carries a query or fragment');
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    if (/%2f|%5c/i.test(raw)) throw new RequestRejectedError('encoded_slash', 'encoded slash or backslash in path');
    if (/%25[0-9a-f]{2}/i.test(raw)) throw new RequestRejectedError('double_encoding', 'double percent-encoding in path');
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new RequestRejectedError('bad_encoding', 'malformed percent-encoding in path');
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(segment)) throw new RequestRejectedError('control_character', 'NUL or control character in path');
    refuseSlashOrDotSegment(segment);
    segments.push(segment);
  }
  return limitSegmentCount(segments);
}

function plainSegments(rawPath: string): string[] {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '') continue;
    if (segment === '.' || segment === '..') throw new RequestRejectedError('dot_segment', 'dot segment in path');
    segments.push(segment);
  }
  return limitSegmentCount(segments);
}

function limitSegmentCount(segments: string[]): string[] {
  if (segments.length > MAX_PATH_SEGMENTS) throw new RequestRejectedError('path_too_long', `more than ${MAX_PATH_SEGMENTS} path segments`);
  return segments;
}

/**
 * A decoded segment that holds a path separator or is a dot segment, or that
 * some backend stack would read as one: NFKC normalisation turns `／`, `＼`
 * into `/`, `\` and `．．` into `..`; Tomcat, Jetty and Spring strip `;params`
 * (and some servers whitespace) before resolving dot segments. The plain forms
 * (`/`, `\`, `.`, `..`) are the same check: normalising them changes nothing.
 */
function refuseSlashOrDotSegment(segment: string): void {
  const normalised = segment.normalize('NFKC');
  if (normalised.includes('/') || normalised.includes('\\')) {
    throw new RequestRejectedError('encoded_slash', 'slash or backslash in a segment (decoded, or after Unicode normalisation)');
  }
  const beforeParams = normalised.split(';')[0].trim();
  if (beforeParams === '.' || beforeParams === '..') {
    throw new RequestRejectedError('dot_segment', 'dot segment in path (plain, or behind ;params, whitespace or a Unicode form)');
  }
}
