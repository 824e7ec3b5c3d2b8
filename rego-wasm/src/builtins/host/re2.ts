/**
 * Go `regexp` (RE2 syntax, linear-time matching) on top of the pure-JS RE2
 * port `re2js`, with a bounded compile cache like OPA's (100 entries).
 */
import type { RE2JS } from 're2js';

type Re2Module = typeof import('re2js');
let re2Module: Re2Module | undefined;

/** re2js (and its Unicode tables) load on the first regex, not at cold start. */
function re2(): Re2Module {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  re2Module ??= require('re2js') as Re2Module;
  return re2Module;
}

/** Patterns longer than this are rejected before compiling. */
export const MAX_PATTERN_LENGTH = 64 * 1024;
const CACHE_SIZE = 100;
const cache = new Map<string, RE2JS>();

export class RegexSyntaxError extends Error {}

/** Compile (or fetch from cache) a Go-syntax regular expression; throws RegexSyntaxError. */
export function compileRegex(pattern: string): RE2JS {
  const hit = cache.get(pattern);
  if (hit) return hit;
  if (pattern.length > MAX_PATTERN_LENGTH) throw new RegexSyntaxError('pattern too long');
  let re: RE2JS;
  try {
    re = re2().RE2JS.compile(pattern);
  } catch (e) {
    throw new RegexSyntaxError(e instanceof Error ? e.message : String(e));
  }
  if (cache.size >= CACHE_SIZE) {
    const first = cache.keys().next();
    if (!first.done) cache.delete(first.value);
  }
  cache.set(pattern, re);
  return re;
}

/** Go's `regexp.QuoteMeta`. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** Go's FindAll…Index: flat [start0,end0,start1,end1,…] per match (UTF-16 offsets, -1 unmatched). */
export function findAllSubmatchIndex(re: RE2JS, s: string, n: number): number[][] {
  const out: unknown = re.re2().findAllSubmatchIndex(s, n);
  return Array.isArray(out) ? (out as number[][]) : [];
}

/** Go's `Regexp.Expand` for a string template (`$1`, `${1}`, `$name`, `${name}`, `$$`). */
export function expandTemplate(re: RE2JS, template: string, src: string, match: number[]): string {
  const names = re.namedGroups();
  let out = '';
  let t = template;
  for (;;) {
    const i = t.indexOf('$');
    if (i < 0) break;
    out += t.slice(0, i);
    t = t.slice(i + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ex = extractName(t);
    if (!ex) {
      out += '$';
      continue;
    }
    t = ex.rest;
    let group = ex.num;
    if (group < 0) group = Object.prototype.hasOwnProperty.call(names, ex.name) ? (names[ex.name] ?? -1) : -1;
    if (group >= 0 && 2 * group + 1 < match.length && (match[2 * group] ?? -1) >= 0) {
      out += src.slice(match[2 * group], match[2 * group + 1]);
    }
  }
  return out + t;
}

function extractName(str: string): { name: string; num: number; rest: string } | undefined {
  if (str === '') return undefined;
  let s = str;
  const brace = s[0] === '{';
  if (brace) s = s.slice(1);
  const m = /^[\p{L}\p{Nd}_]+/u.exec(s);
  if (!m) return undefined;
  const name = m[0];
  let i = name.length;
  if (brace) {
    if (s[i] !== '}') return undefined;
    i++;
  }
  let num = -1;
  if (/^[0-9]+$/.test(name) && !(name.length > 1 && name[0] === '0') && name.length <= 8) num = Number(name);
  return { name, num, rest: s.slice(i) };
}
