/**
 * graphql.* host builtins: gqlparser's AST shape as OPA prunes it, gqlparser's
 * error wording, gqlparser's schema rules (which differ from graphql-js), AST
 * objects as operands, and bounded work on hostile input.
 */
import type { JsonValue } from '../src/builtins/host';
import { extendedHostBuiltins as hostBuiltins, strictExtendedHostBuiltins as strictHostBuiltins } from '../src/builtins/host/extended';

function call(name: string, ...args: JsonValue[]): JsonValue | undefined {
  const fn = hostBuiltins[name];
  if (!fn) throw new Error(`no host builtin ${name}`);
  return fn(...args);
}

const schema = `
  type Employee { id: String! salary: Int! manager: Employee }
  type Query { employeeByID(id: String!): Employee }
`;

describe('graphql.parse_query / parse_schema', () => {
  test('query AST: aliases default to names, values carry Kind/Raw, empty and null parts pruned', () => {
    expect(call('graphql.parse_query', 'query Q($id: String! = "x") { e: employeeByID(id: $id) { salary } }')).toEqual({
      Operations: [
        {
          Name: 'Q',
          Operation: 'query',
          SelectionSet: [
            {
              Alias: 'e',
              Arguments: [{ Name: 'id', Value: { ExpectedTypeHasDefault: false, Kind: 0, Raw: 'id' } }],
              Name: 'employeeByID',
              SelectionSet: [{ Alias: 'salary', Name: 'salary' }],
            },
          ],
          VariableDefinitions: [
            {
              DefaultValue: { ExpectedTypeHasDefault: false, Kind: 3, Raw: 'x' },
              Type: { NamedType: 'String', NonNull: true },
              Used: false,
              Variable: 'id',
            },
          ],
        },
      ],
    });
  });

  test('schema AST: definitions, extensions, list types', () => {
    expect(call('graphql.parse_schema', '"D" type A { f(x: [Int!]): String } extend type A { g: Int }')).toEqual({
      Definitions: [
        {
          BuiltIn: false,
          Description: 'D',
          Fields: [
            {
              Arguments: [{ Description: '', Name: 'x', Type: { Elem: { NamedType: 'Int', NonNull: true }, NamedType: '', NonNull: false } }],
              Description: '',
              Name: 'f',
              Type: { NamedType: 'String', NonNull: false },
            },
          ],
          Kind: 'OBJECT',
          Name: 'A',
        },
      ],
      Extensions: [{ BuiltIn: false, Description: '', Fields: [{ Description: '', Name: 'g', Type: { NamedType: 'Int', NonNull: false } }], Kind: 'OBJECT', Name: 'A' }],
    });
  });

  test.each<[string, string, string]>([
    ['graphql.parse_query', '{', 'Expected Name, found <EOF> in GraphQL string at location 1:2'],
    ['graphql.parse_query', '{ field: {} }', 'Expected Name, found { in GraphQL string at location 1:10'],
    ['graphql.parse_query', '{ a { } }', 'expected at least one definition, found } in GraphQL string at location 1:7'],
    ['graphql.parse_query', 'type A { f: Int }', 'Unexpected Name "type" in GraphQL string at location 1:1'],
    ['graphql.parse_schema', 'query { a }', 'Unexpected Name "query" in GraphQL string at location 1:1'],
    ['graphql.parse_schema', '\n  "Description"\n  extend type Hello { world: String }', 'Unexpected String "Description" in GraphQL string at location 2:4'],
    ['graphql.parse_schema', 'type Hello {}', 'expected at least one definition, found } in GraphQL string at location 1:13'],
  ])('%s(%j) fails with gqlparser wording', (fn, src, message) => {
    expect(call(fn, src)).toBeUndefined();
    expect(() => strictHostBuiltins[fn](src)).toThrow(`${fn}: ${message}`);
  });

  test('operands must be strings', () => {
    expect(call('graphql.parse_query', { Operations: [] })).toBeUndefined();
    expect(call('graphql.parse_schema', 1)).toBeUndefined();
  });
});

describe('graphql.is_valid / parse / parse_and_verify', () => {
  test('a valid query; an invalid one is false / an error naming the rule', () => {
    expect(call('graphql.is_valid', '{ employeeByID(id: "a") { salary } }', schema)).toBe(true);
    expect(call('graphql.is_valid', '{ employeeByID { salary } }', schema)).toBe(false);
    expect(call('graphql.is_valid', '{ employeeByID(id: "a") { bonus } }', schema)).toBe(false);
    expect(() => strictHostBuiltins['graphql.parse']('{ employeeByID { salary } }', schema)).toThrow(
      'graphql.parse: Field "employeeByID" argument "id" of type "String!" is required, but it was not provided in GraphQL string at location 1:3',
    );
  });

  test('an operation the schema has no root for is invalid', () => {
    expect(call('graphql.is_valid', 'mutation { x }', schema)).toBe(false);
  });

  test('parse_and_verify: [true, query AST, schema AST] or [false, {}, {}]', () => {
    const r = call('graphql.parse_and_verify', '{ employeeByID(id: "a") { salary } }', schema) as JsonValue[];
    expect(r[0]).toBe(true);
    expect(r[1]).toEqual(call('graphql.parse_query', '{ employeeByID(id: "a") { salary } }'));
    expect(r[2]).toEqual(call('graphql.parse_schema', schema));
    expect(call('graphql.parse_and_verify', '{ nope }', schema)).toEqual([false, {}, {}]);
    expect(call('graphql.parse_and_verify', 1, schema)).toEqual([false, {}, {}]);
  });

  test('AST objects from parse_query / parse_schema are accepted as operands', () => {
    const q = call('graphql.parse_query', '{ employeeByID(id: "a") { manager { id } } }') as JsonValue;
    const s = call('graphql.parse_schema', schema) as JsonValue;
    expect(call('graphql.is_valid', q, s)).toBe(true);
    const bad = call('graphql.parse_query', '{ employeeByID(id: "a") { manager } }') as JsonValue;
    expect(call('graphql.is_valid', bad, s)).toBe(false); // ScalarLeafs: manager needs a selection
  });

  test('hostile AST objects (names that are not GraphQL names) are rejected, not printed into the document', () => {
    // Printed verbatim this would be the valid query `{ employeeByID(id: "a") { salary } }`;
    // gqlparser would look for a field literally named so and reject it.
    const q = { Operations: [{ Operation: 'query', SelectionSet: [{ Alias: '', Name: 'employeeByID(id: "a") { salary }' }] }] };
    expect(call('graphql.is_valid', q, schema)).toBe(false);
    expect(call('graphql.parse', q, schema)).toBeUndefined();
    expect(call('graphql.is_valid', { Operations: [{ Operation: 'query', SelectionSet: [{ Alias: '', Name: 'employeeByID' }] }] }, schema)).toBe(false);
  });
});

describe('graphql.schema_is_valid: gqlparser rules, not graphql-js', () => {
  test.each<[string, string, boolean]>([
    ['extending a type that does not exist creates it (gqlparser)', 'extend type Query { a: Int }', true],
    ['an object without fields', 'type A', false],
    ['a union member that is not defined', 'union U = X', false],
    ['an interface implemented without its ancestors', 'interface A { id: ID! } interface B implements A { id: ID! } type C implements B { id: ID! }', false],
    ['an object type used as an input field', 'type O { a: Int } input I { o: O }', false],
    ['a directive on the wrong location', 'scalar S @deprecated', false],
    ['a schema root that does not exist', 'schema { query: Nope }', false],
    ['no Query type at all is fine', 'type A { a: Int }', true],
    ['redeclaring a type', 'type A { a: Int } type A { b: Int }', false],
  ])('%s', (_n, sdl, want) => expect(call('graphql.schema_is_valid', sdl)).toBe(want));
});

describe('hostile input is bounded', () => {
  test('deeply nested lists end in an error, not a crash', () => {
    const deep = `{ f(a: ${'['.repeat(200_000)}${']'.repeat(200_000)}) }`;
    expect(call('graphql.parse_query', deep)).toBeUndefined();
    expect(call('graphql.is_valid', deep, schema)).toBe(false);
  });
});
