/**
 * Finds the exact source text of JSON values. `JSON.parse` turns numbers into
 * float64, which silently changes values like 12345678901234567890 or 1e400;
 * policies must see the document's own digits, so callers that forward JSON
 * to the runtime take the text span instead of re-serialising a parsed value.
 */

export interface Span {
  start: number;
  end: number;
}

export type SpanTree =
  | { kind: 'object'; span: Span; members: Map<string, SpanTree> }
  | { kind: 'array'; span: Span; items: SpanTree[] }
  | { kind: 'scalar'; span: Span };

export class JsonSpanError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'JsonSpanError';
  }
}

/** Parses `text` (which must be valid JSON) into a tree of source spans. */
export function jsonSpans(text: string): SpanTree {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) throw new JsonSpanError('unterminated string', start);
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): SpanTree => {
    ws();
    const start = i;
    const ch = text[i];
    if (ch === '{') {
      i++;
      const members = new Map<string, SpanTree>();
      ws();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', span: { start, end: i }, members };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new JsonSpanError('expected a key', i);
        const key = str();
        ws();
        if (text[i++] !== ':') throw new JsonSpanError('expected ":"', i - 1);
        members.set(key, value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', span: { start, end: i }, members };
        }
        throw new JsonSpanError('expected "," or "}"', i);
      }
    }
    if (ch === '[') {
      i++;
      const items: SpanTree[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', span: { start, end: i }, items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return { kind: 'array', span: { start, end: i }, items };
        }
        throw new JsonSpanError('expected "," or "]"', i);
      }
    }
    if (ch === '"') {
      str();
      return { kind: 'scalar', span: { start, end: i } };
    }
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 4096));
    if (!m) throw new JsonSpanError('unexpected character', i);
    i += m[0].length;
    return { kind: 'scalar', span: { start, end: i } };
  };
  const tree = value();
  ws();
  if (i !== text.length) throw new JsonSpanError('trailing characters', i);
  return tree;
}

export function spanText(text: string, tree: SpanTree | undefined): string | undefined {
  return tree ? text.slice(tree.span.start, tree.span.end) : undefined;
}
