/** strings.* builtins that OPA delegates to the host. */
import { OperandTypeError } from './errors';
import { str } from './operands';
import type { HostBuiltin, JsonValue } from './types';

/** A string, or an array/set of strings (OPA's error wording for each case). */
function stringsOperand(builtin: string, v: JsonValue | undefined, pos: number): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) throw new OperandTypeError(builtin, pos, v, 'one of {string, set, array}');
  return v.map((e) => {
    if (typeof e !== 'string') throw new OperandTypeError(builtin, pos, v, 'array of strings');
    return e;
  });
}

const anyPrefixMatch: HostBuiltin = (search, base) => {
  const name = 'strings.any_prefix_match';
  const ss = stringsOperand(name, search, 1);
  const ps = stringsOperand(name, base, 2);
  return ss.some((s) => ps.some((p) => s.startsWith(p)));
};

const anySuffixMatch: HostBuiltin = (search, base) => {
  const name = 'strings.any_suffix_match';
  const ss = stringsOperand(name, search, 1);
  const ps = stringsOperand(name, base, 2);
  return ss.some((s) => ps.some((p) => s.endsWith(p)));
};

/** Go's strings.Count: non-overlapping occurrences; "" counts code points + 1. */
const count: HostBuiltin = (search, substring) => {
  const s = str('strings.count', search, 1);
  const sub = str('strings.count', substring, 2);
  if (sub === '') return Array.from(s).length + 1;
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
};

export const stringBuiltins: Record<string, HostBuiltin> = {
  'strings.any_prefix_match': anyPrefixMatch,
  'strings.any_suffix_match': anySuffixMatch,
  'strings.count': count,
};
