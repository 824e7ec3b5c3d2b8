/**
 * OPA's decision-log event as its documentation ("Decision Logs") describes
 * the fields: the checks a consumer of OPA decision logs relies on.
 */

/** Every top-level field OPA documents for an event, plus `custom` (this project's extras). */
export const OPA_EVENT_FIELDS = new Set([
  'labels', 'decision_id', 'trace_id', 'span_id', 'bundles', 'path', 'query', 'input', 'result', 'mapped_result',
  'nd_builtin_cache', 'erased', 'masked', 'error', 'requested_by', 'timestamp', 'metrics', 'req_id', 'intermediate_results',
  'custom',
]);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const POINTER = /^\/(input|result)(\/.*)?$/;

/** Problems with `event` as an OPA decision-log event (empty: valid). */
export function opaEventProblems(event: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  for (const key of Object.keys(event)) if (!OPA_EVENT_FIELDS.has(key)) problems.push(`unknown field ${key}`);
  if (typeof event.decision_id !== 'string' || event.decision_id === '') problems.push('decision_id must be a non-empty string');
  if (typeof event.path !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/.test(event.path)) problems.push('path must be a slash-separated rule path');
  if (typeof event.timestamp !== 'string' || !RFC3339.test(event.timestamp)) problems.push('timestamp must be RFC 3339');
  if (!isObject(event.labels) || typeof event.labels.id !== 'string' || typeof event.labels.version !== 'string') problems.push('labels must have string id and version');
  else for (const [k, v] of Object.entries(event.labels)) if (typeof v !== 'string') problems.push(`label ${k} must be a string`);
  if (!isObject(event.bundles)) problems.push('bundles must be an object');
  else for (const [name, b] of Object.entries(event.bundles)) if (!isObject(b) || typeof b.revision !== 'string') problems.push(`bundles.${name}.revision must be a string`);
  if (event.metrics !== undefined) {
    if (!isObject(event.metrics)) problems.push('metrics must be an object');
    else for (const [k, v] of Object.entries(event.metrics)) if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push(`metrics.${k} must be a non-negative integer`);
  }
  for (const list of ['erased', 'masked'] as const) {
    const v = event[list];
    if (v !== undefined && (!Array.isArray(v) || v.some((p) => typeof p !== 'string' || !POINTER.test(p)))) problems.push(`${list} must list JSON pointers under /input or /result`);
  }
  if (event.error !== undefined && (!isObject(event.error) || typeof event.error.code !== 'string' || typeof event.error.message !== 'string')) problems.push('error must have string code and message');
  if (event.requested_by !== undefined && typeof event.requested_by !== 'string') problems.push('requested_by must be a string');
  return problems;
}
