/**
 * graphql.* builtins (OPA's topdown/graphql.go, which wraps OPA's copy of
 * gqlparser). Parsing is the reference implementation `graphql` (graphql-js);
 * its AST is rewritten into gqlparser's AST as OPA marshals and prunes it (no
 * `Position`, no null or empty values), and its syntax errors into gqlparser's
 * wording. Schema validation is gqlparser's `ValidateSchemaDocument` rules,
 * ported in `validateSchemaDocument` below (gqlparser and graphql-js disagree
 * there, e.g. gqlparser lets `extend type` create a type); query validation is
 * graphql-js's `specifiedRules`, which gqlparser's validator was ported from,
 * against a schema printed from gqlparser's merged schema.
 */
import type {
  Kind as KindEnum,
  TokenKind as TokenKindEnum,
  GraphQLError,
  ArgumentNode,
  ConstDirectiveNode,
  DefinitionNode,
  DirectiveNode,
  DocumentNode,
  FieldDefinitionNode,
  InputValueDefinitionNode,
  SelectionNode,
  TypeNode,
  ValueNode,
  VariableDefinitionNode,
} from 'graphql';
import { BuiltinEvalError, InputLimitError, OperandTypeError } from './errors';
import { isObject } from './operands';
import type { HostBuiltin, JsonObject, JsonValue } from './types';

/** Bounds for hostile input: source size and graphql-js's token budget. */
const MAX_SOURCE = 1 << 20;
const MAX_TOKENS = 100_000;

class GqlError extends Error {}

type GraphQLModule = typeof import('graphql');
let graphqlModule: GraphQLModule | undefined;

/** graphql-js (parser, validator, schema builder) loads on the first graphql.* call, not at cold start. */
function gql(): GraphQLModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  graphqlModule ??= require('graphql') as GraphQLModule;
  return graphqlModule;
}

/** graphql-js's `Kind` / `TokenKind` enums, read through `gql()` so that importing this file loads nothing. */
const Kind = new Proxy({}, { get: (_t, p) => (gql().Kind as unknown as Record<string | symbol, unknown>)[p] }) as typeof KindEnum;
const TokenKind = new Proxy({}, { get: (_t, p) => (gql().TokenKind as unknown as Record<string | symbol, unknown>)[p] }) as typeof TokenKindEnum;

function memo<T>(make: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= make());
}

type G = JsonValue;

// ------------------------------------------------------------ pruning (OPA's pruneIrrelevantGraphQLASTNodes)

function prune(v: G): G {
  if (Array.isArray(v)) {
    const out: G[] = [];
    for (const e of v) {
      if (e === null) continue;
      if (Array.isArray(e) || isObject(e)) {
        const p = prune(e);
        if ((Array.isArray(p) && p.length > 0) || (isObject(p) && Object.keys(p).length > 0)) out.push(p);
      } else out.push(e);
    }
    return out;
  }
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, e] of Object.entries(v)) {
      if (k === 'Position' || e === null) continue;
      if (Array.isArray(e) || isObject(e)) {
        const p = prune(e);
        if ((Array.isArray(p) && p.length > 0) || (isObject(p) && Object.keys(p).length > 0)) out[k] = p;
      } else out[k] = e;
    }
    return out;
  }
  return v;
}

// ------------------------------------------------------------ graphql-js AST → gqlparser AST

const VALUE_KIND = memo((): Record<string, number> => ({
  [Kind.VARIABLE]: 0,
  [Kind.INT]: 1,
  [Kind.FLOAT]: 2,
  [Kind.STRING]: 3,
  [Kind.BOOLEAN]: 5,
  [Kind.NULL]: 6,
  [Kind.ENUM]: 7,
  [Kind.LIST]: 8,
  [Kind.OBJECT]: 9,
}));

function value(v: ValueNode): G {
  let kind = VALUE_KIND()[v.kind];
  let raw = '';
  let children: G[] | null = null;
  switch (v.kind) {
    case Kind.VARIABLE:
      raw = v.name.value;
      break;
    case Kind.INT:
    case Kind.FLOAT:
    case Kind.ENUM:
      raw = v.value;
      break;
    case Kind.STRING:
      raw = v.value;
      if (v.block) kind = 4;
      break;
    case Kind.BOOLEAN:
      raw = v.value ? 'true' : 'false';
      break;
    case Kind.NULL:
      raw = 'null';
      break;
    case Kind.LIST:
      children = v.values.map((c) => ({ Name: '', Value: value(c) }));
      break;
    case Kind.OBJECT:
      children = v.fields.map((f) => ({ Name: f.name.value, Value: value(f.value) }));
      break;
  }
  return { Raw: raw, Children: children, Kind: kind, ExpectedTypeHasDefault: false, Position: null, Definition: null, VariableDefinition: null, ExpectedType: null };
}

function type(t: TypeNode): G {
  switch (t.kind) {
    case Kind.NAMED_TYPE:
      return { NamedType: t.name.value, Elem: null, NonNull: false, Position: null };
    case Kind.LIST_TYPE:
      return { NamedType: '', Elem: type(t.type), NonNull: false, Position: null };
    default: {
      const inner = type(t.type) as JsonObject;
      return { ...inner, NonNull: true };
    }
  }
}

const args = (a: readonly ArgumentNode[] | undefined): G => (a ?? []).map((x) => ({ Name: x.name.value, Value: value(x.value), Position: null }));
const directives = (d: readonly (DirectiveNode | ConstDirectiveNode)[] | undefined): G =>
  (d ?? []).map((x) => ({ Name: x.name.value, Arguments: args(x.arguments), Position: null, ParentDefinition: null, Definition: null, Location: '' }));

function variableDefinitions(v: readonly VariableDefinitionNode[] | undefined): G {
  return (v ?? []).map((x) => ({
    Variable: x.variable.name.value,
    Type: type(x.type),
    DefaultValue: x.defaultValue ? value(x.defaultValue) : null,
    Directives: directives(x.directives),
    Definition: null,
    Used: false,
    Position: null,
  }));
}

function selectionSet(s: readonly SelectionNode[] | undefined): G {
  return (s ?? []).map((x): G => {
    switch (x.kind) {
      case Kind.FIELD:
        return {
          Alias: (x.alias ?? x.name).value,
          Name: x.name.value,
          Arguments: args(x.arguments),
          Directives: directives(x.directives),
          SelectionSet: selectionSet(x.selectionSet?.selections),
          Position: null,
          Definition: null,
          ObjectDefinition: null,
        };
      case Kind.FRAGMENT_SPREAD:
        return { Name: x.name.value, Directives: directives(x.directives), ObjectDefinition: null, Definition: null, Position: null };
      default:
        return {
          TypeCondition: x.typeCondition?.name.value ?? '',
          Directives: directives(x.directives),
          SelectionSet: selectionSet(x.selectionSet.selections),
          ObjectDefinition: null,
          Position: null,
        };
    }
  });
}

function queryDocument(doc: DocumentNode): JsonObject {
  const operations: G[] = [];
  const fragments: G[] = [];
  for (const d of doc.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) {
      operations.push({
        Operation: d.operation,
        Name: d.name?.value ?? '',
        VariableDefinitions: variableDefinitions(d.variableDefinitions),
        Directives: directives(d.directives),
        SelectionSet: selectionSet(d.selectionSet.selections),
        Position: null,
      });
    } else if (d.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.push({
        Name: d.name.value,
        VariableDefinition: variableDefinitions(d.variableDefinitions),
        TypeCondition: d.typeCondition.name.value,
        Directives: directives(d.directives),
        SelectionSet: selectionSet(d.selectionSet.selections),
        Definition: null,
        Position: null,
      });
    } else throw new GqlError('not an executable definition');
  }
  return { Operations: operations, Fragments: fragments };
}

const description = (d: { description?: { value: string } }): string => d.description?.value ?? '';

function inputValue(x: InputValueDefinitionNode): G {
  return { Description: description(x), Name: x.name.value, DefaultValue: x.defaultValue ? value(x.defaultValue) : null, Type: type(x.type), Directives: directives(x.directives), Position: null };
}

function fieldDefinition(x: FieldDefinitionNode | InputValueDefinitionNode): G {
  if (x.kind === Kind.INPUT_VALUE_DEFINITION) {
    return { Description: description(x), Name: x.name.value, Arguments: null, DefaultValue: x.defaultValue ? value(x.defaultValue) : null, Type: type(x.type), Directives: directives(x.directives), Position: null };
  }
  return { Description: description(x), Name: x.name.value, Arguments: (x.arguments ?? []).map(inputValue), DefaultValue: null, Type: type(x.type), Directives: directives(x.directives), Position: null };
}

const DEFINITION_KINDS = memo((): Record<string, string> => ({
  [Kind.SCALAR_TYPE_DEFINITION]: 'SCALAR',
  [Kind.SCALAR_TYPE_EXTENSION]: 'SCALAR',
  [Kind.OBJECT_TYPE_DEFINITION]: 'OBJECT',
  [Kind.OBJECT_TYPE_EXTENSION]: 'OBJECT',
  [Kind.INTERFACE_TYPE_DEFINITION]: 'INTERFACE',
  [Kind.INTERFACE_TYPE_EXTENSION]: 'INTERFACE',
  [Kind.UNION_TYPE_DEFINITION]: 'UNION',
  [Kind.UNION_TYPE_EXTENSION]: 'UNION',
  [Kind.ENUM_TYPE_DEFINITION]: 'ENUM',
  [Kind.ENUM_TYPE_EXTENSION]: 'ENUM',
  [Kind.INPUT_OBJECT_TYPE_DEFINITION]: 'INPUT_OBJECT',
  [Kind.INPUT_OBJECT_TYPE_EXTENSION]: 'INPUT_OBJECT',
}));

function typeDefinition(d: DefinitionNode): JsonObject {
  const x = d as DefinitionNode & {
    name: { value: string };
    directives?: readonly ConstDirectiveNode[];
    interfaces?: readonly { name: { value: string } }[];
    fields?: readonly (FieldDefinitionNode | InputValueDefinitionNode)[];
    types?: readonly { name: { value: string } }[];
    values?: readonly { name: { value: string }; description?: { value: string }; directives?: readonly ConstDirectiveNode[] }[];
    description?: { value: string };
  };
  return {
    Kind: DEFINITION_KINDS()[d.kind],
    Description: description(x),
    Name: x.name.value,
    Directives: directives(x.directives),
    Interfaces: (x.interfaces ?? []).map((i) => i.name.value),
    Fields: (x.fields ?? []).map(fieldDefinition),
    Types: (x.types ?? []).map((t) => t.name.value),
    EnumValues: (x.values ?? []).map((v) => ({ Description: description(v), Name: v.name.value, Directives: directives(v.directives), Position: null })),
    Position: null,
    BuiltIn: false,
  };
}

function schemaDocument(doc: DocumentNode): JsonObject {
  const out: Record<string, G[]> = { Schema: [], SchemaExtension: [], Directives: [], Definitions: [], Extensions: [] };
  for (const d of doc.definitions) {
    switch (d.kind) {
      case Kind.SCHEMA_DEFINITION:
      case Kind.SCHEMA_EXTENSION:
        (d.kind === Kind.SCHEMA_DEFINITION ? out.Schema : out.SchemaExtension).push({
          Description: d.kind === Kind.SCHEMA_DEFINITION ? description(d) : '',
          Directives: directives(d.directives),
          OperationTypes: (d.operationTypes ?? []).map((o) => ({ Operation: o.operation, Type: o.type.name.value, Position: null })),
          Position: null,
        });
        break;
      case Kind.DIRECTIVE_DEFINITION:
        out.Directives.push({
          Description: description(d),
          Name: d.name.value,
          Arguments: (d.arguments ?? []).map(inputValue),
          Locations: d.locations.map((l) => l.value),
          IsRepeatable: d.repeatable,
          Position: null,
        });
        break;
      default:
        if (!(d.kind in DEFINITION_KINDS())) throw new GqlError('not a type system definition');
        (d.kind.endsWith('Extension') ? out.Extensions : out.Definitions).push(typeDefinition(d));
    }
  }
  return out;
}

// ------------------------------------------------------------ parsing, with gqlparser's error wording

const PUNCTUATORS = new Set(['!', '$', '&', '(', ')', '...', ':', '=', '@', '[', ']', '{', '|', '}']);

function lineCol(src: string, offset: number): [number, number] {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < src.length; i++) {
    if (src[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return [line, col];
}

/** The token just before `offset` (graphql-js lexer), or undefined. */
function tokenBefore(src: string, offset: number): string | undefined {
  try {
    const lexer = new (gql().Lexer)(new (gql().Source)(src));
    let prev: string | undefined;
    for (let t = lexer.advance(); t.kind !== TokenKind.EOF && t.start < offset; t = lexer.advance()) prev = t.value ?? t.kind;
    return prev;
  } catch {
    return undefined;
  }
}

/** gqlparser's error text for a graphql-js syntax error. */
function syntaxError(e: GraphQLError, src: string): GqlError {
  const offset = e.positions?.[0] ?? 0;
  let [line, col] = e.locations?.[0] ? [e.locations[0].line, e.locations[0].column] : lineCol(src, offset);
  let msg = e.message.replace(/^Syntax Error: /, '').replace(/\.$/, '');
  if (/^Unterminated string/.test(msg) || /^(Invalid|Unexpected) character/.test(msg) || /^Invalid (number|character escape)/.test(msg)) {
    if (/^Unterminated string/.test(msg)) {
      const nl = src.slice(offset).search(/[\r\n]/);
      [line, col] = lineCol(src, nl < 0 ? src.length : offset + nl + 1);
    }
    msg = 'Unexpected <Invalid>';
  } else if (/^Unexpected description/.test(msg)) {
    const m = /^("(?:[^"\\\n]|\\.)*")/.exec(src.slice(offset));
    msg = `Unexpected String ${m ? m[1] : '""'}`;
  }
  msg = msg.replace(/"(\.\.\.|[!$&():=@[\]{|}])"/g, (_m, p: string) => (PUNCTUATORS.has(p) ? p : `"${p}"`));
  if (msg === 'Expected Name, found }' && tokenBefore(src, offset) === '{') msg = 'expected at least one definition, found }';
  // gqlparser places string tokens after their opening quote(s).
  if (/(found|Unexpected) String /.test(msg)) col += src.startsWith('"""', offset) ? 3 : 1;
  return new GqlError(`${msg} in GraphQL string at location ${line}:${col}`);
}

function parseSource(src: string): DocumentNode | undefined {
  if (src.length > MAX_SOURCE) throw new GqlError(`GraphQL string larger than ${MAX_SOURCE} bytes`);
  if (new (gql().Lexer)(new (gql().Source)(src)).advance().kind === TokenKind.EOF) return undefined;
  try {
    return gql().parse(src, { allowLegacyFragmentVariables: true, maxTokens: MAX_TOKENS });
  } catch (e) {
    if (e instanceof gql().GraphQLError) throw syntaxError(e, src);
    throw e;
  }
}

/** A definition the document kind does not allow: gqlparser reports its first token as unexpected. */
function unexpectedDefinition(src: string, d: DefinitionNode): GqlError {
  const start = d.loc?.start ?? 0;
  const lexer = new (gql().Lexer)(new (gql().Source)(src.slice(start)));
  const t = lexer.advance();
  let desc = t.kind === TokenKind.NAME ? `Name "${t.value}"` : t.kind === TokenKind.STRING || t.kind === TokenKind.BLOCK_STRING ? `String "${t.value}"` : t.kind;
  const [line, col0] = lineCol(src, start);
  const col = t.kind === TokenKind.STRING ? col0 + 1 : t.kind === TokenKind.BLOCK_STRING ? col0 + 3 : col0;
  if (PUNCTUATORS.has(desc)) desc = String(desc);
  return new GqlError(`Unexpected ${desc} in GraphQL string at location ${line}:${col}`);
}

function parseQuery(src: string): { doc: DocumentNode | undefined; ast: JsonObject } {
  const doc = parseSource(src);
  if (!doc) return { doc, ast: {} };
  for (const d of doc.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION && d.kind !== Kind.FRAGMENT_DEFINITION) throw unexpectedDefinition(src, d);
  }
  return { doc, ast: queryDocument(doc) };
}

function parseSchema(src: string): JsonObject {
  const doc = parseSource(src);
  if (!doc) return {};
  for (const d of doc.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) throw unexpectedDefinition(src, d);
  }
  return schemaDocument(doc);
}

// ------------------------------------------------------------ gqlparser AST (as JSON) → GraphQL text

type GObj = Record<string, G>;
const asArr = (v: G | undefined): GObj[] => (Array.isArray(v) ? (v.filter(isObject) as GObj[]) : []);
const asStr = (v: G | undefined): string => (typeof v === 'string' ? v : '');
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

function name(v: G | undefined): string {
  const s = asStr(v);
  if (!NAME.test(s)) throw new GqlError(`invalid GraphQL name ${JSON.stringify(s)} in AST object`);
  return s;
}

function printValue(v: G | undefined): string {
  if (!isObject(v)) throw new GqlError('invalid value in AST object');
  const raw = asStr(v.Raw);
  switch (v.Kind) {
    case 0:
      return `$${name(raw)}`;
    case 1:
    case 2:
      if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) throw new GqlError('invalid number in AST object');
      return raw;
    case 3:
    case 4:
      return JSON.stringify(raw);
    case 5:
      if (raw !== 'true' && raw !== 'false') throw new GqlError('invalid boolean in AST object');
      return raw;
    case 6:
      return 'null';
    case 7:
      return name(raw);
    case 8:
      return `[${asArr(v.Children).map((c) => printValue(c.Value)).join(', ')}]`;
    case 9:
      return `{${asArr(v.Children).map((c) => `${name(c.Name)}: ${printValue(c.Value)}`).join(', ')}}`;
    default:
      throw new GqlError('invalid value kind in AST object');
  }
}

function printType(t: G | undefined): string {
  if (!isObject(t)) throw new GqlError('invalid type in AST object');
  const base = isObject(t.Elem) ? `[${printType(t.Elem)}]` : name(t.NamedType);
  return t.NonNull === true ? `${base}!` : base;
}

const printArgs = (a: G | undefined): string => {
  const list = asArr(a);
  return list.length ? `(${list.map((x) => `${name(x.Name)}: ${printValue(x.Value)}`).join(', ')})` : '';
};
const printDirectives = (d: G | undefined): string => asArr(d).map((x) => ` @${name(x.Name)}${printArgs(x.Arguments)}`).join('');
const printVarDefs = (v: G | undefined): string => {
  const list = asArr(v);
  return list.length
    ? `(${list.map((x) => `$${name(x.Variable)}: ${printType(x.Type)}${x.DefaultValue ? ` = ${printValue(x.DefaultValue)}` : ''}${printDirectives(x.Directives)}`).join(', ')})`
    : '';
};

function printSelections(s: G | undefined): string {
  const list = asArr(s);
  return `{ ${list
    .map((x) => {
      if ('Alias' in x || 'Arguments' in x || ('Name' in x && 'SelectionSet' in x)) {
        const alias = asStr(x.Alias);
        const n = name(x.Name);
        const sub = asArr(x.SelectionSet).length ? ` ${printSelections(x.SelectionSet)}` : '';
        return `${alias && alias !== n ? `${name(alias)}: ` : ''}${n}${printArgs(x.Arguments)}${printDirectives(x.Directives)}${sub}`;
      }
      if ('Name' in x) return `...${name(x.Name)}${printDirectives(x.Directives)}`;
      const on = asStr(x.TypeCondition);
      return `...${on ? ` on ${name(on)}` : ''}${printDirectives(x.Directives)} ${printSelections(x.SelectionSet)}`;
    })
    .join(' ')} }`;
}

function printQuery(ast: GObj): string {
  const out: string[] = [];
  for (const o of asArr(ast.Operations)) {
    const op = asStr(o.Operation) || 'query';
    if (!['query', 'mutation', 'subscription'].includes(op)) throw new GqlError('invalid operation in AST object');
    const n = asStr(o.Name);
    out.push(`${op}${n ? ` ${name(n)}` : ''}${printVarDefs(o.VariableDefinitions)}${printDirectives(o.Directives)} ${printSelections(o.SelectionSet)}`);
  }
  for (const f of asArr(ast.Fragments)) {
    out.push(`fragment ${name(f.Name)}${printVarDefs(f.VariableDefinition)} on ${name(f.TypeCondition)}${printDirectives(f.Directives)} ${printSelections(f.SelectionSet)}`);
  }
  return out.join('\n');
}

const printDesc = (d: G | undefined): string => (asStr(d) ? `${JSON.stringify(asStr(d))} ` : '');
const printArgDefs = (a: G | undefined): string => {
  const list = asArr(a);
  return list.length
    ? `(${list.map((x) => `${printDesc(x.Description)}${name(x.Name)}: ${printType(x.Type)}${x.DefaultValue ? ` = ${printValue(x.DefaultValue)}` : ''}${printDirectives(x.Directives)}`).join(', ')})`
    : '';
};

function printDefinition(d: GObj, extend: boolean): string {
  const kind = asStr(d.Kind);
  const head = `${extend ? 'extend ' : printDesc(d.Description)}`;
  const n = name(d.Name);
  const dirs = printDirectives(d.Directives);
  const fields = asArr(d.Fields);
  const body = (items: string[]): string => (items.length ? ` { ${items.join(' ')} }` : '');
  const field = (f: GObj): string =>
    `${printDesc(f.Description)}${name(f.Name)}${printArgDefs(f.Arguments)}: ${printType(f.Type)}${f.DefaultValue ? ` = ${printValue(f.DefaultValue)}` : ''}${printDirectives(f.Directives)}`;
  const ifaces = Array.isArray(d.Interfaces) && d.Interfaces.length ? ` implements ${d.Interfaces.map(name).join(' & ')}` : '';
  switch (kind) {
    case 'SCALAR':
      return `${head}scalar ${n}${dirs}`;
    case 'OBJECT':
      return `${head}type ${n}${ifaces}${dirs}${body(fields.map(field))}`;
    case 'INTERFACE':
      return `${head}interface ${n}${ifaces}${dirs}${body(fields.map(field))}`;
    case 'UNION': {
      const types = Array.isArray(d.Types) ? d.Types.map(name) : [];
      return `${head}union ${n}${dirs}${types.length ? ` = ${types.join(' | ')}` : ''}`;
    }
    case 'ENUM':
      return `${head}enum ${n}${dirs}${body(asArr(d.EnumValues).map((v) => `${printDesc(v.Description)}${name(v.Name)}${printDirectives(v.Directives)}`))}`;
    case 'INPUT_OBJECT':
      return `${head}input ${n}${dirs}${body(fields.map(field))}`;
    default:
      throw new GqlError('invalid definition kind in AST object');
  }
}

function printSchemaDocument(ast: GObj): string {
  const out: string[] = [];
  const ops = (s: GObj): string => {
    const list = asArr(s.OperationTypes).map((o) => `${name(o.Operation)}: ${name(o.Type)}`);
    return list.length ? ` { ${list.join(' ')} }` : '';
  };
  for (const s of asArr(ast.Schema)) out.push(`${printDesc(s.Description)}schema${printDirectives(s.Directives)}${ops(s)}`);
  for (const s of asArr(ast.SchemaExtension)) out.push(`extend schema${printDirectives(s.Directives)}${ops(s)}`);
  for (const d of asArr(ast.Directives)) {
    const locs = Array.isArray(d.Locations) ? d.Locations.map(name) : [];
    out.push(`${printDesc(d.Description)}directive @${name(d.Name)}${printArgDefs(d.Arguments)}${d.IsRepeatable === true ? ' repeatable' : ''} on ${locs.join(' | ')}`);
  }
  for (const d of asArr(ast.Definitions)) out.push(printDefinition(d, false));
  for (const d of asArr(ast.Extensions)) out.push(printDefinition(d, true));
  return out.join('\n');
}

// ------------------------------------------------------------ schema validation (gqlparser's ValidateSchemaDocument)

const PRELUDE = `
scalar Int scalar Float scalar String scalar Boolean scalar ID
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
directive @specifiedBy(url: String!) on SCALAR
type __Schema { description: String types: [__Type!]! queryType: __Type! mutationType: __Type subscriptionType: __Type directives: [__Directive!]! }
type __Type { kind: __TypeKind! name: String description: String fields(includeDeprecated: Boolean = false): [__Field!] interfaces: [__Type!] possibleTypes: [__Type!] enumValues(includeDeprecated: Boolean = false): [__EnumValue!] inputFields: [__InputValue!] ofType: __Type specifiedBy: String }
type __Field { name: String! description: String args: [__InputValue!]! type: __Type! isDeprecated: Boolean! deprecationReason: String }
type __InputValue { name: String! description: String type: __Type! defaultValue: String }
type __EnumValue { name: String! description: String isDeprecated: Boolean! deprecationReason: String }
enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }
type __Directive { name: String! description: String locations: [__DirectiveLocation!]! args: [__InputValue!]! isRepeatable: Boolean! }
enum __DirectiveLocation { QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION }
`;

let preludeAst: GObj | undefined;
function prelude(): GObj {
  if (!preludeAst) {
    preludeAst = parseSchema(PRELUDE) as GObj;
    for (const d of asArr(preludeAst.Definitions)) d.BuiltIn = true;
  }
  return preludeAst;
}

interface Def {
  Kind: string;
  Name: string;
  Directives: GObj[];
  Interfaces: string[];
  Fields: GObj[];
  Types: string[];
  EnumValues: GObj[];
  BuiltIn: boolean;
}

interface Schema {
  types: Map<string, Def>;
  directives: Map<string, GObj>;
  possible: Map<string, Def[]>;
  query?: string;
  mutation?: string;
  subscription?: string;
  userDefs: Def[];
  userDirectives: GObj[];
}

const typeName = (t: G | undefined): string => (isObject(t) ? (isObject(t.Elem) ? typeName(t.Elem) : asStr(t.NamedType)) : '');
const typeString = (t: G | undefined): string => (isObject(t) ? `${isObject(t.Elem) ? `[${typeString(t.Elem)}]` : asStr(t.NamedType)}${t.NonNull === true ? '!' : ''}` : '');

function toDef(d: GObj): Def {
  return {
    Kind: asStr(d.Kind),
    Name: asStr(d.Name),
    Directives: asArr(d.Directives),
    Interfaces: Array.isArray(d.Interfaces) ? d.Interfaces.map(asStr) : [],
    Fields: asArr(d.Fields),
    Types: Array.isArray(d.Types) ? d.Types.map(asStr) : [],
    EnumValues: asArr(d.EnumValues),
    BuiltIn: d.BuiltIn === true,
  };
}

/** gqlparser's ValidateSchemaDocument on prelude + the user's schema document. */
function validateSchemaDocument(user: GObj): Schema {
  const p = prelude();
  const definitions = [...asArr(p.Definitions), ...asArr(user.Definitions)].map(toDef);
  const types = new Map<string, Def>();
  for (const d of definitions) {
    if (types.has(d.Name)) throw new GqlError(`Cannot redeclare type ${d.Name}.`);
    types.set(d.Name, d);
  }
  const defs = [...definitions];
  for (const e of asArr(user.Extensions).map(toDef)) {
    let def = types.get(e.Name);
    if (!def) {
      def = { Kind: e.Kind, Name: e.Name, Directives: [], Interfaces: [], Fields: [], Types: [], EnumValues: [], BuiltIn: false };
      types.set(e.Name, def);
      defs.push(def);
    }
    if (def.Kind !== e.Kind) throw new GqlError(`Cannot extend type ${e.Name} because the base type is a ${def.Kind}, not ${e.Kind}.`);
    def.Directives = [...def.Directives, ...e.Directives];
    def.Interfaces = [...def.Interfaces, ...e.Interfaces];
    def.Fields = [...def.Fields, ...e.Fields];
    def.Types = [...def.Types, ...e.Types];
    def.EnumValues = [...def.EnumValues, ...e.EnumValues];
  }
  const possible = new Map<string, Def[]>();
  const addPossible = (n: string, d: Def | undefined): void => {
    if (d) possible.set(n, [...(possible.get(n) ?? []), d]);
  };
  for (const d of defs) {
    if (d.Kind === 'UNION') for (const t of d.Types) addPossible(d.Name, types.get(t));
    else if (d.Kind === 'OBJECT' || d.Kind === 'INPUT_OBJECT') {
      for (const i of d.Interfaces) addPossible(i, d);
      addPossible(d.Name, d);
    } else if (d.Kind === 'INTERFACE') for (const i of d.Interfaces) addPossible(i, d);
  }
  const directives = new Map<string, GObj>();
  const userDirectives: GObj[] = [];
  for (const dir of [...asArr(p.Directives), ...asArr(user.Directives)]) {
    const n = asStr(dir.Name);
    if (directives.has(n)) {
      if (!['include', 'skip', 'deprecated', 'specifiedBy'].includes(n)) throw new GqlError(`Cannot redeclare directive ${n}.`);
      continue;
    }
    directives.set(n, dir);
    if (!asArr(p.Directives).includes(dir)) userDirectives.push(dir);
  }
  const schema: Schema = { types, directives, possible, userDefs: defs.filter((d) => !d.BuiltIn), userDirectives };
  const schemaDefs = asArr(user.Schema);
  if (schemaDefs.length > 1) throw new GqlError('Cannot have multiple schema entry points, consider schema extensions instead.');
  for (const s of [...schemaDefs, ...asArr(user.SchemaExtension)]) {
    for (const o of asArr(s.OperationTypes)) {
      const t = asStr(o.Type);
      const op = asStr(o.Operation);
      if (!types.has(t)) throw new GqlError(`Schema root ${op} refers to a type ${t} that does not exist.`);
      if (op === 'query' || op === 'mutation' || op === 'subscription') schema[op] = t;
    }
  }
  for (const n of [...types.keys()].sort()) validateDefinition(schema, types.get(n) as Def);
  for (const n of [...directives.keys()].sort()) {
    const d = directives.get(n) as GObj;
    validateName(n);
    validateArgs(schema, asArr(d.Arguments), d);
  }
  if (schemaDefs.length === 0) {
    if (!schema.query && types.has('Query')) schema.query = 'Query';
    if (!schema.mutation && types.has('Mutation')) schema.mutation = 'Mutation';
    if (!schema.subscription && types.has('Subscription')) schema.subscription = 'Subscription';
  }
  return schema;
}

function validateName(n: string): void {
  if (n.startsWith('__')) throw new GqlError(`Name "${n}" must not begin with "__", which is reserved by GraphQL introspection.`);
}

const isInputKind = (k: string): boolean => k === 'SCALAR' || k === 'ENUM' || k === 'INPUT_OBJECT';

function validateTypeRef(schema: Schema, t: G | undefined): void {
  if (!schema.types.has(typeName(t))) throw new GqlError(`Undefined type ${typeName(t)}.`);
}

function validateArgs(schema: Schema, list: GObj[], current: GObj | undefined): void {
  for (const a of list) {
    validateName(asStr(a.Name));
    validateTypeRef(schema, a.Type);
    const def = schema.types.get(typeName(a.Type)) as Def;
    if (!isInputKind(def.Kind)) throw new GqlError(`cannot use ${typeString(a.Type)} as argument ${asStr(a.Name)} because ${def.Kind} is not a valid input type`);
    validateDirectives(schema, asArr(a.Directives), 'ARGUMENT_DEFINITION', current);
  }
}

function validateDirectives(schema: Schema, dirs: GObj[], location: string, current: GObj | undefined): void {
  for (const d of dirs) {
    const n = asStr(d.Name);
    validateName(n);
    if (current && n === asStr(current.Name)) throw new GqlError(`Directive ${n} cannot refer to itself.`);
    const def = schema.directives.get(n);
    if (!def) throw new GqlError(`Undefined directive ${n}.`);
    const locs = Array.isArray(def.Locations) ? def.Locations : [];
    if (!locs.includes(location)) throw new GqlError(`Directive ${n} is not applicable on ${location}.`);
  }
}

function isCovariant(schema: Schema, required: G | undefined, actual: G | undefined): boolean {
  if (!isObject(required) || !isObject(actual)) return false;
  if (required.NonNull === true && actual.NonNull !== true) return false;
  if (asStr(required.NamedType) !== '') {
    if (required.NamedType === actual.NamedType) return true;
    return (schema.possible.get(asStr(required.NamedType)) ?? []).some((d) => d.Name === asStr(actual.NamedType));
  }
  if (isObject(required.Elem) && !isObject(actual.Elem)) return false;
  return isCovariant(schema, required.Elem, actual.Elem);
}

/** gqlparser's Type.IsCompatible for argument types. */
function compatible(a: G | undefined, b: G | undefined): boolean {
  if (!isObject(a) || !isObject(b)) return false;
  if (a.NonNull !== b.NonNull) return false;
  if (isObject(a.Elem) || isObject(b.Elem)) return compatible(a.Elem, b.Elem);
  return a.NamedType === b.NamedType;
}

function validateImplements(schema: Schema, def: Def, intfName: string): void {
  const intf = schema.types.get(intfName);
  if (!intf) throw new GqlError(`Undefined type ${JSON.stringify(intfName)}.`);
  if (intf.Kind !== 'INTERFACE') throw new GqlError(`${JSON.stringify(intfName)} is a non interface type ${intf.Kind}.`);
  for (const req of intf.Fields) {
    const found = def.Fields.find((f) => f.Name === req.Name);
    if (!found) throw new GqlError(`For ${def.Name} to implement ${intf.Name} it must have a field called ${asStr(req.Name)}.`);
    if (!isCovariant(schema, req.Type, found.Type)) {
      throw new GqlError(`For ${def.Name} to implement ${intf.Name} the field ${asStr(req.Name)} must have type ${typeString(req.Type)}.`);
    }
    for (const ra of asArr(req.Arguments)) {
      const fa = asArr(found.Arguments).find((a) => a.Name === ra.Name);
      if (!fa) throw new GqlError(`For ${def.Name} to implement ${intf.Name} the field ${asStr(req.Name)} must have the same arguments but it is missing ${asStr(ra.Name)}.`);
      if (!compatible(ra.Type, fa.Type)) {
        throw new GqlError(`For ${def.Name} to implement ${intf.Name} the field ${asStr(req.Name)} must have the same arguments but ${asStr(ra.Name)} has the wrong type.`);
      }
    }
    for (const fa of asArr(found.Arguments)) {
      if (!asArr(req.Arguments).some((a) => a.Name === fa.Name) && isObject(fa.Type) && fa.Type.NonNull === true && !fa.DefaultValue) {
        throw new GqlError(`For ${def.Name} to implement ${intf.Name} any additional arguments on ${asStr(found.Name)} must be optional or have a default value but ${asStr(fa.Name)} is required.`);
      }
    }
  }
  for (const t of intf.Interfaces) {
    if (!def.Interfaces.includes(t)) {
      if (t === def.Name) throw new GqlError(`Type ${def.Name} cannot implement ${intfName} because it would create a circular reference.`);
      throw new GqlError(`Type ${def.Name} must implement ${t} because it is implemented by ${intfName}.`);
    }
  }
}

function validateDefinition(schema: Schema, def: Def): void {
  for (const f of def.Fields) {
    validateName(asStr(f.Name));
    validateTypeRef(schema, f.Type);
    validateArgs(schema, asArr(f.Arguments), undefined);
    validateDirectives(schema, asArr(f.Directives), def.Kind === 'INPUT_OBJECT' ? 'INPUT_FIELD_DEFINITION' : 'FIELD_DEFINITION', undefined);
  }
  for (const t of def.Types) {
    const td = schema.types.get(t);
    if (!td) throw new GqlError(`Undefined type ${JSON.stringify(t)}.`);
    if (td.Kind !== 'OBJECT') throw new GqlError(`${def.Kind} type ${JSON.stringify(t)} must be OBJECT.`);
  }
  for (const i of def.Interfaces) validateImplements(schema, def, i);
  switch (def.Kind) {
    case 'OBJECT':
    case 'INTERFACE':
      if (def.Fields.length === 0) throw new GqlError(`${def.Kind} ${def.Name}: must define one or more fields.`);
      for (const f of def.Fields) {
        const t = schema.types.get(typeName(f.Type));
        if (t && !['SCALAR', 'OBJECT', 'INTERFACE', 'UNION', 'ENUM'].includes(t.Kind)) {
          throw new GqlError(`${def.Kind} ${def.Name}: field must be one of SCALAR, OBJECT, INTERFACE, UNION, ENUM.`);
        }
      }
      break;
    case 'ENUM':
      if (def.EnumValues.length === 0) throw new GqlError(`${def.Kind} ${def.Name}: must define one or more unique enum values.`);
      for (const v of def.EnumValues) {
        if (['true', 'false', 'null'].includes(asStr(v.Name))) throw new GqlError(`${def.Kind} ${def.Name}: non-enum value ${asStr(v.Name)}.`);
      }
      break;
    case 'INPUT_OBJECT':
      if (def.Fields.length === 0) throw new GqlError(`${def.Kind} ${def.Name}: must define one or more input fields.`);
      for (const f of def.Fields) {
        const t = schema.types.get(typeName(f.Type));
        if (t && !isInputKind(t.Kind)) throw new GqlError(`${t.Kind} ${asStr(f.Name)}: field must be one of SCALAR, ENUM, INPUT_OBJECT.`);
      }
      break;
    default:
      break;
  }
  def.Fields.forEach((f1, i) => {
    if (def.Fields.slice(i + 1).some((f2) => f2.Name === f1.Name)) throw new GqlError(`Field ${def.Name}.${asStr(f1.Name)} can only be defined once.`);
  });
  if (!def.BuiltIn) validateName(def.Name);
  validateDirectives(schema, def.Directives, def.Kind, undefined);
}

// ------------------------------------------------------------ query validation

function schemaSdl(schema: Schema): string {
  const out = schema.userDefs.map((d) =>
    printDefinition({ Kind: d.Kind, Name: d.Name, Description: '', Directives: d.Directives, Interfaces: d.Interfaces, Fields: d.Fields, Types: d.Types, EnumValues: d.EnumValues }, false),
  );
  for (const d of schema.userDirectives) out.push(printSchemaDocument({ Directives: [d] }));
  const roots = (['query', 'mutation', 'subscription'] as const).filter((op) => schema[op]).map((op) => `${op}: ${schema[op]}`);
  if (roots.length) out.push(`schema { ${roots.join(' ')} }`);
  return out.join('\n');
}

/** The first validation error of the query against the schema, in OPA's wording, or undefined. */
function validateQuery(schema: Schema, doc: DocumentNode | undefined): GqlError | undefined {
  if (!doc) return undefined;
  for (const d of doc.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION && !schema[d.operation]) {
      const [line, col] = d.loc ? [d.loc.startToken.line, d.loc.startToken.column] : [0, 0];
      return new GqlError(`Schema does not support operation type "${d.operation}" in GraphQL string at location ${line}:${col}`);
    }
  }
  const built = gql().buildSchema(schemaSdl(schema), { assumeValid: true, assumeValidSDL: true });
  const errors = gql().validate(built, doc, gql().specifiedRules, { maxErrors: 1 });
  if (errors.length === 0) return undefined;
  const e = errors[0];
  const loc = e.locations?.[0];
  return new GqlError(`${e.message.replace(/\.$/, '')} in GraphQL string at location ${loc?.line ?? 0}:${loc?.column ?? 0}`);
}

// ------------------------------------------------------------ operands

function queryOperand(B: string, v: JsonValue | undefined, pos: number): { doc: DocumentNode | undefined; ast: JsonObject } {
  if (typeof v === 'string') return parseQuery(v);
  if (isObject(v)) return parseQuery(printQuery(v));
  throw new OperandTypeError(B, pos, v, 'string', 'object');
}

function schemaOperand(B: string, v: JsonValue | undefined, pos: number): JsonObject {
  if (typeof v === 'string') return parseSchema(v);
  if (isObject(v)) return parseSchema(printSchemaDocument(v));
  throw new OperandTypeError(B, pos, v, 'string', 'object');
}

function wrap<T>(B: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof GqlError) throw new BuiltinEvalError(B, e.message);
    if (e instanceof OperandTypeError || e instanceof BuiltinEvalError || e instanceof InputLimitError) throw e;
    // graphql-js limits (maxTokens) and deep recursion end here: an error, never an answer.
    throw new BuiltinEvalError(B, e instanceof Error ? e.message : String(e));
  }
}

/** Parse both operands and validate; returns the pruned ASTs or throws. */
function parseAndValidate(B: string, q: JsonValue | undefined, s: JsonValue | undefined): [G, G] {
  return wrap(B, () => {
    const query = queryOperand(B, q, 1);
    const schemaAst = schemaOperand(B, s, 2);
    let schema: Schema;
    try {
      schema = validateSchemaDocument(schemaAst);
    } catch (e) {
      if (e instanceof GqlError) throw new GqlError(`Error in gqlparser SchemaDocument to Schema conversion: ${e.message}`);
      throw e;
    }
    const err = validateQuery(schema, query.doc);
    if (err) throw err;
    return [prune(query.ast), prune(schemaAst)];
  });
}

const parse: HostBuiltin = (q, s) => parseAndValidate('graphql.parse', q, s);

const parseAndVerify: HostBuiltin = (q, s) => {
  try {
    const [qa, sa] = parseAndValidate('graphql.parse_and_verify', q, s);
    return [true, qa, sa];
  } catch (e) {
    if (e instanceof InputLimitError) throw e;
    return [false, {}, {}];
  }
};

const parseQueryBuiltin: HostBuiltin = (q) => {
  const B = 'graphql.parse_query';
  if (typeof q !== 'string') throw new OperandTypeError(B, 1, q, 'string');
  return wrap(B, () => prune(parseQuery(q).ast));
};

const parseSchemaBuiltin: HostBuiltin = (s) => {
  const B = 'graphql.parse_schema';
  if (typeof s !== 'string') throw new OperandTypeError(B, 1, s, 'string');
  return wrap(B, () => prune(parseSchema(s)));
};

const isValid: HostBuiltin = (q, s) => {
  try {
    parseAndValidate('graphql.is_valid', q, s);
    return true;
  } catch (e) {
    if (e instanceof InputLimitError) throw e;
    return false;
  }
};

const schemaIsValid: HostBuiltin = (s) => {
  try {
    wrap('graphql.schema_is_valid', () => validateSchemaDocument(schemaOperand('graphql.schema_is_valid', s, 1)));
    return true;
  } catch (e) {
    if (e instanceof InputLimitError) throw e;
    return false;
  }
};

export const graphqlBuiltins: Record<string, HostBuiltin> = {
  'graphql.parse': parse,
  'graphql.parse_and_verify': parseAndVerify,
  'graphql.parse_query': parseQueryBuiltin,
  'graphql.parse_schema': parseSchemaBuiltin,
  'graphql.is_valid': isValid,
  'graphql.schema_is_valid': schemaIsValid,
};
