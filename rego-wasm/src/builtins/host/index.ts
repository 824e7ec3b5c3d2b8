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
import type { HostBuiltin } from './types';

export type { HostBuiltin, JsonValue, JsonObject } from './types';
export { beginEvaluation } from './evaluation';
export { HostBuiltinError, OperandTypeError, BuiltinEvalError, InputLimitError } from './errors';

/** Every host builtin; errors propagate (strict builtin errors). */
export const strictHostBuiltins: Readonly<Record<string, HostBuiltin>> = Object.freeze({
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
});

function nonStrict(fn: HostBuiltin): HostBuiltin {
  return (...args) => {
    try {
      return fn(...args);
    } catch {
      // OPA non-strict semantics: any builtin error makes the call undefined.
      return undefined;
    }
  };
}

/** The table the policy loader hands to the OPA SDK: a builtin error is `undefined`. */
export const hostBuiltins: Readonly<Record<string, HostBuiltin>> = Object.freeze(
  Object.fromEntries(Object.entries(strictHostBuiltins).map(([name, fn]) => [name, nonStrict(fn)])),
);
