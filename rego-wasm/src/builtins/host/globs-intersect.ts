/**
 * regex.globs_match: do two "regexp-style globs" (github.com/yashtewari/glob-intersection
 * syntax) match a common non-empty string? Syntax: `.` any character, `[...]`
 * character sets with `a-z` ranges, `+` / `*` after a token, `\` escapes.
 * Both globs are anchored at both ends. Decided exactly by a breadth-first
 * search over the product of the two token automata (no backtracking).
 */
import { BuiltinEvalError } from './errors';
import { str } from './operands';
import type { HostBuiltin } from './types';

const BUILTIN = 'regex.globs_match';
/** Bound on the product search (tokens × tokens × 2). */
const MAX_TOKENS = 10_000;

type CharSet = { any: true } | { any: false; ranges: Array<[number, number]> };
interface Token {
  set: CharSet;
  flag: '' | '+' | '*';
}

export function tokenizeGlob(input: string): Token[] {
  const cps = Array.from(input, (c) => c.codePointAt(0) ?? 0);
  const tokens: Token[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new BuiltinEvalError(BUILTIN, `pos:${i}:${msg}`);
  };
  const next = (): { r: number; escaped: boolean } => {
    const c = cps[i] ?? 0;
    if (c === 0x5c) {
      if (i + 1 >= cps.length) fail('input ends with a \\ (escape) character');
      i += 2;
      return { r: cps[i - 1] ?? 0, escaped: true };
    }
    i++;
    return { r: c, escaped: false };
  };
  while (i < cps.length) {
    const { r, escaped } = next();
    let set: CharSet = { any: true };
    if (!escaped && r === 0x2e) set = { any: true };
    else if (!escaped && r === 0x5d) fail("set-close ']' with no preceding '['");
    else if (!escaped && (r === 0x2b || r === 0x2a)) fail(`flag '${String.fromCodePoint(r)}' must be preceded by a non-flag`);
    else if (!escaped && r === 0x5b) {
      const ranges: Array<[number, number]> = [];
      let prev: number | undefined;
      let complete = false;
      while (!complete && i < cps.length) {
        const c = next();
        if (!c.escaped && c.r === 0x2d) {
          if (prev === undefined) fail("range character '-' must be preceded by a Unicode character");
          if (i >= cps.length - 1) fail("range character '-' must be followed by a Unicode character");
          const hi = next();
          if (!hi.escaped && (hi.r === 0x5d || hi.r === 0x2d)) fail("range character '-' cannot be followed by a special symbol");
          if (prev !== undefined && hi.r < prev) fail('range is out of order');
          ranges.push([prev ?? 0, hi.r]);
          prev = undefined;
        } else if (!c.escaped && c.r === 0x5d) complete = true;
        else {
          ranges.push([c.r, c.r]);
          prev = c.r;
        }
      }
      if (!complete) fail('found [ without matching ]');
      set = { any: false, ranges };
    } else set = { any: false, ranges: [[r, r]] };
    let flag: Token['flag'] = '';
    const f = cps[i];
    if (f === 0x2b || f === 0x2a) {
      flag = f === 0x2b ? '+' : '*';
      i++;
    }
    tokens.push({ set, flag });
  }
  return tokens;
}

function overlaps(a: CharSet, b: CharSet): boolean {
  if (a.any) return b.any || b.ranges.length > 0;
  if (b.any) return a.ranges.length > 0;
  return a.ranges.some(([lo, hi]) => b.ranges.some(([lo2, hi2]) => lo <= hi2 && lo2 <= hi));
}

/** Epsilon closure of a token position: `*` tokens may be skipped. */
function closure(tokens: Token[], pos: number): number[] {
  const out = [pos];
  while (pos < tokens.length && tokens[pos]?.flag === '*') out.push(++pos);
  return out;
}

/** Positions reachable from `pos` by consuming one character of token `pos`. */
function afterConsume(tokens: Token[], pos: number): number[] {
  const t = tokens[pos];
  if (!t) return [];
  return t.flag === '' ? [pos + 1] : [pos, pos + 1];
}

export function globsIntersect(a: string, b: string): boolean {
  const g1 = tokenizeGlob(a);
  const g2 = tokenizeGlob(b);
  if (g1.length > MAX_TOKENS || g2.length > MAX_TOKENS) throw new BuiltinEvalError(BUILTIN, 'glob too long');
  const width = g2.length + 1;
  const seen = new Uint8Array((g1.length + 1) * width);
  const queue: number[] = [];
  // States are (i, j) after at least one consumed character; start by consuming the first.
  const step = (i0: number, j0: number): boolean => {
    for (const i of closure(g1, i0)) {
      for (const j of closure(g2, j0)) {
        const t1 = g1[i];
        const t2 = g2[j];
        if (!t1 || !t2 || !overlaps(t1.set, t2.set)) continue;
        for (const ni of afterConsume(g1, i)) {
          for (const nj of afterConsume(g2, j)) {
            const k = ni * width + nj;
            if (seen[k]) continue;
            seen[k] = 1;
            if (closure(g1, ni).includes(g1.length) && closure(g2, nj).includes(g2.length)) return true;
            queue.push(k);
          }
        }
      }
    }
    return false;
  };
  if (step(0, 0)) return true;
  for (let head = 0; head < queue.length; head++) {
    const k = queue[head] ?? 0;
    if (step(Math.floor(k / width), k % width)) return true;
  }
  return false;
}

const globsMatch: HostBuiltin = (a, b) => globsIntersect(str(BUILTIN, a, 1), str(BUILTIN, b, 2));

export const globsBuiltins: Record<string, HostBuiltin> = { 'regex.globs_match': globsMatch };
