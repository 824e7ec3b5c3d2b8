/**
 * Opt-in host builtins whose libraries are too large to ship in every policy
 * loader: json.match_schema / json.verify_schema (Ajv), crypto.x509.* and
 * crypto.parse_private_keys (ASN.1 schemas), graphql.* (graphql-js) and
 * rego.parse_module (the Rego parser). Together they add ≈600 KB to a bundle,
 * which would put the authorizer Lambda over its 1 MiB budget, so the core
 * table (`index.ts`) leaves them out and a policy calling one fails to build
 * with `UnsupportedBuiltinError` unless the host opts in:
 *
 *   buildPolicyWasm(plan, { extraHostBuiltins: Object.keys(sdkExtendedHostBuiltins) });
 *   loadPolicyWasm(wasm, { builtins: sdkExtendedHostBuiltins });
 */
import { jsonSchemaBuiltins } from './jsonschema';
import { x509Builtins } from './x509';
import { graphqlBuiltins } from './graphql';
import { regoModuleBuiltins } from './rego-module';
import { makeTables } from './tables';
import type { HostBuiltin, InternalBuiltin, SdkBuiltin } from './types';

const implementations: Readonly<Record<string, InternalBuiltin>> = Object.freeze({
  ...jsonSchemaBuiltins,
  ...x509Builtins,
  ...graphqlBuiltins,
  ...regoModuleBuiltins,
});

const tables = makeTables(implementations);

/** The extended builtins; errors propagate. */
export const strictExtendedHostBuiltins: Readonly<Record<string, HostBuiltin>> = tables.strict;
/** The extended builtins as plain JSON; a builtin error is `undefined`. */
export const extendedHostBuiltins: Readonly<Record<string, HostBuiltin>> = tables.plain;
/** The extended builtins for the OPA SDK (exact big integers as raw JSON text). */
export const sdkExtendedHostBuiltins: Readonly<Record<string, SdkBuiltin>> = tables.sdk;
