// Native builtins: aggregates, sets, arrays, objects, membership and walk.
// Type errors and other builtin errors return null, i.e. "undefined" (OPA's non-strict mode).
import {
  Value, StrV, ArrV, ObjV, SetV, BoolV, NULL, TRUE, FALSE, boolV,
  T_NULL, T_BOOL, T_NUM, T_STR, T_ARR, T_OBJ, T_SET,
  cmp, eq, objGet, objPut, objCopy, objRemove, setAdd, setHas, setFrom, typeName, cpCount,
} from "./value";
import { NumV, numI64, numAdd, numMul } from "./num";
import { num, s, isNum, isStr, items, arrOf, smallInt, okBuf } from "./builtins-common";

// ---- walk ---------------------------------------------------------------------------------
function walkInto(path: Array<Value>, v: Value, out: Array<Value>): void {
  let pair = new ArrV();
  pair.items.push(arrOf(path.slice(0)));
  pair.items.push(v);
  out.push(pair);
  if (v.kind == T_ARR) {
    let it = changetype<ArrV>(v).items;
    for (let i = 0; i < it.length; i++) { path.push(numI64(i)); walkInto(path, it[i], out); path.pop(); }
  } else if (v.kind == T_OBJ) {
    let o = changetype<ObjV>(v);
    for (let i = 0; i < o.keys.length; i++) { path.push(o.keys[i]); walkInto(path, o.vals[i], out); path.pop(); }
  } else if (v.kind == T_SET) {
    let it = changetype<SetV>(v).items;
    for (let i = 0; i < it.length; i++) { path.push(it[i]); walkInto(path, it[i], out); path.pop(); }
  }
}

function unionObj(a: ObjV, b: ObjV): ObjV {
  let r = objCopy(a);
  for (let i = 0; i < b.keys.length; i++) {
    let k = b.keys[i], bv = b.vals[i];
    let av = objGet(a, k);
    if (av !== null && av.kind == T_OBJ && bv.kind == T_OBJ) objPut(r, k, unionObj(changetype<ObjV>(av), changetype<ObjV>(bv)));
    else objPut(r, k, bv);
  }
  return r;
}

export function isCollection(v: Value): bool { return v.kind == T_OBJ || v.kind == T_SET || v.kind == T_ARR; }

function isSubset(sup: Value, sub: Value): bool {
  if (sup.kind == T_OBJ) {
    if (sub.kind != T_OBJ) return false;
    let a = changetype<ObjV>(sup), b = changetype<ObjV>(sub);
    for (let i = 0; i < b.keys.length; i++) {
      let av = objGet(a, b.keys[i]);
      if (av === null) return false;
      let bv = b.vals[i];
      if (isCollection(av) && isCollection(bv) && av.kind != T_OBJ && bv.kind != T_OBJ) { if (!isSubset(av, bv)) return false; }
      else if (av.kind == T_OBJ && bv.kind == T_OBJ) { if (!isSubset(av, bv)) return false; }
      else if (!eq(av, bv)) return false;
    }
    return true;
  }
  if (sup.kind == T_SET) {
    let b = items(sub);
    if (b === null) return false;
    for (let i = 0; i < b.length; i++) if (!setHas(changetype<SetV>(sup), b[i])) return false;
    return true;
  }
  if (sup.kind == T_ARR) {
    let a = changetype<ArrV>(sup).items;
    if (sub.kind == T_SET) {
      let b = changetype<SetV>(sub).items;
      for (let i = 0; i < b.length; i++) {
        let found = false;
        for (let k = 0; k < a.length; k++) if (eq(a[k], b[i])) { found = true; break; }
        if (!found) return false;
      }
      return true;
    }
    if (sub.kind != T_ARR) return false;
    let b = changetype<ArrV>(sub).items;
    if (b.length == 0) return true;
    for (let i = 0; i + b.length <= a.length; i++) {
      let all = true;
      for (let j = 0; j < b.length; j++) if (!eq(a[i + j], b[j])) { all = false; break; }
      if (all) return true;
    }
    return false;
  }
  return false;
}

function flatten(v: Array<Value>, out: Array<Value>): void {
  for (let i = 0; i < v.length; i++) {
    if (v[i].kind == T_ARR) { let inner = changetype<ArrV>(v[i]).items; for (let k = 0; k < inner.length; k++) out.push(inner[k]); }
    else out.push(v[i]);
  }
}


export function setAnd(a: SetV, b: SetV): SetV {
  let r = new SetV();
  let it = a.items;
  for (let i = 0; i < it.length; i++) if (setHas(b, it[i])) r.items.push(it[i]);
  return r;
}

export function setOr(a: SetV, b: SetV): SetV {
  // merge two sorted lists
  let r = new SetV();
  let x = a.items, y = b.items;
  let i = 0, j = 0;
  while (i < x.length && j < y.length) {
    let c = cmp(x[i], y[j]);
    if (c < 0) r.items.push(x[i++]);
    else if (c > 0) r.items.push(y[j++]);
    else { r.items.push(x[i++]); j++; }
  }
  while (i < x.length) r.items.push(x[i++]);
  while (j < y.length) r.items.push(y[j++]);
  return r;
}

export function setDiff(a: SetV, b: SetV): SetV {
  let r = new SetV();
  let it = a.items;
  for (let i = 0; i < it.length; i++) if (!setHas(b, it[i])) r.items.push(it[i]);
  return r;
}

export const COLLECTIONS_NAMES: string[] = [
  "count",
  "sum",
  "product",
  "max",
  "min",
  "sort",
  "all",
  "any",
  "and",
  "or",
  "union",
  "intersection",
  "set_diff",
  "array.concat",
  "array.slice",
  "array.reverse",
  "array.flatten",
  "internal.member_2",
  "internal.member_3",
  "walk",
  "object.get",
  "object.keys",
  "object.remove",
  "object.union",
  "object.union_n",
  "object.filter",
  "object.subset",
];

/** Aggregates, set algebra, arrays, objects, `internal.member_2/3`, `walk`. `id` indexes COLLECTIONS_NAMES; null = undefined (a builtin error). */
export function callCollections(id: i32, x: Value, y: Value, z: Value): Value | null {
  switch (id) {
    case 0: { // count
      if (x.kind == T_STR) return numI64(cpCount(s(x)));
      if (x.kind == T_OBJ) return numI64(changetype<ObjV>(x).keys.length);
      let it = items(x);
      if (it === null) return null;
      return numI64(it.length);
    }
    case 1: case 2: { // sum, product
      let it = items(x);
      if (it === null) return null;
      let acc: NumV = numI64(id == 1 ? 0 : 1);
      for (let i = 0; i < it.length; i++) {
        if (!isNum(it[i])) return null;
        let next = id == 1 ? numAdd(acc, num(it[i])) : numMul(acc, num(it[i]));
        if (next === null) return null;
        acc = next;
      }
      return acc;
    }
    case 3: case 4: { // max, min
      let it = items(x);
      if (it === null || it.length == 0) return null;
      let best = it[0];
      for (let i = 1; i < it.length; i++) {
        let c = cmp(it[i], best);
        if (id == 3 ? c > 0 : c < 0) best = it[i];
      }
      return best;
    }
    case 5: { // sort
      let it = items(x);
      if (it === null) return null;
      let c = it.slice(0);
      if (x.kind == T_ARR) c.sort((p: Value, q: Value): i32 => cmp(p, q));
      return arrOf(c);
    }
    case 6: case 7: { // all, any
      let it = items(x);
      if (it === null) return null;
      for (let i = 0; i < it.length; i++) {
        let t = it[i].kind == T_BOOL && changetype<BoolV>(it[i]).b;
        if (id == 6 && !t) return FALSE;
        if (id == 7 && t) return TRUE;
      }
      return boolV(id == 6);
    }
    case 8: { // and
      if (x.kind != T_SET || y.kind != T_SET) return null;
      return setAnd(changetype<SetV>(x), changetype<SetV>(y));
    }
    case 9: { // or
      if (x.kind != T_SET || y.kind != T_SET) return null;
      return setOr(changetype<SetV>(x), changetype<SetV>(y));
    }
    case 10: { // union(set of sets)
      if (x.kind != T_SET) return null;
      let it = changetype<SetV>(x).items;
      let r = new SetV();
      for (let i = 0; i < it.length; i++) {
        if (it[i].kind != T_SET) return null;
        r = setOr(r, changetype<SetV>(it[i]));
      }
      return r;
    }
    case 11: { // intersection(set of sets)
      if (x.kind != T_SET) return null;
      let it = changetype<SetV>(x).items;
      if (it.length == 0) return new SetV();
      if (it[0].kind != T_SET) return null;
      let r = changetype<SetV>(it[0]);
      for (let i = 1; i < it.length; i++) {
        if (it[i].kind != T_SET) return null;
        r = setAnd(r, changetype<SetV>(it[i]));
      }
      return r;
    }
    case 12: if (x.kind != T_SET || y.kind != T_SET) return null; return setDiff(changetype<SetV>(x), changetype<SetV>(y));
    case 13: { // array.concat
      if (x.kind != T_ARR || y.kind != T_ARR) return null;
      return arrOf(changetype<ArrV>(x).items.concat(changetype<ArrV>(y).items));
    }
    case 14: { // array.slice
      if (x.kind != T_ARR) return null;
      let lo = smallInt(y, okBuf); if (!okBuf[0]) return null;
      let hi = smallInt(z, okBuf); if (!okBuf[0]) return null;
      let it = changetype<ArrV>(x).items;
      let len = <i64>it.length;
      if (lo < 0) lo = 0;
      if (hi > len) hi = len;
      if (lo >= hi) return new ArrV();
      return arrOf(it.slice(<i32>lo, <i32>hi));
    }
    case 15: { // array.reverse
      if (x.kind != T_ARR) return null;
      let c = changetype<ArrV>(x).items.slice(0);
      c.reverse();
      return arrOf(c);
    }
    case 16: { // array.flatten
      if (x.kind != T_ARR) return null;
      let out = new Array<Value>();
      flatten(changetype<ArrV>(x).items, out);
      return arrOf(out);
    }
    case 17: { // internal.member_2
      if (y.kind == T_SET) return boolV(setHas(changetype<SetV>(y), x));
      if (y.kind == T_ARR) { let it = changetype<ArrV>(y).items; for (let i = 0; i < it.length; i++) if (eq(it[i], x)) return TRUE; return FALSE; }
      if (y.kind == T_OBJ) { let vs = changetype<ObjV>(y).vals; for (let i = 0; i < vs.length; i++) if (eq(vs[i], x)) return TRUE; return FALSE; }
      return FALSE;
    }
    case 18: { // internal.member_3(key, value, coll)
      if (z.kind == T_OBJ) { let v = objGet(changetype<ObjV>(z), x); return boolV(v !== null && eq(v, y)); }
      if (z.kind == T_ARR) {
        if (x.kind != T_NUM || !num(x).isInt) return FALSE;
        let it = changetype<ArrV>(z).items; let i = num(x).i;
        return boolV(i >= 0 && i < <i64>it.length && eq(it[<i32>i], y));
      }
      if (z.kind == T_SET) return boolV(eq(x, y) && setHas(changetype<SetV>(z), x));
      return FALSE;
    }
    case 19: { // walk
      let out = new Array<Value>();
      walkInto(new Array<Value>(), x, out);
      return arrOf(out);
    }
    case 20: { // object.get(obj, key, default)
      if (x.kind != T_OBJ) return null;
      if (y.kind == T_ARR) {
        let path = changetype<ArrV>(y).items;
        let cur: Value = x;
        for (let i = 0; i < path.length; i++) {
          let nx: Value | null = null;
          if (cur.kind == T_OBJ) nx = objGet(changetype<ObjV>(cur), path[i]);
          else if (cur.kind == T_ARR && path[i].kind == T_NUM && num(path[i]).isInt) {
            let it = changetype<ArrV>(cur).items; let k = num(path[i]).i;
            if (k >= 0 && k < <i64>it.length) nx = it[<i32>k];
          } else if (cur.kind == T_SET) { if (setHas(changetype<SetV>(cur), path[i])) nx = path[i]; }
          if (nx === null) return z;
          cur = nx;
        }
        return cur;
      }
      let v = objGet(changetype<ObjV>(x), y);
      return v !== null ? v : z;
    }
    case 21: { // object.keys
      if (x.kind != T_OBJ) return null;
      let r = new SetV(); r.items = changetype<ObjV>(x).keys.slice(0); return r;
    }
    case 22: { // object.remove
      if (x.kind != T_OBJ) return null;
      let ks: Array<Value>;
      if (y.kind == T_OBJ) ks = changetype<ObjV>(y).keys;
      else { let it = items(y); if (it === null) return null; ks = it; }
      let r = objCopy(changetype<ObjV>(x));
      for (let i = 0; i < ks.length; i++) objRemove(r, ks[i]);
      return r;
    }
    case 23: { // object.union
      if (x.kind != T_OBJ || y.kind != T_OBJ) return null;
      return unionObj(changetype<ObjV>(x), changetype<ObjV>(y));
    }
    case 24: { // object.union_n
      if (x.kind != T_ARR) return null;
      let it = changetype<ArrV>(x).items;
      let r = new ObjV();
      for (let i = 0; i < it.length; i++) { if (it[i].kind != T_OBJ) return null; r = unionObj(r, changetype<ObjV>(it[i])); }
      return r;
    }
    case 25: { // object.filter
      if (x.kind != T_OBJ) return null;
      let ks: Array<Value>;
      if (y.kind == T_OBJ) ks = changetype<ObjV>(y).keys;
      else { let it = items(y); if (it === null) return null; ks = it; }
      let r = new ObjV();
      for (let i = 0; i < ks.length; i++) { let v = objGet(changetype<ObjV>(x), ks[i]); if (v !== null) objPut(r, ks[i], v); }
      return r;
    }
    case 26: { // object.subset
      if (!isCollection(x) || !isCollection(y)) return null;
      if (x.kind == T_OBJ && y.kind != T_OBJ) return null;
      return boolV(isSubset(x, y));
    }
  }
  return null;
}
