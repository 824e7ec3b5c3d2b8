/**
 * glob.match and glob.quote_meta with the semantics of github.com/gobwas/glob
 * (what OPA uses): `*` = any run of non-delimiter characters, `**` = any run,
 * `?` = one non-delimiter character, `[abc]` `[!abc]` `[a-z]` `[!a-z]`,
 * `{alt1,alt2}` (nestable), `\` escapes. The glob is translated to an RE2
 * expression, so matching is linear-time on any input.
 */
import { BuiltinEvalError, OperandTypeError } from './errors';
import { str } from './operands';
import { compileRegex } from './re2';
import type { HostBuiltin } from './types';

const BUILTIN = 'glob.match';

/** A code point as RE2 text: letters and digits as is, anything else as \\x{..}. */
function esc(cp: number): string {
  const ch = String.fromCodePoint(cp);
  return /^[A-Za-z0-9]$/.test(ch) ? ch : `\\x{${cp.toString(16)}}`;
}

/** Globs longer than this are rejected before translation. */
export const MAX_GLOB_LENGTH = 16 * 1024;

/** Translate a gobwas glob into an anchored RE2 pattern. */
export function globToRegex(pattern: string, delimiters: readonly number[]): string {
  if (pattern.length > MAX_GLOB_LENGTH) throw new BuiltinEvalError(BUILTIN, 'glob pattern too long');
  const cps = Array.from(pattern, (c) => c.codePointAt(0) ?? 0);
  let i = 0;
  let depth = 0;
  const sepClass = delimiters.length ? `[^${delimiters.map(esc).join('')}]` : '(?s:.)';
  const fail = (msg: string): never => {
    throw new BuiltinEvalError(BUILTIN, `${msg} in glob ${JSON.stringify(pattern)}`);
  };
  const isChar = (c: number | undefined, ch: string): boolean => c === ch.codePointAt(0);

  function range(): string {
    // after '['
    let negate = false;
    if (isChar(cps[i], '!')) {
      negate = true;
      i++;
    }
    const readChar = (): number => {
      if (i >= cps.length) fail('unexpected end of input');
      let c = cps[i++] ?? 0;
      if (isChar(c, '\\')) {
        if (i >= cps.length) fail('unexpected end of input');
        c = cps[i++] ?? 0;
      }
      return c;
    };
    if (isChar(cps[i], ']')) fail('empty character range');
    const lo = readChar();
    if (isChar(cps[i], '-')) {
      i++;
      if (i >= cps.length) fail('unexpected end of input');
      const hi = cps[i++] ?? 0;
      if (!isChar(cps[i], ']')) fail('expected close range character');
      i++;
      if (hi < lo) fail('invalid character range');
      return `[${negate ? '^' : ''}${esc(lo)}-${esc(hi)}]`;
    }
    const list = [lo];
    while (!isChar(cps[i], ']')) list.push(readChar());
    i++;
    return `[${negate ? '^' : ''}${list.map(esc).join('')}]`;
  }

  function sequence(): string {
    let out = '';
    while (i < cps.length) {
      const c = cps[i] ?? 0;
      if (depth > 0 && (isChar(c, ',') || isChar(c, '}'))) return out;
      i++;
      if (isChar(c, '*')) {
        if (isChar(cps[i], '*')) {
          i++;
          out += '(?s:.*)';
        } else out += `${sepClass}*`;
      } else if (isChar(c, '?')) out += sepClass;
      else if (isChar(c, '[')) out += range();
      else if (isChar(c, '{')) {
        depth++;
        const alts: string[] = [sequence()];
        while (isChar(cps[i], ',')) {
          i++;
          alts.push(sequence());
        }
        if (!isChar(cps[i], '}')) fail('unexpected end of input');
        i++;
        depth--;
        out += `(?:${alts.join('|')})`;
      } else if (isChar(c, '\\')) {
        if (i >= cps.length) fail('trailing backslash');
        out += esc(cps[i++] ?? 0);
      } else out += esc(c);
    }
    return out;
  }

  const body = sequence();
  if (i < cps.length) fail('unexpected character');
  return `^(?:${body})$`;
}

function delimiterOperand(v: unknown): number[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new OperandTypeError(BUILTIN, 2, v, 'array', 'null');
  const out: number[] = [];
  for (const d of v) {
    if (typeof d !== 'string') throw new OperandTypeError(BUILTIN, 2, v, 'array of strings');
    for (const ch of d) out.push(ch.codePointAt(0) ?? 0);
  }
  return out.length ? out : ['.'.codePointAt(0) ?? 46];
}

const translated = new Map<string, string>();

const globMatch: HostBuiltin = (pattern, delimiters, value) => {
  const p = str(BUILTIN, pattern, 1);
  const delims = delimiterOperand(delimiters);
  const s = str(BUILTIN, value, 3);
  const key = `${delims.join(',')}\u0000${p}`;
  let re = translated.get(key);
  if (re === undefined) {
    re = globToRegex(p, delims);
    if (translated.size >= 100) translated.clear();
    translated.set(key, re);
  }
  return compileRegex(re).test(s);
};

/** gobwas `QuoteMeta`: escape `* ? \ [ ] { }`. */
const quoteMeta: HostBuiltin = (pattern) => str('glob.quote_meta', pattern, 1).replace(/[*?\\[\]{}]/g, '\\$&');

export const globBuiltins: Record<string, HostBuiltin> = {
  'glob.match': globMatch,
  'glob.quote_meta': quoteMeta,
};
