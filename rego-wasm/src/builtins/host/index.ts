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
import { awsBuiltins } from './aws';
import { opaRuntimeBuiltins } from './opa-runtime';
import { makeTables } from './tables';
import type { HostBuiltin, InternalBuiltin, SdkBuiltin } from './types';

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
  ...awsBuiltins,
  ...opaRuntimeBuiltins,
});

const tables = makeTables(implementations);

/** Every host builtin; errors propagate (strict builtin errors). */
export const strictHostBuiltins: Readonly<Record<string, HostBuiltin>> = tables.strict;

/** Every host builtin as plain JSON in / JSON out; a builtin error is `undefined` (OPA non-strict). */
export const hostBuiltins: Readonly<Record<string, HostBuiltin>> = tables.plain;

/**
 * The table to give the OPA SDK as `customBuiltins`: like `hostBuiltins`, but
 * numbers a double cannot hold exactly (ns timestamps, 10 EiB) are returned as
 * exact JSON text, so a runtime with exact decimals compares them exactly.
 */
export const sdkHostBuiltins: Readonly<Record<string, SdkBuiltin>> = tables.sdk;
