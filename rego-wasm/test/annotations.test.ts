/**
 * METADATA annotations: parsing (OPA's keys, scopes and error wording), the annotation
 * chain behind `rego.metadata.chain()` / `rego.metadata.rule()` (evaluated through the
 * SDK), and `entrypoint: true` annotations.
 */
import { annotatedEntrypoints, compileModules } from '../src/compile';
import { toRegoErrors } from '../src/errors';
import { parseModule } from '../src/parse';
import { evalRego } from './rego-eval-helpers';

jest.setTimeout(60_000);

function parseErrors(text: string): string[] {
  try {
    parseModule(text, 'm.rego');
    return [];
  } catch (e) {
    return toRegoErrors(e).map((x) => x.message);
  }
}

function compileErrors(sources: { file: string; text: string }[]): string[] {
  try {
    compileModules(sources);
    return [];
  } catch (e) {
    return toRegoErrors(e).map((x) => x.message);
  }
}

describe('parsing METADATA blocks', () => {
  test('OPA keys, default scopes, authors and related resources in both forms', () => {
    const m = parseModule(
      `# METADATA
# title: Claims
# description: Who may read claims
# organizations: [Acme]
# related_resources:
# - https://example.com/claims
# - ref: https://example.com/policy
#   description: the policy
# authors:
# - Alice Doe <alice@example.com>
# - name: Bob
# custom:
#   severity: high
#   tags: [a, b]
package claims

# METADATA
# title: allow
allow if input.ok

# not metadata, just a comment
# METADATA
# entrypoint: true
decision := allow
`,
      'm.rego',
    );
    expect(m.annotations).toEqual([
      {
        scope: 'package',
        title: 'Claims',
        description: 'Who may read claims',
        organizations: ['Acme'],
        related_resources: [{ ref: 'https://example.com/claims' }, { ref: 'https://example.com/policy', description: 'the policy' }],
        authors: [{ name: 'Alice Doe', email: 'alice@example.com' }, { name: 'Bob' }],
        custom: { severity: 'high', tags: ['a', 'b'] },
        location: expect.objectContaining({ file: 'm.rego', row: 1, col: 1 }),
      },
    ]);
    expect(m.rules[0]!.annotations).toEqual([{ scope: 'rule', title: 'allow', location: expect.objectContaining({ row: 17 }) }]);
    // `entrypoint: true` on a rule defaults to document scope
    expect(m.rules[1]!.annotations).toEqual([{ scope: 'document', entrypoint: true, location: expect.objectContaining({ row: 22 }) }]);
  });

  test('a block must start at `# METADATA` and continue on the next rows in column 1', () => {
    const m = parseModule('package p\n\n# METADATA\n# title: x\n\n# title: not part of it\np := 1\n', 'm.rego');
    expect(m.rules[0]!.annotations).toEqual([{ scope: 'rule', title: 'x', location: expect.objectContaining({ row: 3 }) }]);
  });

  test.each([
    ['# METADATA\n# scope: rule\npackage p\n', "m.rego:1:1: rego_parse_error: annotation scope 'rule' must be applied to rule (have package)"],
    ['package p\n\n# METADATA\n# scope: package\np := 1\n', "m.rego:3:1: rego_parse_error: annotation scope 'package' must be applied to package (have rule)"],
    ['package p\n\n# METADATA\n# scope: everything\np := 1\n', "m.rego:3:1: rego_parse_error: invalid annotation scope 'everything'. Use one of 'rule', 'document', 'package', or 'subpackages'"],
    ['package p\n\n# METADATA\n# scope: rule\n# entrypoint: true\np := 1\n', "m.rego:3:1: rego_parse_error: annotation entrypoint applied to non-document or package scope 'rule'"],
    ['package p\n\n# METADATA\n# title: x\nimport data.q\n', "m.rego:3:1: rego_parse_error: invalid annotation scope 'import'. Use one of 'rule', 'document', 'package', or 'subpackages'"],
    ['package p\n\np := 1\n\n# METADATA\n# title: nothing below\n', "m.rego:5:1: rego_parse_error: invalid annotation scope ''. Use one of 'rule', 'document', 'package', or 'subpackages'"],
    ['package p\n\n# METADATA\n#\np := 1\n', 'm.rego:3:1: rego_parse_error: expected METADATA block, found whitespace'],
    ['package p\n\n# METADATA\n# title: [1, 2]\np := 1\n', 'm.rego:3:1: rego_parse_error: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into string'],
    ['package p\n\n# METADATA\n# authors:\n# - {}\np := 1\n', "m.rego:3:1: rego_parse_error: invalid author definition map[]: 'name' and/or 'email' values required in object"],
    ['package p\n\n# METADATA\n# related_resources:\n# - description: x\np := 1\n', "m.rego:3:1: rego_parse_error: invalid related-resource definition map[description:x]: 'ref' value required in object"],
  ])('%j is an error', (text, message) => {
    expect(parseErrors(text)).toEqual([message]);
  });

  test('malformed YAML is an error at the offending comment line', () => {
    const errs = parseErrors('package p\n\n# METADATA\n# title: x\n# description: "unclosed\n# scope: rule\np := 1\n');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^m\.rego:[56]:1: rego_parse_error: yaml: line [23]: /);
  });
});

describe('annotation set (compile)', () => {
  test('a package annotated twice (across modules) is redeclared', () => {
    const a = { file: 'a.rego', text: '# METADATA\n# title: one\npackage p\n\nx := 1\n' };
    const b = { file: 'b.rego', text: '# METADATA\n# title: two\npackage p\n\ny := 1\n' };
    expect(compileErrors([a, b])).toEqual(['b.rego:1:1: rego_type_error: package annotation redeclared: a.rego:1']);
  });

  test('schemas annotations fail loudly (no JSON-schema type checking here)', () => {
    const text = 'package p\n\n# METADATA\n# schemas:\n# - input: {type: object}\nallow if input.x\n';
    expect(compileErrors([{ file: 'm.rego', text }])).toEqual([
      'm.rego:3:1: rego_unsupported_error: type checking against `schemas` annotations is not supported by this compiler',
    ]);
  });
});

describe('rego.metadata.chain() and rego.metadata.rule()', () => {
  const ROOT = { file: 'root.rego', text: '# METADATA\n# scope: subpackages\n# title: Acme\npackage acme\n' };
  const POLICY = {
    file: 'claims.rego',
    text: `# METADATA
# description: claims policy
package acme.claims

# METADATA
# scope: document
# title: the allow document
default allow := false

# METADATA
# title: admins
# custom:
#   level: 3
allow if {
  input.admin
  chain := rego.metadata.chain()
  count(chain) > 0
}

info := {"chain": rego.metadata.chain(), "rule": rego.metadata.rule()}

# METADATA
# title: own
own := rego.metadata.rule()
`,
  };

  test('the chain runs rule → document → package → subpackages, paths without data', () => {
    expect(evalRego([ROOT, POLICY], 'acme/claims/info')).toEqual({
      chain: [
        { path: ['acme', 'claims', 'info'] },
        { path: ['acme', 'claims'], annotations: { scope: 'package', description: 'claims policy' } },
        { path: ['acme'], annotations: { scope: 'subpackages', title: 'Acme' } },
      ],
      rule: {},
    });
    expect(evalRego([ROOT, POLICY], 'acme/claims/own')).toEqual({ scope: 'rule', title: 'own' });
    expect(evalRego([ROOT, POLICY], 'acme/claims/allow', { admin: true })).toBe(true);
  });

  test('a rule with its own block sees it first, then its document', () => {
    const text = POLICY.text.replace('  count(chain) > 0\n}', '  count(chain) > 0\n}\n\nallow_chain := c if {\n  input.admin\n  c := rego.metadata.chain()\n}');
    const doc = evalRego([ROOT, { ...POLICY, text }], 'acme/claims/allow_chain', { admin: true }) as { path: string[] }[];
    expect(doc.map((l) => l.path.join('.'))).toEqual(['acme.claims.allow_chain', 'acme.claims', 'acme']);
    const withOwn = `package t

# METADATA
# scope: document
# title: doc
default p := []

# METADATA
# title: mine
p := rego.metadata.chain() if input.go
`;
    expect(evalRego(withOwn, 't/p', { go: true })).toEqual([
      { path: ['t', 'p'], annotations: { scope: 'rule', title: 'mine' } },
      { path: ['t', 'p'], annotations: { scope: 'document', title: 'doc' } },
    ]);
  });
});

test('annotatedEntrypoints lists `entrypoint: true` rules and packages as opa build paths', () => {
  const policy = compileModules([
    { file: 'a.rego', text: '# METADATA\n# entrypoint: true\npackage acme.authz\n\n# METADATA\n# entrypoint: true\nallow := true\n\nother := 1\n' },
    { file: 'b.rego', text: 'package acme.response\n\n# METADATA\n# scope: document\n# entrypoint: true\nfiltered.body := 1\n' },
  ]);
  expect(annotatedEntrypoints(policy.modules)).toEqual(['acme/authz', 'acme/authz/allow', 'acme/response/filtered/body']);
});
