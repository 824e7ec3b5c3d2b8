/**
 * Builtins implemented in JavaScript on the host side. The runtime calls them
 * through `opa_builtinN` for every builtin it does not implement natively.
 * Arguments arrive JSON-decoded (sets as arrays, object keys as strings).
 * A builtin returns `undefined` for "undefined in Rego" (OPA's non-strict
 * builtin error): `hostBuiltins` maps every error to `undefined`, while
 * `strictHostBuiltins` lets `HostBuiltinError`s through.
 */
import { globBuiltins } from './glob';
import { globsBuiltins } from './globs-intersect';
import { regexBuiltins } from './regex';
import { stringBuiltins } from './strings';
import { timeBuiltins } from './time';
import { unitsBuiltins } from './units';
import { semverBuiltins } from './semver';
import { netBuiltins } from './net-cidr';
import { encodingBuiltins } from './encoding';
import { cryptoBuiltins } from './crypto';
import { jwtBuiltins } from './jwt';
import { collectionBuiltins } from './collections';
import { jsonPatchBuiltins } from './json-patch';
import { jsonMarshalBuiltins } from './json-marshal';
import { uuidBuiltins } from './uuid';
import { graphBuiltins } from './graph';
import { jwtSignBuiltins } from './jwt-sign';
import { templateBuiltins } from './template';
import { fallbackBuiltins } from './fallback';
import { randBuiltins } from './rand';
import { jsonSchemaBuiltins } from './jsonschema';
import { x509Builtins } from './x509';
import { graphqlBuiltins } from './graphql';
import { awsBuiltins } from './aws';
import { regoModuleBuiltins } from './rego-module';
import { opaRuntimeBuiltins } from './opa-runtime';
import { ExactJson, ExactNumber, type HostBuiltin, type InternalBuiltin, type JsonValue, type SdkBuiltin } from './types';

export type { HostBuiltin, JsonValue, JsonObject, SdkBuiltin } from './types';
export { beginEvaluation } from './evaluation';
export { configureOpaRuntime } from './opa-runtime';
export { HostBuiltinError, OperandTypeError, BuiltinEvalError, InputLimitError } from './errors';

/** Every implementation, before the public tables adapt exact numbers. */
const implementations: Readonly<Record<string, InternalBuiltin>> = Object.freeze({
  // natively implemented by the runtime; host versions only as a safety net
  ...fallbackBuiltins,
  ...regexBuiltins,
  ...globBuiltins,
  ...globsBuiltins,
  ...stringBuiltins,
  ...timeBuiltins,
  ...unitsBuiltins,
  ...semverBuiltins,
  ...netBuiltins,
  ...encodingBuiltins,
  ...cryptoBuiltins,
  ...jwtBuiltins,
  ...collectionBuiltins,
  ...jsonPatchBuiltins,
  ...jsonMarshalBuiltins,
  ...uuidBuiltins,
  ...graphBuiltins,
  ...jwtSignBuiltins,
  ...templateBuiltins,
  ...randBuiltins,
  ...jsonSchemaBuiltins,
  ...x509Builtins,
  ...graphqlBuiltins,
  ...awsBuiltins,
  ...regoModuleBuiltins,
  ...opaRuntimeBuiltins,
});

/** Adapt every function of a table, keeping each function's declared arity (`length`). */
function mapTable<A extends (...args: never[]) => unknown, B extends (...args: never[]) => unknown>(
  table: Readonly<Record<string, A>>,
  f: (fn: A) => B,
): Readonly<Record<string, B>> {
  return Object.freeze(
    Object.fromEntries(Object.entries(table).map(([name, fn]) => [name, Object.defineProperty(f(fn), 'length', { value: fn.length })])),
  );
}

/** Exact numbers as the nearest double: plain JSON for JavaScript callers. */
function plain(fn: InternalBuiltin): HostBuiltin {
  return (...args) => {
    const r = fn(...args);
    if (r instanceof ExactJson) return r.approx;
    return r instanceof ExactNumber ? Number(r.text) : r;
  };
}

/** Exact numbers and documents as raw JSON text, which the OPA SDK hands to `opa_json_parse` unchanged. */
function raw(fn: InternalBuiltin): SdkBuiltin {
  return (...args) => {
    const r = fn(...args);
    if (!(r instanceof ExactNumber) && !(r instanceof ExactJson)) return r;
    const bytes = Buffer.from(r.text, 'utf8');
    const out = new ArrayBuffer(bytes.length);
    new Uint8Array(out).set(bytes);
    return out;
  };
}

/** Every host builtin; errors propagate (strict builtin errors). */
export const strictHostBuiltins: Readonly<Record<string, HostBuiltin>> = mapTable(implementations, plain);

function nonStrict<F extends (...args: JsonValue[]) => unknown>(fn: F): F {
  return ((...args: JsonValue[]) => {
    try {
      return fn(...args);
    } catch {
      // OPA non-strict semantics: any builtin error makes the call undefined.
      return undefined;
    }
  }) as F;
}

/** Every host builtin as plain JSON in / JSON out; a builtin error is `undefined` (OPA non-strict). */
export const hostBuiltins: Readonly<Record<string, HostBuiltin>> = mapTable(strictHostBuiltins, nonStrict);

/**
 * The table to give the OPA SDK as `customBuiltins`: like `hostBuiltins`, but
 * numbers a double cannot hold exactly (ns timestamps, 10 EiB) are returned as
 * exact JSON text, so a runtime with exact decimals compares them exactly.
 */
export const sdkHostBuiltins: Readonly<Record<string, SdkBuiltin>> = mapTable(implementations, (fn) => nonStrict(raw(fn)));
