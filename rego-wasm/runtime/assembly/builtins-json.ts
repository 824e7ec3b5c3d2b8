// Native builtins: json.filter / json.remove (path trees) and json.patch (json-patch.ts).
// Type errors and other builtin errors return null, i.e. "undefined" (OPA's non-strict mode).
import {
  Value, StrV, ArrV, ObjV, SetV, BoolV, NULL, TRUE, FALSE, boolV,
  T_NULL, T_BOOL, T_NUM, T_STR, T_ARR, T_OBJ, T_SET,
  cmp, eq, objGet, objPut, objCopy, objRemove, setAdd, setHas, setFrom, typeName, cpCount,
} from "./value";
import { jsonPatch } from "./json-patch";
import { num, s, isNum, isStr, items, arrOf, smallInt, okBuf } from "./builtins-common";

// ---- json.filter / json.remove -----------------------------------------------------------------
// Paths become a tree: ObjV segment → subtree; an empty ObjV marks "whole value".
const LEAF = new ObjV();

function pathTree(paths: Value): ObjV | null {
  let list = items(paths);
  if (list === null) return null;
  let root = new ObjV();
  for (let i = 0; i < list.length; i++) {
    let segs = new Array<Value>();
    let p = list[i];
    if (p.kind == T_STR) {
      let str = s(p);
      while (str.startsWith("/")) str = str.substring(1);
      while (str.endsWith("/")) str = str.substring(0, str.length - 1);
      let parts = str.split("/");
      for (let k = 0; k < parts.length; k++) segs.push(new StrV(parts[k].replaceAll("~1", "/").replaceAll("~0", "~")));
    } else if (p.kind == T_ARR) {
      let it = changetype<ArrV>(p).items;
      for (let k = 0; k < it.length; k++) segs.push(it[k]);
    } else return null;
    let node = root;
    for (let k = 0; k < segs.length; k++) {
      if (node === LEAF) break;
      let seg = segs[k];
      let child = objGet(node, seg);
      if (k == segs.length - 1) { objPut(node, seg, LEAF); break; }
      if (child === null) { let c = new ObjV(); objPut(node, seg, c); node = c; }
      else node = changetype<ObjV>(child);
    }
  }
  return root;
}

// OPA looks object keys and set members up by value, and array elements by their index
// text ("1"): a numeric path segment never selects an array element.
function indexSeg(tree: ObjV, i: i32): Value | null {
  return objGet(tree, new StrV(i.toString()));
}

function jsonFilter(v: Value, tree: ObjV): Value {
  if (tree === LEAF) return v;
  if (v.kind == T_OBJ) {
    let o = changetype<ObjV>(v);
    let r = new ObjV();
    for (let i = 0; i < o.keys.length; i++) {
      let sub = objGet(tree, o.keys[i]);
      if (sub !== null) objPut(r, o.keys[i], jsonFilter(o.vals[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  if (v.kind == T_ARR) {
    let it = changetype<ArrV>(v).items;
    let r = new ArrV();
    for (let i = 0; i < it.length; i++) {
      let sub = indexSeg(tree, i);
      if (sub !== null) r.items.push(jsonFilter(it[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  if (v.kind == T_SET) {
    let it = changetype<SetV>(v).items;
    let r = new SetV();
    for (let i = 0; i < it.length; i++) {
      let sub = objGet(tree, it[i]);
      if (sub !== null) setAdd(r, jsonFilter(it[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  return v;
}

function jsonRemove(v: Value, tree: ObjV): Value {
  if (v.kind == T_OBJ) {
    let o = changetype<ObjV>(v);
    let r = new ObjV();
    for (let i = 0; i < o.keys.length; i++) {
      let sub = objGet(tree, o.keys[i]);
      if (sub === null) { objPut(r, o.keys[i], o.vals[i]); continue; }
      if (sub === LEAF) continue;
      objPut(r, o.keys[i], jsonRemove(o.vals[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  if (v.kind == T_ARR) {
    let it = changetype<ArrV>(v).items;
    let r = new ArrV();
    for (let i = 0; i < it.length; i++) {
      let sub = indexSeg(tree, i);
      if (sub === null) { r.items.push(it[i]); continue; }
      if (sub === LEAF) continue;
      r.items.push(jsonRemove(it[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  if (v.kind == T_SET) {
    let it = changetype<SetV>(v).items;
    let r = new SetV();
    for (let i = 0; i < it.length; i++) {
      let sub = objGet(tree, it[i]);
      if (sub === null) { setAdd(r, it[i]); continue; }
      if (sub === LEAF) continue;
      setAdd(r, jsonRemove(it[i], changetype<ObjV>(sub)));
    }
    return r;
  }
  return v;
}

export const JSON_NAMES: string[] = [
  "json.filter",
  "json.remove",
  "json.patch",
];

/** Document edits by path. `id` indexes JSON_NAMES; null = undefined (a builtin error). */
export function callJson(id: i32, x: Value, y: Value, z: Value): Value | null {
  switch (id) {
    case 0: case 1: { // json.filter / json.remove
      if (x.kind != T_OBJ) return null;
      let tree = pathTree(y);
      if (tree === null) return null;
      return id == 0 ? jsonFilter(x, tree) : jsonRemove(x, tree);
    }
    case 2: return jsonPatch(x, y);
  }
  return null;
}
