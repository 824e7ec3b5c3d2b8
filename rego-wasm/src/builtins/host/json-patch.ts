/**
 * json.patch (RFC 6902 as OPA implements it with its edit tree): any failing operation makes
 * the result undefined. Inside a policy the runtime's native json.patch runs instead
 * (`runtime/assembly/json-patch.ts`, which also addresses set members); here sets are arrays.
 */
import { BuiltinEvalError } from './errors';
import { arr, isObject, jsonEqual } from './operands';
import type { HostBuiltin, JsonObject, JsonValue } from './types';

const NAME = 'json.patch';

class PatchError extends BuiltinEvalError {
  constructor(message: string) {
    super(NAME, message);
  }
}

type Segment = JsonValue;

/** OPA's parsePath: "/a/b" (leading slashes optional, ~1 and ~0 unescaped) or an array of segments. */
function parsePath(p: JsonValue | undefined): Segment[] {
  if (typeof p === 'string') {
    if (p === '') return [];
    return p
      .replace(/^\/+/, '')
      .split('/')
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  }
  if (Array.isArray(p)) return p;
  throw new PatchError('path must be a string or an array of path segments');
}

function clone(v: JsonValue): JsonValue {
  return structuredClone(v);
}

/** An array index segment: "-" (append, when allowed) or a canonical non-negative integer. */
function arrayIndex(seg: Segment, length: number, allowAppend: boolean): number {
  if (allowAppend && seg === '-') return length;
  let n: number;
  if (typeof seg === 'number') n = seg;
  else if (typeof seg === 'string' && /^(0|[1-9]\d*)$/.test(seg)) n = Number(seg);
  else throw new PatchError(`invalid array index ${JSON.stringify(seg)}`);
  if (!Number.isInteger(n) || n < 0 || n > (allowAppend ? length : length - 1)) throw new PatchError(`array index ${n} out of range`);
  return n;
}

function objectKey(seg: Segment): string {
  if (typeof seg === 'string') return seg;
  return JSON.stringify(seg);
}

function child(node: JsonValue, seg: Segment): JsonValue {
  if (Array.isArray(node)) {
    const v = node[arrayIndex(seg, node.length, false)];
    if (v === undefined) throw new PatchError('path does not exist');
    return v;
  }
  if (isObject(node)) {
    const k = objectKey(seg);
    if (!Object.prototype.hasOwnProperty.call(node, k)) throw new PatchError(`path does not exist: ${k}`);
    return node[k] as JsonValue;
  }
  throw new PatchError('path does not exist (scalar parent)');
}

function getAt(doc: JsonValue, path: Segment[]): JsonValue {
  let node = doc;
  for (const seg of path) node = child(node, seg);
  return node;
}

/** The container holding the last segment; containers are mutated in place (doc is a private copy). */
function parentOf(doc: JsonValue, path: Segment[]): JsonValue {
  return getAt(doc, path.slice(0, -1));
}

function insertAt(doc: JsonValue, path: Segment[], value: JsonValue): JsonValue {
  if (path.length === 0) return value;
  const parent = parentOf(doc, path);
  const last = path[path.length - 1] ?? '';
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true), 0, value);
  else if (isObject(parent)) (parent as JsonObject)[objectKey(last)] = value;
  else throw new PatchError('cannot insert into a scalar');
  return doc;
}

function deleteAt(doc: JsonValue, path: Segment[]): JsonValue {
  const parent = parentOf(doc, path);
  const last = path[path.length - 1] ?? '';
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false), 1);
  else if (isObject(parent)) {
    const k = objectKey(last);
    if (!Object.prototype.hasOwnProperty.call(parent, k)) throw new PatchError(`path does not exist: ${k}`);
    delete (parent as JsonObject)[k];
  } else throw new PatchError('cannot delete from a scalar');
  return doc;
}

function attr(op: JsonObject, name: string): JsonValue {
  if (!Object.prototype.hasOwnProperty.call(op, name)) throw new PatchError(`patch is missing '${name}' attribute`);
  return op[name] as JsonValue;
}

/** The document, or REMOVED after `remove` of the root (OPA's deleted edit-tree root). */
const REMOVED: unique symbol = Symbol('removed root');
type Doc = JsonValue | typeof REMOVED;

function present(doc: Doc): JsonValue {
  if (doc === REMOVED) throw new PatchError('deleted node encountered');
  return doc;
}

/** `remove` of `path`: the root can be removed once; an `add`/`replace` at "" puts one back. */
function removeAt(doc: Doc, path: Segment[]): Doc {
  return path.length === 0 ? (present(doc), REMOVED) : deleteAt(present(doc), path);
}

function addAt(doc: Doc, path: Segment[], value: JsonValue): Doc {
  return path.length === 0 ? value : insertAt(present(doc), path, value);
}

const patch: HostBuiltin = (target, operations) => {
  const ops = arr(NAME, operations, 2);
  if (target === undefined) return undefined;
  let doc: Doc = clone(target);
  for (const o of ops) {
    if (!isObject(o)) throw new PatchError('must be an array of JSON-Patch objects');
    const op = attr(o, 'op');
    if (typeof op !== 'string') throw new PatchError("patch attribute 'op' must be a string");
    const path = parsePath(attr(o, 'path'));
    switch (op) {
      case 'add':
        doc = addAt(doc, path, clone(attr(o, 'value')));
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace': {
        const value = clone(attr(o, 'value'));
        doc = addAt(removeAt(doc, path), path, value);
        break;
      }
      case 'move': {
        const from = parsePath(attr(o, 'from'));
        const chunk = clone(getAt(present(doc), from));
        doc = addAt(removeAt(doc, from), path, chunk);
        break;
      }
      case 'copy': {
        const from = parsePath(attr(o, 'from'));
        doc = addAt(doc, path, clone(getAt(present(doc), from)));
        break;
      }
      case 'test':
        if (!jsonEqual(getAt(present(doc), path), attr(o, 'value'))) throw new PatchError('test failed');
        break;
      default:
        throw new PatchError(`unrecognized op '${op}'`);
    }
  }
  return doc === REMOVED ? undefined : doc;
};

export const jsonPatchBuiltins: Record<string, HostBuiltin> = { 'json.patch': patch };
