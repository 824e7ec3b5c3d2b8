/**
 * Values as Go's `encoding/json` marshals them, with big integers (`*big.Int`)
 * kept exact: built as `GoValue` trees, returned as `ExactJson` when a bigint
 * is inside, as plain JSON otherwise.
 */
import { ExactJson, type JsonValue } from './types';

export type GoValue = null | boolean | number | bigint | string | GoValue[] | { [key: string]: GoValue };

function text(v: GoValue): string {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(text).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${text(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function approx(v: GoValue): JsonValue {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(approx);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, approx(x)]));
  return v;
}

function hasBigInt(v: GoValue): boolean {
  if (typeof v === 'bigint') return true;
  if (Array.isArray(v)) return v.some(hasBigInt);
  if (v !== null && typeof v === 'object') return Object.values(v).some(hasBigInt);
  return false;
}

export function goJson(v: GoValue): JsonValue | ExactJson {
  return hasBigInt(v) ? new ExactJson(text(v), approx(v)) : approx(v);
}

/** Go marshals `[]byte` as standard base64 and a nil slice as null. */
export function goBytes(b: Uint8Array | ArrayBuffer | undefined): string | null {
  if (b === undefined) return null;
  return Buffer.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b).toString('base64');
}

/** A big-endian unsigned integer. */
export function bigFromBytes(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`);
}
