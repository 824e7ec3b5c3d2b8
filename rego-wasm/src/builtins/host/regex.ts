/** regex.* builtins with Go `regexp` semantics (see re2.ts). */
import { BuiltinEvalError } from './errors';
import { int, str } from './operands';
import { compileRegex, expandTemplate, findAllSubmatchIndex, quoteMeta, RegexSyntaxError } from './re2';
import type { HostBuiltin, JsonValue } from './types';
import type { RE2JS } from 're2js';

function regexOperand(builtin: string, v: JsonValue | undefined, pos = 1): RE2JS {
  const pattern = str(builtin, v, pos);
  try {
    return compileRegex(pattern);
  } catch (e) {
    throw new BuiltinEvalError(builtin, e instanceof Error ? e.message : String(e));
  }
}

const isValid: HostBuiltin = (pattern) => {
  if (typeof pattern !== 'string') return false;
  try {
    compileRegex(pattern);
    return true;
  } catch (e) {
    if (e instanceof RegexSyntaxError) return false;
    throw e;
  }
};

const match: HostBuiltin = (pattern, value) => {
  const re = regexOperand('regex.match', pattern);
  return re.test(str('regex.match', value, 2));
};

const findN: HostBuiltin = (pattern, value, n) => {
  const re = regexOperand('regex.find_n', pattern);
  const s = str('regex.find_n', value, 2);
  const limit = int('regex.find_n', n, 3);
  return findAllSubmatchIndex(re, s, limit).map((m) => s.slice(m[0], m[1]));
};

const findAllStringSubmatchN: HostBuiltin = (pattern, value, n) => {
  const name = 'regex.find_all_string_submatch_n';
  const re = regexOperand(name, pattern);
  const s = str(name, value, 2);
  const limit = int(name, n, 3);
  return findAllSubmatchIndex(re, s, limit).map((m) => {
    const groups: string[] = [];
    for (let g = 0; g + 1 < m.length; g += 2) {
      const a = m[g] ?? -1;
      groups.push(a >= 0 ? s.slice(a, m[g + 1]) : '');
    }
    return groups;
  });
};

/** Go's `ReplaceAllString`: `$1`/`${name}` in the replacement expand to groups. */
const replace: HostBuiltin = (base, pattern, value) => {
  const s = str('regex.replace', base, 1);
  const re = regexOperand('regex.replace', pattern, 2);
  const repl = str('regex.replace', value, 3);
  let out = '';
  let last = 0;
  for (const m of findAllSubmatchIndex(re, s, -1)) {
    const start = m[0] ?? 0;
    const end = m[1] ?? 0;
    out += s.slice(last, start) + expandTemplate(re, repl, s, m);
    last = end;
  }
  return out + s.slice(last);
};

/** OPA's regex template (forked from gorilla/mux): text outside delimiters is literal. */
export function compileRegexTemplate(builtin: string, tpl: string, open: string, close: string): RE2JS {
  const idxs: number[] = [];
  let level = 0;
  let idx = 0;
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl[i];
    if (c === open) {
      if (++level === 1) idx = i;
    } else if (c === close) {
      if (--level === 0) idxs.push(idx, i + 1);
      else if (level < 0) throw new BuiltinEvalError(builtin, `unbalanced braces in ${JSON.stringify(tpl)}`);
    }
  }
  if (level !== 0) throw new BuiltinEvalError(builtin, `unbalanced braces in ${JSON.stringify(tpl)}`);
  let pattern = '^';
  let end = 0;
  for (let i = 0; i < idxs.length; i += 2) {
    const raw = tpl.slice(end, idxs[i]);
    end = idxs[i + 1] ?? 0;
    const inner = tpl.slice((idxs[i] ?? 0) + 1, end - 1);
    try {
      compileRegex(`^${inner}$`);
    } catch (e) {
      throw new BuiltinEvalError(builtin, e instanceof Error ? e.message : String(e));
    }
    pattern += `${quoteMeta(raw)}(${inner})`;
  }
  pattern += `${quoteMeta(tpl.slice(end))}$`;
  try {
    return compileRegex(pattern);
  } catch (e) {
    throw new BuiltinEvalError(builtin, e instanceof Error ? e.message : String(e));
  }
}

const templateMatch: HostBuiltin = (template, value, start, end) => {
  const name = 'regex.template_match';
  const tpl = str(name, template, 1);
  const s = str(name, value, 2);
  const open = str(name, start, 3);
  const close = str(name, end, 4);
  if (open.length !== 1) throw new BuiltinEvalError(name, 'start delimiter has to be exactly one character long');
  if (close.length !== 1) throw new BuiltinEvalError(name, 'end delimiter has to be exactly one character long');
  return compileRegexTemplate(name, tpl, open, close).test(s);
};

export const regexBuiltins: Record<string, HostBuiltin> = {
  'regex.is_valid': isValid,
  'regex.match': match,
  re_match: match,
  'regex.find_n': findN,
  'regex.find_all_string_submatch_n': findAllStringSubmatchN,
  'regex.replace': replace,
  'regex.template_match': templateMatch,
};
