/**
 * A subset of Go's text/template for strings.render_template: text and
 * actions ({{ }} with {{- -}} trimming), fields (.a.b), variables ($, $x,
 * $x.a), literals, if / else if / else, range (with $i, $v :=), with, end,
 * and the functions eq ne lt le gt ge and or not len index print.
 * Missing map keys render as "<undefined>" (OPA non-strict behaviour).
 * Anything else is a TemplateError, so the builtin is undefined.
 */
import type { JsonValue } from './types';

export class TemplateError extends Error {}

const MAX_OUTPUT = 1 << 20;
const MAX_STEPS = 100_000;
const MISSING = Symbol('missing');
type Val = JsonValue | typeof MISSING;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'print'; pipe: Pipe }
  | { kind: 'if' | 'with'; pipe: Pipe; then: Node[]; else: Node[] }
  | { kind: 'range'; pipe: Pipe; vars: string[]; body: Node[]; else: Node[] };

interface Pipe {
  decl: string[];
  cmds: Arg[][];
}

type Arg =
  | { kind: 'field'; base: 'dot' | string; path: string[] }
  | { kind: 'lit'; value: JsonValue }
  | { kind: 'ident'; name: string }
  | { kind: 'paren'; pipe: Pipe };

// ---------------------------------------------------------------- lexing

interface Action {
  body: string;
}

function split(src: string): Array<string | Action> {
  const out: Array<string | Action> = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push(src.slice(i));
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src.startsWith('- ', start) || src.startsWith('-\t', start) || src.startsWith('-\n', start)) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    const close = findClose(src, start);
    let end = close;
    let trimAfter = false;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) {
      end = close - 1;
      trimAfter = true;
    }
    out.push(text, { body: src.slice(start, end).trim() });
    i = close + 2;
    if (trimAfter) while (i < src.length && /\s/.test(src[i] ?? '')) i++;
  }
  return out;
}

function findClose(src: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '}' && src[i + 1] === '}') return i;
  }
  throw new TemplateError('unclosed action');
}

function tokens(s: string): string[] {
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|:=|=|\||\(|\)|,|[^\s|(),:=]+)/gy;
  const out: string[] = [];
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < s.length && (m = re.exec(s))) out.push(m[1] ?? '');
  if (s.slice(re.lastIndex).trim() !== '') throw new TemplateError(`cannot parse action ${JSON.stringify(s)}`);
  return out;
}

// ---------------------------------------------------------------- parsing

function parsePipe(toks: string[]): Pipe {
  let decl: string[] = [];
  const assign = toks.indexOf(':=');
  let rest = toks;
  if (assign >= 0) {
    decl = toks.slice(0, assign).filter((t) => t !== ',');
    if (!decl.every((d) => /^\$\w*$/.test(d))) throw new TemplateError('bad variable declaration');
    rest = toks.slice(assign + 1);
  }
  const cmds: Arg[][] = [];
  let pos = 0;
  const parseArgs = (stopAt: string | undefined): Arg[][] => {
    const out: Arg[][] = [[]];
    while (pos < rest.length) {
      const t = rest[pos] ?? '';
      if (t === stopAt) return out;
      pos++;
      if (t === '|') out.push([]);
      else if (t === '(') {
        const inner = parseArgs(')');
        if (rest[pos] !== ')') throw new TemplateError('unclosed (');
        pos++;
        (out[out.length - 1] ?? []).push({ kind: 'paren', pipe: { decl: [], cmds: inner } });
      } else (out[out.length - 1] ?? []).push(parseArg(t));
    }
    if (stopAt) throw new TemplateError(`missing ${stopAt}`);
    return out;
  };
  cmds.push(...parseArgs(undefined));
  if (cmds.some((c) => c.length === 0)) throw new TemplateError('empty command');
  return { decl, cmds };
}

function parseArg(t: string): Arg {
  if (t.startsWith('"')) return { kind: 'lit', value: JSON.parse(t) as string };
  if (t.startsWith('`')) return { kind: 'lit', value: t.slice(1, -1) };
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t)) return { kind: 'lit', value: Number(t) };
  if (t === 'true' || t === 'false') return { kind: 'lit', value: t === 'true' };
  if (t === 'nil') return { kind: 'lit', value: null };
  if (t === '.') return { kind: 'field', base: 'dot', path: [] };
  if (t.startsWith('.')) return { kind: 'field', base: 'dot', path: t.slice(1).split('.') };
  if (t.startsWith('$')) {
    const [v = '$', ...path] = t.split('.');
    return { kind: 'field', base: v, path };
  }
  if (/^[A-Za-z_]\w*$/.test(t)) return { kind: 'ident', name: t };
  throw new TemplateError(`unexpected ${JSON.stringify(t)}`);
}

function parse(src: string): Node[] {
  const parts = split(src);
  let i = 0;
  const block = (terminators: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (i < parts.length) {
      const p = parts[i++];
      if (typeof p === 'string') {
        if (p) nodes.push({ kind: 'text', text: p });
        continue;
      }
      if (p === undefined) break;
      if (p.body.startsWith('/*')) continue;
      const toks = tokens(p.body);
      const head = toks[0] ?? '';
      if (terminators.includes(head)) {
        i--;
        return { nodes, end: head };
      }
      if (head === 'if' || head === 'with') {
        nodes.push(conditional(head, toks.slice(1)));
      } else if (head === 'range') {
        const pipe = parsePipe(toks.slice(1));
        const body = block(['else', 'end']);
        let elseNodes: Node[] = [];
        if (consume() === 'else') elseNodes = expectEnd(block(['end']));
        nodes.push({ kind: 'range', pipe: { decl: [], cmds: pipe.cmds }, vars: pipe.decl, body: body.nodes, else: elseNodes });
      } else if (['end', 'else', 'define', 'template', 'block', 'break', 'continue'].includes(head)) {
        throw new TemplateError(`unsupported or unexpected {{${head}}}`);
      } else nodes.push({ kind: 'print', pipe: parsePipe(toks) });
    }
    if (terminators.length) throw new TemplateError('unexpected EOF');
    return { nodes, end: '' };
  };
  // consume the terminator action at parts[i]; returns "else", "else if", or "end"
  let pendingElseIf: string[] | undefined;
  const consume = (): string => {
    const p = parts[i++];
    if (!p || typeof p === 'string') throw new TemplateError('unexpected EOF');
    const toks = tokens(p.body);
    if (toks[0] === 'else' && toks[1] === 'if') {
      pendingElseIf = toks.slice(2);
      return 'else if';
    }
    return toks[0] ?? '';
  };
  const expectEnd = (b: { nodes: Node[] }): Node[] => {
    if (consume() !== 'end') throw new TemplateError('expected {{end}}');
    return b.nodes;
  };
  const conditional = (kind: 'if' | 'with', toks: string[]): Node => {
    const pipe = parsePipe(toks);
    const then = block(['else', 'end']);
    const how = consume();
    let elseNodes: Node[] = [];
    if (how === 'else if') {
      const cond = pendingElseIf ?? [];
      pendingElseIf = undefined;
      // {{else if c}} opens a nested if that ends at the shared {{end}}
      elseNodes = [conditional('if', cond)];
    } else if (how === 'else') elseNodes = expectEnd(block(['end']));
    return { kind, pipe, then: then.nodes, else: elseNodes };
  };
  const top = block([]);
  return top.nodes;
}

// ---------------------------------------------------------------- execution

function truthy(v: Val): boolean {
  if (v === MISSING || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function show(v: Val): string {
  if (v === MISSING) return '<undefined>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  return `map[${Object.keys(v)
    .sort()
    .map((k) => `${k}:${show(v[k] as JsonValue)}`)
    .join(' ')}]`;
}

function compare(a: Val, b: Val): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError('incompatible types for comparison');
}

function equal(a: Val, b: Val): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

class Scope {
  constructor(
    readonly dot: Val,
    readonly vars: Map<string, Val>,
  ) {}
}

export function renderTemplate(src: string, data: JsonValue): string {
  const nodes = parse(src);
  let out = '';
  let steps = 0;
  const field = (base: Val, path: string[]): Val => {
    let v = base;
    for (const k of path) {
      if (v === MISSING) return MISSING;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TemplateError(`can't evaluate field ${k}`);
      v = Object.prototype.hasOwnProperty.call(v, k) ? (v[k] as JsonValue) : MISSING;
    }
    return v;
  };
  const evalArg = (a: Arg, s: Scope, piped: Val[] = []): Val => {
    switch (a.kind) {
      case 'lit':
        return a.value;
      case 'paren':
        return evalPipe(a.pipe, s);
      case 'field': {
        let base: Val;
        if (a.base === 'dot') base = s.dot;
        else {
          if (!s.vars.has(a.base)) throw new TemplateError(`undefined variable ${a.base}`);
          base = s.vars.get(a.base) as Val;
        }
        return field(base, a.path);
      }
      case 'ident':
        return call(a.name, piped, s);
    }
  };
  const call = (name: string, args: Val[], _s: Scope): Val => {
    const [x, y] = args;
    switch (name) {
      case 'eq':
        return args.slice(1).some((o) => equal(x as Val, o));
      case 'ne':
        return !equal(x as Val, y as Val);
      case 'lt':
        return compare(x as Val, y as Val) < 0;
      case 'le':
        return compare(x as Val, y as Val) <= 0;
      case 'gt':
        return compare(x as Val, y as Val) > 0;
      case 'ge':
        return compare(x as Val, y as Val) >= 0;
      case 'and':
        return args.find((v) => !truthy(v)) ?? (args[args.length - 1] as Val);
      case 'or':
        return args.find((v) => truthy(v)) ?? (args[args.length - 1] as Val);
      case 'not':
        return !truthy(x as Val);
      case 'len':
        if (typeof x === 'string') return Buffer.byteLength(x, 'utf8');
        if (Array.isArray(x)) return x.length;
        if (x && typeof x === 'object') return Object.keys(x).length;
        throw new TemplateError("len of invalid value");
      case 'index': {
        let v: Val = x as Val;
        for (const k of args.slice(1)) {
          if (Array.isArray(v) && typeof k === 'number') v = v[k] ?? MISSING;
          else if (v && typeof v === 'object' && !Array.isArray(v) && typeof k === 'string') v = Object.prototype.hasOwnProperty.call(v, k) ? (v[k] as JsonValue) : MISSING;
          else throw new TemplateError('cannot index');
        }
        return v;
      }
      case 'print':
        return args.map(show).join('');
      default:
        throw new TemplateError(`function ${JSON.stringify(name)} not defined`);
    }
  };
  const evalPipe = (p: Pipe, s: Scope): Val => {
    let last: Val | undefined;
    for (const cmd of p.cmds) {
      const [head, ...rest] = cmd;
      if (!head) throw new TemplateError('empty command');
      if (head.kind === 'ident') {
        const args = rest.map((a) => evalArg(a, s));
        if (last !== undefined) args.push(last);
        last = call(head.name, args, s);
      } else {
        if (rest.length) throw new TemplateError("can't give argument to non-function");
        last = evalArg(head, s);
      }
    }
    return last === undefined ? null : last;
  };
  const exec = (list: Node[], s: Scope): void => {
    for (const n of list) {
      if (++steps > MAX_STEPS) throw new TemplateError('template too expensive');
      if (out.length > MAX_OUTPUT) throw new TemplateError('template output too large');
      switch (n.kind) {
        case 'text':
          out += n.text;
          break;
        case 'print': {
          const v = evalPipe(n.pipe, s);
          for (const d of n.pipe.decl) s.vars.set(d, v);
          if (!n.pipe.decl.length) out += show(v);
          break;
        }
        case 'if':
        case 'with': {
          const v = evalPipe(n.pipe, s);
          for (const d of n.pipe.decl) s.vars.set(d, v);
          if (truthy(v)) exec(n.then, n.kind === 'with' ? new Scope(v, new Map(s.vars)) : s);
          else exec(n.else, s);
          break;
        }
        case 'range': {
          const v = evalPipe(n.pipe, s);
          let items: Array<[Val, Val]> = [];
          if (Array.isArray(v)) items = v.map((e, i) => [i, e]);
          else if (v && v !== MISSING && typeof v === 'object') items = Object.keys(v).sort().map((k) => [k, v[k] as JsonValue]);
          else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_STEPS) items = Array.from({ length: v }, (_, i) => [i, i]);
          else if (v !== MISSING && v !== null) throw new TemplateError("range can't iterate over value");
          if (!items.length) exec(n.else, s);
          for (const [k, e] of items) {
            const vars = new Map(s.vars);
            if (n.vars.length === 1) vars.set(n.vars[0] ?? '$', e);
            else if (n.vars.length === 2) {
              vars.set(n.vars[0] ?? '$', k);
              vars.set(n.vars[1] ?? '$', e);
            }
            exec(n.body, new Scope(e, vars));
          }
          break;
        }
      }
    }
  };
  exec(nodes, new Scope(data, new Map([['$', data]])));
  return out;
}
