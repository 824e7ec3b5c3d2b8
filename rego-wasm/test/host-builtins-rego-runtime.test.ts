/**
 * rego.parse_module (OPA's module JSON), opa.runtime (only what the host
 * configures) and the builtins that stay out: a policy calling one of those
 * fails to build with an error naming it, it never evaluates to an answer.
 */
import { loadPolicySync } from '@open-policy-agent/opa-wasm';
import { buildPolicyWasm, importedMemoryMinPages, UnsupportedBuiltinError } from '../src/package';
import { planRego as planRegoEntrypoints } from '../src/frontend';
import { configureOpaRuntime, hostBuiltins, sdkHostBuiltins, type JsonValue } from '../src/builtins/host';
import { extendedHostBuiltins, sdkExtendedHostBuiltins, strictExtendedHostBuiltins } from '../src/builtins/host/extended';
import { loadPolicyWasmSync } from '../src/load';

jest.setTimeout(180_000);

const parse = (text: string): JsonValue | undefined => extendedHostBuiltins['rego.parse_module']('x.rego', text);
const t = (type: string, value: JsonValue): JsonValue => ({ type, value });

describe('rego.parse_module', () => {
  test("OPA's module JSON: package path from data, imports, rule heads and bodies", () => {
    expect(parse('package foo.bar\n\nimport data.a as b\n\ndefault q := false\n\np if {\n\tb = 1.0\n\tnot input.x with input as {"x": [1, 2]}\n}\n')).toEqual({
      package: { path: [t('var', 'data'), t('string', 'foo'), t('string', 'bar')] },
      imports: [{ path: t('ref', [t('var', 'data'), t('string', 'a')]), alias: 'b' }],
      rules: [
        {
          default: true,
          head: { name: 'q', ref: [t('var', 'q')], value: t('boolean', false), assign: true },
          body: [{ index: 0, terms: t('boolean', true) }],
        },
        {
          head: { name: 'p', ref: [t('var', 'p')], value: t('boolean', true) },
          body: [
            { index: 0, terms: [t('ref', [t('var', 'eq')]), t('var', 'b'), t('number', 1)] },
            {
              index: 1,
              negated: true,
              terms: t('ref', [t('var', 'input'), t('string', 'x')]),
              with: [{ target: t('ref', [t('var', 'input')]), value: t('object', [[t('string', 'x'), t('array', [t('number', 1), t('number', 2)])]]) }],
            },
          ],
        },
      ],
    });
  });

  test('numbers keep their source text through the SDK table (1.0 stays 1.0)', () => {
    const raw = sdkExtendedHostBuiltins['rego.parse_module']('x.rego', 'package p\n\nx := 1.0\n');
    expect(raw).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(raw as ArrayBuffer).toString('utf8')).toContain('{"type":"number","value":1.0}');
  });

  test('sets are sorted as OPA sorts them; functions, contains and every keep their fields', () => {
    const m = parse('package p\n\ns := {"b", "a", 1}\n\nf(x) := y if y := x\n\nc contains 1 if true\n\ne if every k, v in [1] { v }\n') as { rules: { head: JsonValue; body: JsonValue[] }[] };
    expect((m.rules[0].head as { value: JsonValue }).value).toEqual(t('set', [t('number', 1), t('string', 'a'), t('string', 'b')]));
    expect(m.rules[1].head).toEqual({ name: 'f', ref: [t('var', 'f')], args: [t('var', 'x')], value: t('var', 'y'), assign: true });
    expect(m.rules[2].head).toEqual({ name: 'c', ref: [t('var', 'c')], key: t('number', 1) });
    expect((m.rules[3].body[0] as { terms: JsonValue }).terms).toEqual({
      key: t('var', 'k'),
      value: t('var', 'v'),
      domain: t('array', [t('number', 1)]),
      body: [{ index: 0, terms: t('var', 'v') }],
    });
  });

  test('comments are base64 text with a location, as Go marshals ast.Comment', () => {
    const m = parse('package p\n# hello\nx := 1\n') as { comments: JsonValue };
    expect(m.comments).toEqual([{ Text: Buffer.from(' hello').toString('base64'), Location: { file: 'x.rego', row: 2, col: 1 } }]);
  });

  test('parse errors and what is not reproduced are errors, never a partial AST', () => {
    expect(parse('package')).toBeUndefined();
    expect(() => strictExtendedHostBuiltins['rego.parse_module']('x.rego', 'package p\n\n# METADATA\n# title: t\nx := 1\n')).toThrow('METADATA');
    expect(() => strictExtendedHostBuiltins['rego.parse_module']('x.rego', 'package p\n\ns := {[1], [2]}\n')).toThrow('not supported');
  });
});

describe('opa.runtime', () => {
  afterEach(() => configureOpaRuntime({}));

  test('is {} unless the host configures it; never the process environment', () => {
    process.env.H3_SECRET_FOR_TEST = 'do-not-leak';
    try {
      expect(hostBuiltins['opa.runtime']()).toEqual({});
      expect(JSON.stringify(hostBuiltins['opa.runtime']())).not.toContain('do-not-leak');
    } finally {
      delete process.env.H3_SECRET_FOR_TEST;
    }
  });

  test('returns a copy of what the host configured', () => {
    const value = { env: { STAGE: 'prod' }, config: { labels: { region: 'eu-west-1' } } };
    configureOpaRuntime(value);
    value.env.STAGE = 'changed';
    expect(hostBuiltins['opa.runtime']()).toEqual({ env: { STAGE: 'prod' }, config: { labels: { region: 'eu-west-1' } } });
  });

  test('inside a built policy', () => {
    configureOpaRuntime({ env: { STAGE: 'prod' } });
    const wasm = buildPolicyWasm(planRegoEntrypoints([{ file: 'r.rego', text: 'package r\n\nstage := opa.runtime().env.STAGE\n' }], ['r/stage']));
    const policy = loadPolicySync(wasm, importedMemoryMinPages(wasm), sdkHostBuiltins as never);
    expect(policy.evaluate({}, 'r/stage')).toEqual([{ result: 'prod' }]);
  });
});

describe('extended builtins are opt-in: not in the core table, a build error until the host adds them', () => {
  const text = 'package g\n\nok := graphql.schema_is_valid("type Query { a: Int }")\n';

  test('the core table has none of them', () => {
    for (const name of Object.keys(extendedHostBuiltins)) expect(hostBuiltins[name]).toBeUndefined();
    expect(Object.keys(extendedHostBuiltins)).toEqual(expect.arrayContaining(['graphql.parse', 'json.match_schema', 'crypto.x509.parse_certificates', 'rego.parse_module']));
  });

  test('without opt-in: UnsupportedBuiltinError naming it; with opt-in: evaluates', () => {
    const plan = planRegoEntrypoints([{ file: 'g.rego', text }], ['g/ok']);
    expect(() => buildPolicyWasm(plan)).toThrow(UnsupportedBuiltinError);
    expect(() => buildPolicyWasm(plan)).toThrow('graphql.schema_is_valid');
    const wasm = buildPolicyWasm(plan, { extraHostBuiltins: Object.keys(sdkExtendedHostBuiltins) });
    const policy = loadPolicyWasmSync(wasm, { builtins: sdkExtendedHostBuiltins });
    expect(policy.evaluate({}, 'g/ok')).toEqual([{ result: true }]);
  });
});

describe('builtins that stay out fail the build, naming the builtin', () => {
  test.each<[string, string]>([
    ['http.send', 'x := http.send({"method": "get", "url": "http://127.0.0.1:1"})'],
    ['net.lookup_ip_addr', 'x := net.lookup_ip_addr("example.com")'],
  ])('%s: UnsupportedBuiltinError', (name, rule) => {
    const plan = planRegoEntrypoints([{ file: 'o.rego', text: `package o\n\n${rule}\n` }], ['o/x']);
    let err: unknown;
    try {
      buildPolicyWasm(plan);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedBuiltinError);
    expect((err as UnsupportedBuiltinError).builtins).toEqual([name]);
    expect((err as Error).message).toContain(name);
  });

  test('test-only builtins (test.sleep) are a compile error with file:line:col', () => {
    expect(() => planRegoEntrypoints([{ file: 'o.rego', text: 'package o\n\nx if test.sleep("1s")\n' }], ['o/x'])).toThrow(/o\.rego:3:\d+: .*test\.sleep/);
  });
});
