/**
 * opa.runtime(): what the embedding host chose to expose, nothing more.
 *
 * OPA returns its runtime's environment variables and configuration. Here the
 * policy would run inside a Lambda whose environment holds AWS credentials,
 * so nothing is read from `process.env`: the value is `{}` (OPA's answer when
 * no runtime is configured) until the host calls `configureOpaRuntime` with
 * the fields it wants policies (and decision logs) to see, e.g.
 * `{ env: { STAGE: 'prod' }, config: { labels: { region: 'eu-west-1' } } }`.
 */
import { isObject } from './operands';
import type { HostBuiltin, JsonObject, JsonValue } from './types';

let runtimeValue: JsonObject = {};

function frozenCopy(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return Object.freeze(v.map(frozenCopy)) as JsonValue;
  if (isObject(v)) return Object.freeze(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, frozenCopy(x)])));
  return v;
}

/**
 * Sets the object `opa.runtime()` returns (OPA's shape: `env`, `config`,
 * `version`, `commit`, …; any subset). Pass `{}` to expose nothing again.
 * The value is copied; later changes to the argument are not seen.
 */
export function configureOpaRuntime(value: JsonObject): void {
  if (!isObject(value)) throw new TypeError('configureOpaRuntime: value must be an object');
  runtimeValue = frozenCopy(JSON.parse(JSON.stringify(value)) as JsonValue) as JsonObject;
}

const runtime: HostBuiltin = () => runtimeValue;

export const opaRuntimeBuiltins: Record<string, HostBuiltin> = { 'opa.runtime': runtime };
