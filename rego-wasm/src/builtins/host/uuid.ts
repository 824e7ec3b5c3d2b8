/** uuid.rfc4122 and uuid.parse (OPA's uuid.go over google/uuid). */
import { randomUUID } from 'node:crypto';
import { evaluationCache } from './evaluation';
import { str } from './operands';
import type { HostBuiltin, JsonObject } from './types';

/** Gregorian epoch (1582-10-15) to Unix epoch, in 100 ns ticks. */
const GREGORIAN_OFFSET = 0x01b21dd213814000n;

/** A fresh random v4 UUID, the same one for the same key within one evaluation (like OPA). */
const rfc4122: HostBuiltin = (key) => {
  const k = str('uuid.rfc4122', key, 1);
  return evaluationCache('uuid.rfc4122', k, () => randomUUID());
};

function uuidBytes(s: string): Uint8Array | undefined {
  let t = s;
  if (t.length === 36 + 9 && t.toLowerCase().startsWith('urn:uuid:')) t = t.slice(9);
  else if (t.length === 38 && t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  let hex: string;
  if (t.length === 36) {
    if (t[8] !== '-' || t[13] !== '-' || t[18] !== '-' || t[23] !== '-') return undefined;
    hex = t.replace(/-/g, '');
  } else if (t.length === 32) hex = t;
  else return undefined;
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function variantName(b8: number): string {
  if ((b8 & 0xc0) === 0x80) return 'RFC4122';
  if ((b8 & 0xe0) === 0xc0) return 'Microsoft';
  if ((b8 & 0xe0) === 0xe0) return 'Future';
  return 'Reserved';
}

const parse: HostBuiltin = (value) => {
  if (typeof value !== 'string') return undefined;
  const b = uuidBytes(value);
  if (!b) return undefined;
  const at = (i: number): number => b[i] ?? 0;
  const version = at(6) >> 4;
  const out: JsonObject = { version, variant: variantName(at(8)) };
  if (version === 1 || version === 2) {
    const timeLow = BigInt(((at(0) << 24) >>> 0) + (at(1) << 16) + (at(2) << 8) + at(3));
    const timeMid = BigInt((at(4) << 8) | at(5));
    const timeHi = BigInt(((at(6) << 8) | at(7)) & 0x0fff);
    const ticks = (timeHi << 48n) | (timeMid << 32n) | timeLow;
    out.time = Number((ticks - GREGORIAN_OFFSET) * 100n);
    out.clocksequence = ((at(8) & 0x3f) << 8) | at(9);
    const node = Array.from(b.subarray(10, 16), (x) => x.toString(16).padStart(2, '0'));
    out.nodeid = node.join('-');
    out.macvariables = `${at(10) & 0x02 ? 'local' : 'global'}:${at(10) & 0x01 ? 'multicast' : 'unicast'}`;
    if (version === 2) {
      out.id = Number(timeLow);
      const domain = at(9);
      out.domain = domain === 0 ? 'Person' : domain === 1 ? 'Group' : domain === 2 ? 'Org' : `Domain${domain}`;
    }
  }
  return out;
};

export const uuidBuiltins: Record<string, HostBuiltin> = {
  'uuid.rfc4122': rfc4122,
  'uuid.parse': parse,
};
