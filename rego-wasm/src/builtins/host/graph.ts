/** graph.reachable_paths (OPA's reachable.go): every maximal path from the initial vertices. */
import { InputLimitError, OperandTypeError } from './errors';
import { obj } from './operands';
import type { HostBuiltin, JsonObject, JsonValue } from './types';

const NAME = 'graph.reachable_paths';
/** Work bound (vertex visits) so a hostile graph cannot run away. */
const MAX_STEPS = 200_000;

function vertexKey(v: JsonValue): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function edgesOf(graph: JsonObject, v: JsonValue): JsonValue | undefined {
  const k = vertexKey(v);
  return k !== undefined && Object.prototype.hasOwnProperty.call(graph, k) ? graph[k] : undefined;
}

const reachablePaths: HostBuiltin = (g, initial) => {
  const graph = obj(NAME, g, 1);
  if (!Array.isArray(initial)) throw new OperandTypeError(NAME, 2, initial, 'array', 'set');
  const out = new Map<string, JsonValue[]>();
  let steps = 0;
  const add = (path: JsonValue[]): void => {
    if (path.length > 0) out.set(JSON.stringify(path), path);
  };
  // One `reached` set per first edge of an initial vertex, shared along that depth-first walk
  // (the behaviour OPA's reachable_paths compliance cases pin down).
  const build = (root: JsonValue, path: JsonValue[], reached: Set<string>): void => {
    if (++steps > MAX_STEPS) throw new InputLimitError(NAME, 'graph too large');
    const edges = edgesOf(graph, root);
    if (edges === undefined) {
      add(path);
      return;
    }
    const here = [...path, root];
    const neighbors = Array.isArray(edges) ? edges : [];
    if (neighbors.length === 0) {
      add(here);
      return;
    }
    reached.add(JSON.stringify(root));
    for (const n of neighbors) {
      if (reached.has(JSON.stringify(n))) add(here);
      else build(n, here, reached);
    }
  };
  for (const v of initial) {
    const edges = edgesOf(graph, v);
    if (edges === undefined) continue;
    const neighbors = Array.isArray(edges) ? edges : [];
    if (neighbors.length === 0) add([v]);
    for (const n of neighbors) build(n, [v], new Set([JSON.stringify(v)]));
  }
  return [...out.values()];
};

export const graphBuiltins: Record<string, HostBuiltin> = { 'graph.reachable_paths': reachablePaths };
