/**
 * `json.verify_schema` and `json.match_schema` (OPA's topdown/jsonschema.go,
 * which wraps gojsonschema). Validation is Ajv (drafts 6/7, and draft 4 through
 * `ajv-draft-04`, chosen by the schema's `$schema`), with Go's regexp dialect for
 * `pattern`/`patternProperties` (RE2 via re2js) and `ajv-formats` for `format`.
 * Ajv's errors are rewritten into gojsonschema's result objects:
 * `{"error": "<field>: <desc>", "type": ..., "field": ..., "desc": ...}`.
 *
 * Differences from OPA, all in the error list, never in the match verdict:
 * the order of several errors follows Ajv's evaluation order, and for a failed
 * `anyOf`/`oneOf` only the combinator's own error is reported (gojsonschema adds
 * the errors of its "closest" branch). A schema rejected for a reason other than
 * an invalid `type` is described with Ajv's wording after `jsonschema: `.
 * Remote `$ref`s are never fetched (OPA fetches them unless `allow_net` forbids).
 */
import type Ajv from 'ajv';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types';
import { BuiltinEvalError, OperandTypeError } from './errors';
import { isObject } from './operands';
import { compileRegex } from './re2';
import type { HostBuiltin, JsonObject, JsonValue } from './types';

const JSON_TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];

/**
 * Go regexp semantics (unanchored `MatchString`) for Ajv's pattern keywords.
 * Ajv shares compiled patterns per instance keyed by `toString()`, so that must
 * be the pattern itself. `code` names the engine only in standalone code
 * generation, which is not used here.
 */
const goRegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    const re = compileRegex(pattern);
    return { test: (s: string) => re.matcher(s).find(), toString: () => `re2:${pattern}` };
  },
  { code: 'goRegExp' },
);

const AJV_OPTIONS: Options = {
  allErrors: true,
  strict: false,
  logger: false,
  addUsedSchema: false,
  code: { regExp: goRegExp },
};

type Draft = 'draft-04' | 'draft-06' | 'draft-07';
const validators = new Map<Draft, Ajv>();

/** Ajv and its plugins load on the first schema, not at cold start (they are most of this file's weight). */
function ajvFor(draft: Draft): Ajv {
  let ajv = validators.get(draft);
  if (ajv) return ajv;
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (draft === 'draft-04') {
    const AjvDraft04 = (require('ajv-draft-04') as typeof import('ajv-draft-04')).default;
    ajv = new AjvDraft04(AJV_OPTIONS) as unknown as Ajv;
  } else {
    const AjvClass = (require('ajv') as typeof import('ajv')).default;
    ajv = new AjvClass(AJV_OPTIONS);
    if (draft === 'draft-06') ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as object);
  }
  (require('ajv-formats') as typeof import('ajv-formats')).default(ajv);
  /* eslint-enable @typescript-eslint/no-require-imports */
  validators.set(draft, ajv);
  return ajv;
}

function draftOf(schema: JsonValue): Draft {
  const id = isObject(schema) && typeof schema.$schema === 'string' ? schema.$schema : '';
  if (/draft-04\/schema/.test(id)) return 'draft-04';
  if (/draft-06\/schema/.test(id)) return 'draft-06';
  return 'draft-07';
}

/** OPA's astValueToJSONSchemaLoader: a JSON string or an object/array. */
function loadDocument(builtin: string, v: JsonValue | undefined, pos: number): JsonValue {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v) as JsonValue;
    } catch {
      throw new BuiltinEvalError(builtin, 'invalid JSON string');
    }
  }
  if (isObject(v) || Array.isArray(v)) return v;
  throw new OperandTypeError(builtin, pos, v, 'string', 'object');
}

class SchemaError extends Error {}

/** gojsonschema's message for the first invalid `type` in a schema Ajv rejected, if that is the reason. */
function invalidTypeMessage(schema: JsonValue, errors: readonly ErrorObject[]): string | undefined {
  for (const e of errors) {
    if (!e.instancePath.endsWith('/type')) continue;
    const t = resolvePointer(schema, e.instancePath);
    const given = (Array.isArray(t) ? t : [t]).find((x) => typeof x !== 'string' || !JSON_TYPES.includes(x));
    if (typeof given === 'string') {
      return `has a primitive type that is NOT VALID -- given: /${given}/ Expected valid values are:[${JSON_TYPES.join(' ')}]`;
    }
  }
  return undefined;
}

const CACHE_SIZE = 64;
const compiled = new Map<string, ValidateFunction>();

/** Compile a schema (cached by its JSON text); throws SchemaError with gojsonschema-like wording. */
function compile(schema: JsonValue): ValidateFunction {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit) return hit;
  if (typeof schema !== 'boolean' && !isObject(schema)) throw new SchemaError('Invalid type. Expected: object, given: array');
  const ajv = ajvFor(draftOf(schema));
  if (!ajv.validateSchema(schema)) {
    const errors = ajv.errors ?? [];
    throw new SchemaError(invalidTypeMessage(schema, errors) ?? ajv.errorsText(errors, { dataVar: 'schema' }));
  }
  let fn: ValidateFunction;
  try {
    // Ajv copies nothing: compile a private copy so the caller's value can be freed.
    const own = structuredClone(schema);
    fn = ajv.compile(own);
    ajv.removeSchema(own);
  } catch (e) {
    throw new SchemaError(e instanceof Error ? e.message : String(e));
  }
  if (compiled.size >= CACHE_SIZE) {
    const first = compiled.keys().next();
    if (!first.done) compiled.delete(first.value);
  }
  compiled.set(key, fn);
  return fn;
}

function unescapePointerToken(t: string): string {
  return t.replace(/~1/g, '/').replace(/~0/g, '~');
}

function resolvePointer(doc: JsonValue, pointer: string): JsonValue | undefined {
  let cur: JsonValue | undefined = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const t = unescapePointerToken(raw);
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = Object.prototype.hasOwnProperty.call(cur, t) ? cur[t] : undefined;
    else return undefined;
  }
  return cur;
}

/** gojsonschema's JSON context path without the `(root).` prefix. */
function fieldOf(instancePath: string, extra?: string): string {
  const parts = instancePath === '' ? [] : instancePath.split('/').slice(1).map(unescapePointerToken);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? '(root)' : parts.join('.');
}

function givenType(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Go's `%v` of a big.Float as gojsonschema prints bounds (shortest decimal). */
function goNumber(n: unknown): string {
  return typeof n === 'number' ? String(n) : JSON.stringify(n);
}

interface GoError {
  type: string;
  field: string;
  desc: string;
}

/** One Ajv error as gojsonschema reports it; `undefined` for errors gojsonschema does not report. */
function toGoError(e: ErrorObject, document: JsonValue, schemaText: (p: string) => JsonValue | undefined): GoError | undefined {
  const p = e.params as Record<string, unknown>;
  const field = fieldOf(e.instancePath);
  const at = (type: string, desc: string, f = field): GoError => ({ type, field: f, desc });
  switch (e.keyword) {
    case 'type': {
      const t = p.type;
      const types = Array.isArray(t) ? t.map(String) : String(t).split(',');
      const expected = types.length > 1 ? `[${types.join(',')}]` : types[0];
      return at('invalid_type', `Invalid type. Expected: ${expected}, given: ${givenType(resolvePointer(document, e.instancePath))}`);
    }
    case 'required':
      return at('required', `${String(p.missingProperty)} is required`);
    case 'additionalProperties':
      return at('additional_property_not_allowed', `Additional property ${String(p.additionalProperty)} is not allowed`);
    case 'enum': {
      const allowed = Array.isArray(p.allowedValues) ? (p.allowedValues as unknown[]).map((v) => JSON.stringify(v)) : [];
      return at('enum', `${field} must be one of the following: ${allowed.length ? allowed.join(', ') : '(none)'}`);
    }
    case 'const':
      return at('const', `${field} does not match: ${JSON.stringify(p.allowedValue)}`);
    case 'minLength':
      return at('string_gte', `String length must be greater than or equal to ${goNumber(p.limit)}`);
    case 'maxLength':
      return at('string_lte', `String length must be less than or equal to ${goNumber(p.limit)}`);
    case 'pattern':
      return at('pattern', `Does not match pattern '${String(p.pattern)}'`);
    case 'format':
      return at('format', `Does not match format '${String(p.format)}'`);
    case 'multipleOf':
      return at('multiple_of', `Must be a multiple of ${goNumber(p.multipleOf)}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const cmp = String(p.comparison);
      const limit = goNumber(p.limit);
      if (cmp === '>=') return at('number_gte', `Must be greater than or equal to ${limit}`);
      if (cmp === '>') return at('number_gt', `Must be greater than ${limit}`);
      if (cmp === '<=') return at('number_lte', `Must be less than or equal to ${limit}`);
      return at('number_lt', `Must be less than ${limit}`);
    }
    case 'minItems':
      return at('array_min_items', `Array must have at least ${goNumber(p.limit)} items`);
    case 'maxItems':
      return at('array_max_items', `Array must have at most ${goNumber(p.limit)} items`);
    case 'additionalItems':
      return at('array_no_additional_items', 'No additional items allowed on array');
    case 'uniqueItems':
      return at('unique', 'array items must be unique');
    case 'contains':
      return at('contains', 'At least one of the items must match');
    case 'minProperties':
      return at('array_min_properties', `Must have at least ${goNumber(p.limit)} properties`);
    case 'maxProperties':
      return at('array_max_properties', `Must have at most ${goNumber(p.limit)} properties`);
    case 'dependencies':
      return at('missing_dependency', `Has a dependency on ${String(p.missingProperty)}`);
    case 'propertyNames':
      return at('invalid_property_name', `Property "${String(p.propertyName)}" does not match pattern`);
    case 'anyOf':
      return at('number_any_of', 'Must validate at least one schema (anyOf)');
    case 'oneOf':
      return at('number_one_of', 'Must validate one and only one schema (oneOf)');
    case 'not':
      return at('number_not', 'Must not validate the schema (not)');
    case 'if': {
      const branch = String(p.failingKeyword);
      return branch === 'then'
        ? at('condition_then', 'Must validate "then" as "if" was valid')
        : at('condition_else', 'Must validate "else" as "if" was not valid');
    }
    case 'false schema':
      return schemaText(e.schemaPath) === false ? at('false', 'False always fails validation') : undefined;
    default:
      return at('internal', `Internal Error ${e.message ?? e.keyword}`);
  }
}

/** Drops errors inside `anyOf`/`oneOf`/`not` branches: only the combinator's own error stays. */
function outsideCombinatorBranches(errors: readonly ErrorObject[]): ErrorObject[] {
  const combinators = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  return errors.filter((e) => !combinators.some((c) => e.schemaPath.startsWith(c)));
}

function goErrors(errors: readonly ErrorObject[], document: JsonValue, schema: JsonValue): JsonObject[] {
  const schemaAt = (schemaPath: string): JsonValue | undefined => resolvePointer(schema, schemaPath.replace(/^#/, ''));
  const out: JsonObject[] = [];
  for (const e of outsideCombinatorBranches(errors)) {
    const g = toGoError(e, document, schemaAt);
    if (g) out.push({ error: `${g.field}: ${g.desc}`, type: g.type, field: g.field, desc: g.desc });
  }
  return out;
}

const verifySchema: HostBuiltin = (schemaArg) => {
  let schema: JsonValue;
  try {
    schema = loadDocument('json.verify_schema', schemaArg, 1);
    compile(schema);
  } catch (e) {
    if (e instanceof SchemaError) return [false, `jsonschema: ${e.message}`];
    if (e instanceof BuiltinEvalError) return [false, 'jsonschema: invalid JSON string'];
    if (e instanceof OperandTypeError) return [false, 'jsonschema: wrong type, expected string or object'];
    throw e;
  }
  return [true, null];
};

const matchSchema: HostBuiltin = (documentArg, schemaArg) => {
  const document = loadDocument('json.match_schema', documentArg, 1);
  const schema = loadDocument('json.match_schema', schemaArg, 2);
  let validate: ValidateFunction;
  try {
    validate = compile(schema);
  } catch (e) {
    if (e instanceof SchemaError) throw new BuiltinEvalError('json.match_schema', e.message);
    throw e;
  }
  if (validate(document)) return [true, []];
  return [false, goErrors(validate.errors ?? [], document, schema)];
};

export const jsonSchemaBuiltins: Record<string, HostBuiltin> = {
  'json.verify_schema': verifySchema,
  'json.match_schema': matchSchema,
};
