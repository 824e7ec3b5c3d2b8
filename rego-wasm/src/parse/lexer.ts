/**
 * Rego tokenizer (modelled on OPA's `v1/ast/internal/scanner`). The whole source is tokenized
 * up front; each token records whether whitespace / a newline preceded it, which is all the
 * whitespace-sensitivity the parser needs (`a.b` vs `a .b`, newline-separated body expressions).
 * Template strings (`$"..{expr}.."`) are tokenized with a context stack so the expression tokens
 * sit between the template-part tokens, exactly as OPA's scanner hands them to its parser.
 */
import type { Comment } from './ast';

export type TokenKind =
  | 'illegal'
  | 'eof'
  | 'ident'
  | 'number'
  | 'string'
  /** A template-string part; `value` is the decoded text, `tmplEnd` tells if it closes the string. */
  | 'template'
  // keywords
  | 'package' | 'import' | 'as' | 'default' | 'else' | 'not' | 'some' | 'with' | 'null' | 'true' | 'false'
  | 'in' | 'every' | 'contains' | 'if'
  // punctuation and operators (named as OPA names its tokens in error messages)
  | '[' | ']' | '{' | '}' | '(' | ')' | ',' | ':' | '.' | ';'
  | 'plus' | 'minus' | 'mul' | 'div' | 'rem' | 'and' | 'or'
  | 'eq' | 'equal' | 'assign' | 'neq' | 'gt' | 'lt' | 'gte' | 'lte';

export interface Token {
  kind: TokenKind;
  /** Source text of the token. */
  lit: string;
  /** Decoded value for strings / template parts. */
  value?: string;
  /** Raw (backtick) string or template. */
  raw?: boolean;
  tmplEnd?: boolean;
  row: number;
  col: number;
  /** Start / end offsets into the source string (UTF-16 indices). */
  offset: number;
  end: number;
  /** Whitespace (or a comment) precedes this token. */
  ws: boolean;
  /** A newline precedes this token (since the previous token). */
  nl: boolean;
  /** Scanner error for `illegal` tokens, in OPA's words. */
  error?: string;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'package', 'import', 'as', 'default', 'else', 'not', 'some', 'with', 'null', 'true', 'false',
  'in', 'every', 'contains', 'if',
]);

const OPS2: Record<string, TokenKind> = { ':=': 'assign', '==': 'equal', '!=': 'neq', '>=': 'gte', '<=': 'lte' };
const OPS1: Record<string, TokenKind> = {
  '[': '[', ']': ']', '{': '{', '}': '}', '(': '(', ')': ')', ',': ',', ':': ':', '.': '.', ';': ';',
  '+': 'plus', '-': 'minus', '*': 'mul', '/': 'div', '%': 'rem', '&': 'and', '|': 'or',
  '=': 'eq', '>': 'gt', '<': 'lt',
};

function isLetter(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isDecimal(c: string): boolean {
  return c >= '0' && c <= '9';
}
function isDigit(c: string): boolean {
  return isDecimal(c) || (c.charCodeAt(0) >= 0x80 && /\p{Nd}/u.test(c));
}

/** Decodes a JSON-style escaped string body (without quotes); throws on bad escapes. */
export function unescapeString(body: string): string {
  return JSON.parse(`"${body}"`) as string;
}

interface TemplateCtx {
  raw: boolean;
  depth: number;
}

export interface LexResult {
  tokens: Token[];
  comments: Comment[];
}

export function tokenize(src: string, file: string): LexResult {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  let i = 0;
  let row = 1;
  let col = 1;
  // skip a leading byte-order mark
  if (src.charCodeAt(0) === 0xfeff) i = 1;
  const lineStart = { i };
  let ws = false;
  let nl = false;
  const stack: TemplateCtx[] = [];

  const charAt = (k: number): string => (k < src.length ? src[k] : '');
  /** Advance over one code point, keeping row/col in code points as OPA does. */
  const advance = (): void => {
    const c = src.charCodeAt(i);
    if (c === 10) {
      row++;
      col = 1;
      i++;
      lineStart.i = i;
      return;
    }
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < src.length ? 2 : 1;
    col++;
  };
  const push = (t: Omit<Token, 'ws' | 'nl'>): Token => {
    const tok = t as Token;
    tok.ws = ws;
    tok.nl = nl;
    tokens.push(tok);
    ws = false;
    nl = false;
    return tok;
  };

  /** Scan a template-string part starting at i (just after `$"`, `$\``, or the closing `}`). */
  const scanTemplatePart = (raw: boolean, startOffset: number, startRow: number, startCol: number): void => {
    let text = '';
    let error: string | undefined;
    let end = false;
    for (;;) {
      const c = charAt(i);
      if (c === '' || (!raw && c === '\n')) {
        error = 'non-terminated string';
        break;
      }
      advance();
      if (c === (raw ? '`' : '"')) {
        end = true;
        break;
      }
      if (c === '{') break;
      if (c === '\\') {
        const n = charAt(i);
        if (n === '{') {
          text += '{';
          advance();
          continue;
        }
        if (raw) {
          text += c;
          continue;
        }
        if ('\\"/bfnrt'.includes(n) && n !== '') {
          text += c + n;
          advance();
          continue;
        }
        if (n === 'u') {
          text += src.slice(i - 1, i + 5);
          for (let k = 0; k < 5; k++) advance();
          continue;
        }
        error = 'illegal escape sequence';
        continue;
      }
      text += c;
    }
    const lit = src.slice(startOffset, i);
    let value = text;
    if (!raw && !error && text.includes('\\')) {
      try {
        value = unescapeString(text);
      } catch {
        error = `illegal template-string part: ${lit}`;
      }
    }
    if (error) {
      push({ kind: 'illegal', lit, row: startRow, col: startCol, offset: startOffset, end: i, error });
      return;
    }
    push({ kind: 'template', lit, value, raw, tmplEnd: end, row: startRow, col: startCol, offset: startOffset, end: i });
    if (!end) stack.push({ raw, depth: 0 });
  };

  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (c === '\n') nl = true;
      ws = true;
      advance();
      continue;
    }
    const start = i;
    const sRow = row;
    const sCol = col;
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') advance();
      let text = src.slice(start + 1, i);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      comments.push({ text, location: { file, row: sRow, col: sCol, text: src.slice(start, i), offset: start } });
      ws = true;
      continue;
    }
    if (isLetter(c)) {
      while (i < src.length && (isLetter(src[i]) || isDigit(src[i]))) advance();
      const lit = src.slice(start, i);
      const kind: TokenKind = KEYWORDS.has(lit) ? (lit as TokenKind) : 'ident';
      push({ kind, lit, row: sRow, col: sCol, offset: start, end: i });
      continue;
    }
    if (isDecimal(c)) {
      let error: string | undefined;
      while (isDecimal(charAt(i))) advance();
      if (charAt(i) === '.') {
        advance();
        let found = false;
        while (isDecimal(charAt(i))) {
          advance();
          found = true;
        }
        if (!found) error = 'expected fraction';
      }
      if (charAt(i) === 'e' || charAt(i) === 'E') {
        advance();
        if (charAt(i) === '+' || charAt(i) === '-') advance();
        let found = false;
        while (isDecimal(charAt(i))) {
          advance();
          found = true;
        }
        if (!found) error = 'expected exponent';
      }
      if (isLetter(charAt(i))) {
        error = 'illegal number format';
        while (isLetter(charAt(i)) || isDigit(charAt(i))) advance();
      }
      const lit = src.slice(start, i);
      push({ kind: error ? 'illegal' : 'number', lit, row: sRow, col: sCol, offset: start, end: i, error });
      continue;
    }
    if (c === '"') {
      advance();
      let error: string | undefined;
      for (;;) {
        const ch = charAt(i);
        if (ch === '\n' || ch === '') {
          error = 'non-terminated string';
          break;
        }
        advance();
        if (ch === '"') break;
        if (ch === '\\') {
          const n = charAt(i);
          if (n !== '' && '\\"/bfnrt'.includes(n)) advance();
          else if (n === 'u') for (let k = 0; k < 4 && i < src.length; k++) advance();
          else error ??= 'illegal escape sequence';
        }
      }
      const lit = src.slice(start, i);
      let value: string | undefined;
      if (!error) {
        const inner = lit.slice(1, -1);
        if (!inner.includes('\\')) value = inner;
        else {
          try {
            value = unescapeString(inner);
          } catch {
            error = `illegal string literal: ${lit}`;
          }
        }
      }
      push({ kind: error ? 'illegal' : 'string', lit, value, row: sRow, col: sCol, offset: start, end: i, error });
      continue;
    }
    if (c === '`') {
      advance();
      let error: string | undefined;
      for (;;) {
        const ch = charAt(i);
        if (ch === '') {
          error = 'non-terminated string';
          break;
        }
        advance();
        if (ch === '`') break;
      }
      const lit = src.slice(start, i);
      push({ kind: error ? 'illegal' : 'string', lit, value: lit.slice(1, -1), raw: true, row: sRow, col: sCol, offset: start, end: i, error });
      continue;
    }
    if (c === '$') {
      advance();
      const n = charAt(i);
      if (n === '"' || n === '`') {
        advance();
        scanTemplatePart(n === '`', start, sRow, sCol);
      } else {
        push({ kind: 'illegal', lit: '$', row: sRow, col: sCol, offset: start, end: i, error: 'illegal $ character' });
      }
      continue;
    }
    const two = src[i + 1] === '=' ? src.slice(i, i + 2) : '';
    if (two && OPS2[two]) {
      advance();
      advance();
      push({ kind: OPS2[two], lit: two, row: sRow, col: sCol, offset: start, end: i });
      continue;
    }
    if (OPS1[c]) {
      advance();
      const ctx = stack[stack.length - 1];
      if (ctx && c === '{') ctx.depth++;
      if (ctx && c === '}') {
        if (ctx.depth === 0) {
          push({ kind: '}', lit: c, row: sRow, col: sCol, offset: start, end: i });
          stack.pop();
          scanTemplatePart(ctx.raw, start, sRow, sCol);
          continue;
        }
        ctx.depth--;
      }
      push({ kind: OPS1[c], lit: c, row: sRow, col: sCol, offset: start, end: i });
      continue;
    }
    advance();
    const lit = src.slice(start, i);
    const error = c === '!' ? 'illegal ! character' : c === '\0' ? 'illegal null character' : 'illegal token';
    push({ kind: 'illegal', lit, row: sRow, col: sCol, offset: start, end: i, error });
  }
  push({ kind: 'eof', lit: '', row, col, offset: i, end: i });
  return { tokens, comments };
}
