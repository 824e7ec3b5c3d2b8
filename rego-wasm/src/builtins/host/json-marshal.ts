/** json.marshal_with_options: Go's json.MarshalIndent output (sorted keys, HTML-safe escapes). */
import { BuiltinEvalError, OperandTypeError } from './errors';
import { isObject } from './operands';
import type { HostBuiltin, JsonValue } from './types';

const NAME = 'json.marshal_with_options';

/** Go's encoding/json string escaping (HTMLEscape on: <, >, & and U+2028/2029 as \u). */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new BuiltinEvalError(NAME, 'unsupported number');
  return JSON.stringify(n);
}

/** Go's json.Marshal / MarshalIndent (prefix applies after each newline, not before the first line). */
export function goMarshal(v: JsonValue, prefix: string, indent: string | undefined, depth = 0): string {
  const nl = (d: number): string => (indent === undefined ? '' : `\n${prefix}${indent.repeat(d)}`);
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'string') return goJsonString(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${v.map((e) => nl(depth + 1) + goMarshal(e, prefix, indent, depth + 1)).join(',')}${nl(depth)}]`;
  }
  const keys = Object.keys(v).sort();
  if (keys.length === 0) return '{}';
  const sep = indent === undefined ? ':' : ': ';
  return `{${keys.map((k) => `${nl(depth + 1)}${goJsonString(k)}${sep}${goMarshal(v[k] as JsonValue, prefix, indent, depth + 1)}`).join(',')}${nl(depth)}}`;
}

const marshalWithOptions: HostBuiltin = (x, options) => {
  if (x === undefined) return undefined;
  if (!isObject(options)) throw new OperandTypeError(NAME, 2, options, 'object');
  let pretty: boolean | undefined;
  let prefix = '';
  let indent = '\t';
  let sawLayout = false;
  for (const [k, v] of Object.entries(options)) {
    switch (k) {
      case 'pretty':
        if (typeof v !== 'boolean') throw new OperandTypeError(NAME, 2, v, 'boolean');
        pretty = v;
        break;
      case 'prefix':
        if (typeof v !== 'string') throw new OperandTypeError(NAME, 2, v, 'string');
        prefix = v;
        sawLayout = true;
        break;
      case 'indent':
        if (typeof v !== 'string') throw new OperandTypeError(NAME, 2, v, 'string');
        indent = v;
        sawLayout = true;
        break;
      default:
        throw new BuiltinEvalError(NAME, `object contained unknown key ${JSON.stringify(k)}`);
    }
  }
  if (!(pretty ?? sawLayout)) return goMarshal(x, '', undefined);
  return prefix + goMarshal(x, prefix, indent);
};

export const jsonMarshalBuiltins: Record<string, HostBuiltin> = { 'json.marshal_with_options': marshalWithOptions };
