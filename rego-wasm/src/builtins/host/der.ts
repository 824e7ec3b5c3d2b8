/**
 * Minimal DER reading for the x509 builtins: splitting concatenated
 * certificates and finding the raw bytes of TBS fields (Go keeps them as
 * `Raw*`). Structure is parsed by @peculiar/asn1-x509; this only slices.
 */

export class DerError extends Error {}

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the contents. */
  body: number;
  /** Offset just past the element. */
  end: number;
}

/** Reads one element at `at` (definite lengths only, as DER requires). */
export function readTlv(buf: Uint8Array, at: number, limit = buf.length): Tlv {
  if (at + 2 > limit) throw new DerError('asn1: syntax error: data truncated');
  const tag = buf[at];
  if ((tag & 0x1f) === 0x1f) throw new DerError('asn1: structure error: high-tag-number form not supported');
  let len = buf[at + 1];
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('asn1: structure error: length too large or indefinite');
    if (body + n > limit) throw new DerError('asn1: syntax error: data truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[body + i];
    body += n;
  }
  const end = body + len;
  if (end > limit) throw new DerError('asn1: syntax error: data truncated');
  return { tag, start: at, body, end };
}

/** The children of a constructed element. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.body; at < parent.end; ) {
    const t = readTlv(buf, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Consecutive top-level elements (Go's x509.ParseCertificates on concatenated DER). */
export function splitDer(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < buf.length; ) {
    const t = readTlv(buf, at);
    if (t.tag !== 0x30) throw new DerError('x509: malformed certificate');
    out.push(buf.subarray(t.start, t.end));
    at = t.end;
  }
  return out;
}

export const slice = (buf: Uint8Array, t: Tlv): Uint8Array => buf.subarray(t.start, t.end);
