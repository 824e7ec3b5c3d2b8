/**
 * json.verify_schema / json.match_schema: OPA's result shapes (gojsonschema's
 * error objects), the draft chosen by `$schema`, Go regexp patterns.
 * Expected values with `desc` strings are gojsonschema's locale templates.
 */
import type { JsonValue } from '../src/builtins/host';
import { extendedHostBuiltins as hostBuiltins, strictExtendedHostBuiltins as strictHostBuiltins } from '../src/builtins/host/extended';

function call(name: string, ...args: JsonValue[]): JsonValue | undefined {
  const fn = hostBuiltins[name];
  if (!fn) throw new Error(`no host builtin ${name}`);
  return fn(...args);
}

/** OPA takes a document as an object/array or as JSON text: scalars go in as JSON text. */
function match(document: JsonValue, schema: JsonValue): JsonValue | undefined {
  const text = document !== null && typeof document === 'object' ? document : JSON.stringify(document);
  return call('json.match_schema', text, schema);
}

const idSchema = { properties: { id: { type: 'integer' } }, required: ['id'] };

describe('json.verify_schema', () => {
  test.each<[string, JsonValue, JsonValue]>([
    ['object', { type: 'boolean' }, [true, null]],
    ['string', '{"type": "boolean"}', [true, null]],
    [
      'invalid type (object)',
      { type: 'unknown_type' },
      [false, 'jsonschema: has a primitive type that is NOT VALID -- given: /unknown_type/ Expected valid values are:[array boolean integer number null object string]'],
    ],
    [
      'invalid type in a list, nested',
      { properties: { a: { type: ['string', 'strin'] } } },
      [false, 'jsonschema: has a primitive type that is NOT VALID -- given: /strin/ Expected valid values are:[array boolean integer number null object string]'],
    ],
    ['not JSON', '{"type": ', [false, 'jsonschema: invalid JSON string']],
    ['wrong operand type', 5, [false, 'jsonschema: wrong type, expected string or object']],
  ])('%s', (_name, schema, want) => expect(call('json.verify_schema', schema)).toEqual(want));

  test('other schema errors are reported, not accepted', () => {
    const r = call('json.verify_schema', { minLength: -1 }) as JsonValue[];
    expect(r[0]).toBe(false);
    expect(String(r[1])).toMatch(/^jsonschema: .*minLength/);
  });

  test('a pattern Go regexp cannot compile makes the schema invalid (as with ValidatePatterns)', () => {
    expect((call('json.verify_schema', { pattern: '(?=a)' }) as JsonValue[])[0]).toBe(false);
  });

  test('remote $ref is never fetched: the schema does not compile', () => {
    expect((call('json.verify_schema', { $ref: 'http://127.0.0.1:1/s.json' }) as JsonValue[])[0]).toBe(false);
  });
});

describe('json.match_schema', () => {
  test('valid document, object or string document and schema', () => {
    expect(call('json.match_schema', { id: 5 }, idSchema)).toEqual([true, []]);
    expect(call('json.match_schema', '{"id": 5}', idSchema)).toEqual([true, []]);
    expect(call('json.match_schema', { id: 5 }, JSON.stringify(idSchema))).toEqual([true, []]);
  });

  test('invalid type: gojsonschema error object', () => {
    expect(call('json.match_schema', { id: 'foo' }, idSchema)).toEqual([
      false,
      [{ desc: 'Invalid type. Expected: integer, given: string', error: 'id: Invalid type. Expected: integer, given: string', field: 'id', type: 'invalid_type' }],
    ]);
  });

  test('missing required property is reported on the object ((root))', () => {
    expect(call('json.match_schema', {}, idSchema)).toEqual([
      false,
      [{ desc: 'id is required', error: '(root): id is required', field: '(root)', type: 'required' }],
    ]);
  });

  test('nested fields are joined with dots; integer vs number as Go classifies them', () => {
    const schema = { properties: { a: { items: { properties: { b: { type: 'string' } } } } } };
    expect(call('json.match_schema', { a: [{ b: 'x' }, { b: 1.5 }] }, schema)).toEqual([
      false,
      [{ desc: 'Invalid type. Expected: string, given: number', error: 'a.1.b: Invalid type. Expected: string, given: number', field: 'a.1.b', type: 'invalid_type' }],
    ]);
    expect(match(7, { type: ['string', 'null'] })).toEqual([
      false,
      [{ desc: 'Invalid type. Expected: [string,null], given: integer', error: '(root): Invalid type. Expected: [string,null], given: integer', field: '(root)', type: 'invalid_type' }],
    ]);
  });

  test.each<[string, JsonValue, JsonValue, string, string]>([
    ['additionalProperties', { a: 1, b: 2 }, { properties: { a: {} }, additionalProperties: false }, 'additional_property_not_allowed', 'Additional property b is not allowed'],
    ['enum', 'c', { enum: ['a', 'b'] }, 'enum', '(root) must be one of the following: "a", "b"'],
    ['minLength', 'ab', { minLength: 3 }, 'string_gte', 'String length must be greater than or equal to 3'],
    ['maxItems', [1, 2, 3], { maxItems: 2 }, 'array_max_items', 'Array must have at most 2 items'],
    ['minimum', 1, { minimum: 2 }, 'number_gte', 'Must be greater than or equal to 2'],
    ['exclusiveMaximum (draft 7)', 2, { exclusiveMaximum: 2 }, 'number_lt', 'Must be less than 2'],
    ['pattern', 'b', { pattern: '^a' }, 'pattern', "Does not match pattern '^a'"],
    ['format', 'not-an-email', { format: 'email' }, 'format', "Does not match format 'email'"],
    ['anyOf', true, { anyOf: [{ type: 'string' }, { type: 'number' }] }, 'number_any_of', 'Must validate at least one schema (anyOf)'],
    ['not', 1, { not: { type: 'integer' } }, 'number_not', 'Must not validate the schema (not)'],
  ])('%s', (_name, doc, schema, type, desc) => {
    const [ok, errors] = match(doc, schema) as [boolean, { type: string; desc: string }[]];
    expect(ok).toBe(false);
    expect(errors.map((e) => [e.type, e.desc])).toEqual([[type, desc]]);
  });

  test('draft 4 is chosen by $schema (boolean exclusiveMaximum)', () => {
    const schema = { $schema: 'http://json-schema.org/draft-04/schema#', maximum: 2, exclusiveMaximum: true };
    expect((match(2, schema) as JsonValue[])[0]).toBe(false);
    expect((match(1, schema) as JsonValue[])[0]).toBe(true);
    // The same keyword as a boolean is a schema error under draft 7.
    expect((call('json.verify_schema', { maximum: 2, exclusiveMaximum: true }) as JsonValue[])[0]).toBe(false);
  });

  test('draft 6 is chosen by $schema', () => {
    const schema = { $schema: 'http://json-schema.org/draft-06/schema#', const: 'x' };
    expect((match('x', schema) as JsonValue[])[0]).toBe(true);
    expect((match('y', schema) as JsonValue[])[0]).toBe(false);
  });

  test('patterns are Go regexp (\\z is end of text; JavaScript rejects it)', () => {
    expect(match('a', { pattern: '^a\\z' })).toEqual([true, []]);
    expect((match('a\n', { pattern: '^a\\z' }) as JsonValue[])[0]).toBe(false);
  });

  test('an invalid schema is a builtin error (undefined), naming the reason in strict mode', () => {
    expect(call('json.match_schema', { id: 'foo' }, { type: 'unknown' })).toBeUndefined();
    expect(() => strictHostBuiltins['json.match_schema']({ id: 'foo' }, { type: 'unknown' })).toThrow(
      'json.match_schema: has a primitive type that is NOT VALID -- given: /unknown/ Expected valid values are:[array boolean integer number null object string]',
    );
  });

  test('bad operands are errors (a document is an object, an array or JSON text)', () => {
    expect(call('json.match_schema', 5, idSchema)).toBeUndefined();
    expect(call('json.match_schema', 'a', { type: 'string' })).toBeUndefined();
    expect(call('json.match_schema', '{', idSchema)).toBeUndefined();
    expect(call('json.match_schema', { id: 1 }, '{')).toBeUndefined();
  });

  test('the compiled-schema cache never mixes schemas with the same $id', () => {
    expect((match(1, { $id: 'https://example.test/s.json', type: 'string' }) as JsonValue[])[0]).toBe(false);
    expect((match(1, { $id: 'https://example.test/s.json', type: 'integer' }) as JsonValue[])[0]).toBe(true);
  });
});
