// json.patch (RFC 6902 as OPA's topdown implements it on its edit tree,
// internal/edittree): native, because only the engine can tell a set from an
// array. Set members are addressed by value (the segment must equal the
// member; an added member must equal its key), array elements by index
// (number, or string without leading zeros; "-" appends), object keys by
// value. Removing the root ("") leaves no document until an add or replace at
// "" puts one back. Any failing operation makes the result undefined (null).
import {
  Value, StrV, ArrV, ObjV, SetV, T_NUM, T_STR, T_ARR, T_OBJ, T_SET,
  eq, objGet, objGetStr, objPut, objRemove, objCopy, setAdd, setHas, setCopy,
} from "./value";
import { NumV } from "./num";

/** OPA's parsePath: "/a/b" (leading slashes dropped, ~1 and ~0 unescaped) or an array of segments. */
function parsePath(p: Value): Array<Value> | null {
  let segs = new Array<Value>();
  if (p.kind == T_STR) {
    let str = changetype<StrV>(p).s;
    if (str.length == 0) return segs;
    let i = 0;
    while (i < str.length && str.charCodeAt(i) == 47) i++;
    let parts = str.substring(i).split("/");
    for (let k = 0; k < parts.length; k++) segs.push(new StrV(parts[k].replaceAll("~1", "/").replaceAll("~0", "~")));
    return segs;
  }
  if (p.kind == T_ARR) return changetype<ArrV>(p).items;
  return null;
}

/** OPA's edittree toIndex: -1 when the segment is no valid index (bounds are checked by the caller). */
function toIndex(seg: Value, length: i32): i32 {
  if (seg.kind == T_NUM) {
    let n = changetype<NumV>(seg);
    return n.isInt && n.i >= 0 && n.i <= <i64>i32.MAX_VALUE ? <i32>n.i : -1;
  }
  if (seg.kind != T_STR) return -1;
  let str = changetype<StrV>(seg).s;
  if (str == "-") return length;
  if (str.length == 0 || str.length > 9 || (str.length > 1 && str.charCodeAt(0) == 48)) return -1;
  let v = 0;
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

function arrWith(items: Array<Value>): ArrV {
  let a = new ArrV();
  a.items = items;
  return a;
}

/** The child of `node` at `seg`, or null. */
function child(node: Value, seg: Value): Value | null {
  if (node.kind == T_OBJ) return objGet(changetype<ObjV>(node), seg);
  if (node.kind == T_SET) return setHas(changetype<SetV>(node), seg) ? seg : null;
  if (node.kind == T_ARR) {
    let it = changetype<ArrV>(node).items;
    let i = toIndex(seg, it.length);
    return i >= 0 && i < it.length ? it[i] : null;
  }
  return null;
}

function getAt(doc: Value, path: Array<Value>, n: i32): Value | null {
  let node: Value | null = doc;
  for (let k = 0; k < n && node !== null; k++) node = child(node, path[k]);
  return node;
}

/** A copy of `node` whose child at `seg` (which exists) is `v`. */
function withChild(node: Value, seg: Value, v: Value): Value {
  if (node.kind == T_OBJ) { let o = objCopy(changetype<ObjV>(node)); objPut(o, seg, v); return o; }
  if (node.kind == T_SET) {
    let src = changetype<SetV>(node).items;
    let r = new SetV();
    for (let i = 0; i < src.length; i++) if (!eq(src[i], seg)) setAdd(r, src[i]);
    setAdd(r, v);
    return r;
  }
  let items = changetype<ArrV>(node).items.slice(0);
  items[toIndex(seg, items.length)] = v;
  return arrWith(items);
}

/** Applies `leaf` to the parent of the last segment; rebuilds the containers on the way back up. */
function edit(node: Value, path: Array<Value>, k: i32, insert: bool, value: Value | null): Value | null {
  let seg = path[k];
  if (k < path.length - 1) {
    let c = child(node, seg);
    if (c === null) return null;
    let nc = edit(c, path, k + 1, insert, value);
    return nc === null ? null : withChild(node, seg, nc);
  }
  return insert ? insertChild(node, seg, value!) : deleteChild(node, seg);
}

function insertChild(node: Value, seg: Value, value: Value): Value | null {
  if (node.kind == T_OBJ) { let o = objCopy(changetype<ObjV>(node)); objPut(o, seg, value); return o; }
  if (node.kind == T_SET) {
    if (!eq(seg, value)) return null; // "set key %v does not equal value to be inserted %v"
    let s = setCopy(changetype<SetV>(node));
    setAdd(s, value);
    return s;
  }
  if (node.kind == T_ARR) {
    let items = changetype<ArrV>(node).items;
    let i = toIndex(seg, items.length);
    if (i < 0 || i > items.length) return null;
    let out = new Array<Value>();
    for (let k = 0; k < i; k++) out.push(items[k]);
    out.push(value);
    for (let k = i; k < items.length; k++) out.push(items[k]);
    return arrWith(out);
  }
  return null;
}

function deleteChild(node: Value, seg: Value): Value | null {
  if (node.kind == T_OBJ) {
    let o = changetype<ObjV>(node);
    if (objGet(o, seg) === null) return null;
    let r = objCopy(o);
    objRemove(r, seg);
    return r;
  }
  if (node.kind == T_SET) {
    let src = changetype<SetV>(node).items;
    if (!setHas(changetype<SetV>(node), seg)) return null;
    let r = new SetV();
    for (let i = 0; i < src.length; i++) if (!eq(src[i], seg)) setAdd(r, src[i]);
    return r;
  }
  if (node.kind == T_ARR) {
    let items = changetype<ArrV>(node).items;
    let i = toIndex(seg, items.length);
    if (i < 0 || i >= items.length) return null;
    let out = items.slice(0);
    out.splice(i, 1);
    return arrWith(out);
  }
  return null;
}

/** Whether a patch operation object names attribute `name`. */
function attr(op: ObjV, name: string): Value | null {
  return objGetStr(op, name);
}

export function jsonPatch(target: Value, ops: Value): Value | null {
  if (ops.kind != T_ARR) return null;
  let list = changetype<ArrV>(ops).items;
  // null = the root was removed (OPA's deleted edit-tree root)
  let doc: Value | null = target;
  for (let i = 0; i < list.length; i++) {
    if (list[i].kind != T_OBJ) return null;
    let o = changetype<ObjV>(list[i]);
    let opV = attr(o, "op");
    if (opV === null || opV.kind != T_STR) return null;
    let op = changetype<StrV>(opV).s;
    let pathV = attr(o, "path");
    if (pathV === null) return null;
    let path = parsePath(pathV);
    if (path === null) return null;
    let value: Value | null = null;
    if (op == "add" || op == "replace" || op == "test") {
      value = attr(o, "value");
      if (value === null) return null;
    } else if (op == "move" || op == "copy") {
      let fromV = attr(o, "from");
      if (fromV === null) return null;
      let from = parsePath(fromV);
      if (from === null || doc === null) return null;
      value = getAt(doc, from, from.length);
      if (value === null) return null;
      if (op == "move") {
        doc = remove(doc, from);
        if (doc === null && from.length > 0) return null;
      }
    } else if (op != "remove") return null;

    if (op == "remove" || op == "replace") {
      if (doc === null) return null; // "deleted node encountered during delete operation"
      doc = remove(doc, path);
      if (doc === null && path.length > 0) return null;
    }
    if (op == "test") {
      if (doc === null) return null;
      let found = getAt(doc, path, path.length);
      if (found === null || !eq(found, value!)) return null;
    } else if (op != "remove") {
      if (path.length == 0) doc = value;
      else if (doc === null) return null;
      else {
        doc = edit(doc, path, 0, true, value);
        if (doc === null) return null;
      }
    }
  }
  return doc;
}

/** The document without the value at `path`; null when it does not exist, or for the root. */
function remove(doc: Value | null, path: Array<Value>): Value | null {
  if (doc === null || path.length == 0) return null;
  return edit(doc, path, 0, false, null);
}
