/**
 * Rego v0 compatibility (OPA 1.x's `--v0-compatible`, per module as a bundle's
 * `file_rego_versions`): v0 policies in the style of public ones give the same answers as
 * their v1 rewrites, through parse → compile → plan → policy.wasm → OPA SDK.
 */
import { compileModules } from '../src/compile';
import type { ModuleSource } from '../src/compile';
import { toRegoErrors } from '../src/errors';
import { parseModule } from '../src/parse';
import { evalRego } from './rego-eval-helpers';

jest.setTimeout(120_000);

function errors(sources: ModuleSource[], opts = {}): string[] {
  try {
    compileModules(sources, opts);
    return [];
  } catch (e) {
    return toRegoErrors(e).map((x) => x.message);
  }
}

/** Evaluates `entrypoint` of the v0 and the v1 text for every input; both must agree with `want`. */
function sameAnswers(v0: string, v1: string, entrypoint: string, cases: { input: unknown; want: unknown }[], data: unknown = {}): void {
  for (const { input, want } of cases) {
    expect(evalRego([{ file: 'v0.rego', text: v0, regoVersion: 0 }], entrypoint, input, {}, data)).toEqual(want);
    expect(evalRego([{ file: 'v1.rego', text: v1 }], entrypoint, input, {}, data)).toEqual(want);
  }
}

const ROLES = { roles: { admin: ['read', 'write', 'delete'], dev: ['read', 'write'], viewer: ['read'] } };

test('RBAC (v0: partial sets and objects without if/contains, default p = false, f(x) = y { })', () => {
  const v0 = `package rbac

import data.roles

default allow = false

allow {
  some i
  g := input.user.groups[i]
  grants[g][_] == input.action
}

grants[g] = actions {
  actions := roles[g]
}

denied[a] {
  a := input.requested[_]
  not permitted(a)
}

permitted(a) {
  a == roles[input.user.groups[_]][_]
}

level(g) = n { n := count(roles[g]) }

decision = {"allow": allow, "denied": denied, "level": level(input.user.groups[0])}
`;
  const v1 = `package rbac

import data.roles

default allow := false

allow if {
  some g in input.user.groups
  input.action in grants[g]
}

grants[g] := actions if {
  actions := roles[g]
}

denied contains a if {
  some a in input.requested
  not permitted(a)
}

permitted(a) if {
  some g in input.user.groups
  a in roles[g]
}

level(g) := count(roles[g])

decision := {"allow": allow, "denied": denied, "level": level(input.user.groups[0])}
`;
  sameAnswers(
    v0,
    v1,
    'rbac/decision',
    [
      { input: { user: { groups: ['dev'] }, action: 'write', requested: ['read', 'delete'] }, want: { allow: true, denied: ['delete'], level: 2 } },
      { input: { user: { groups: ['viewer'] }, action: 'write', requested: ['read'] }, want: { allow: false, denied: [], level: 1 } },
    ],
    ROLES,
  );
});

test('Kubernetes admission (v0 deny[msg] with future.keywords.in, sprintf, negation, else)', () => {
  const v0 = `package k8s.admission

import future.keywords.in

deny[msg] {
  input.request.kind.kind == "Pod"
  some c in input.request.object.spec.containers
  not startswith(c.image, "registry.acme.example/")
  msg := sprintf("image %v comes from an untrusted registry", [c.image])
}

deny[msg] {
  input.request.kind.kind == "Pod"
  c := input.request.object.spec.containers[_]
  c.securityContext.privileged
  msg := sprintf("container %v must not be privileged", [c.name])
}

tier = "prod" { input.request.namespace == "prod" } else = "other" { true }

response = {"allowed": count(deny) == 0, "reasons": deny, "tier": tier}
`;
  const v1 = `package k8s.admission

deny contains msg if {
  input.request.kind.kind == "Pod"
  some c in input.request.object.spec.containers
  not startswith(c.image, "registry.acme.example/")
  msg := sprintf("image %v comes from an untrusted registry", [c.image])
}

deny contains msg if {
  input.request.kind.kind == "Pod"
  some c in input.request.object.spec.containers
  c.securityContext.privileged
  msg := sprintf("container %v must not be privileged", [c.name])
}

tier := "prod" if input.request.namespace == "prod"
else := "other"

response := {"allowed": count(deny) == 0, "reasons": deny, "tier": tier}
`;
  const pod = (containers: unknown[], namespace = 'prod') => ({ request: { kind: { kind: 'Pod' }, namespace, object: { spec: { containers } } } });
  sameAnswers(v0, v1, 'k8s/admission/response', [
    {
      input: pod([{ name: 'a', image: 'docker.io/x', securityContext: { privileged: true } }]),
      want: { allowed: false, reasons: ['container a must not be privileged', 'image docker.io/x comes from an untrusted registry'], tier: 'prod' },
    },
    { input: pod([{ name: 'b', image: 'registry.acme.example/b' }], 'dev'), want: { allowed: true, reasons: [], tier: 'other' } },
  ]);
});

test('API gateway authz (v0 with `import future.keywords`: if/in/every/contains on, rule heads may still omit if)', () => {
  const v0 = `package gateway.authz

import future.keywords

default allow := false

allow if {
  route_allowed
  every s in required_scopes { s in token_scopes }
}

route_allowed {
  some r in data.routes
  r.method == input.method
  glob.match(r.path, ["/"], input.path)
}

required_scopes contains s if {
  some r in data.routes
  r.method == input.method
  glob.match(r.path, ["/"], input.path)
  some s in r.scopes
}

token_scopes := {s | some s in split(input.token.scope, " ")}
`;
  const v1 = v0.replace('import future.keywords\n', '').replace('route_allowed {', 'route_allowed if {');
  const data = { routes: [{ method: 'GET', path: '/claims/*', scopes: ['claims:read'] }] };
  sameAnswers(
    v0,
    v1,
    'gateway/authz/allow',
    [
      { input: { method: 'GET', path: '/claims/1', token: { scope: 'openid claims:read' } }, want: true },
      { input: { method: 'GET', path: '/claims/1', token: { scope: 'openid' } }, want: false },
      { input: { method: 'POST', path: '/claims/1', token: { scope: 'claims:read' } }, want: false },
    ],
    data,
  );
});

describe('keywords and imports in v0', () => {
  test('future keywords are identifiers until imported', () => {
    const v0 = 'package t\n\nif = 3\n\nin[x] { x := input.xs[_] }\n\ncontains = every { every := 4 }\n\nout = [if, in, contains]\n';
    expect(evalRego([{ file: 't.rego', text: v0, regoVersion: 0 }], 't/out', { xs: [2, 1] })).toEqual([3, [1, 2], 4]);
  });

  test('`import future.keywords.in` turns on `in` only', () => {
    const v0 = 'package t\n\nimport future.keywords.in\n\nif = 1\n\nout { 1 in input.xs }\n';
    expect(evalRego([{ file: 't.rego', text: v0, regoVersion: 0 }], 't/out', { xs: [1] })).toBe(true);
    expect(() => parseModule('package t\n\nout { some x in input.xs }\n', 't.rego', { regoVersion: 0 })).toThrow(/rego_parse_error/);
  });

  test('a v0 module importing rego.v1 follows v1 rules', () => {
    expect(errors([{ file: 't.rego', text: 'package t\n\nimport rego.v1\n\np { true }\n', regoVersion: 0 }])).toEqual([
      't.rego:5:1: rego_parse_error: `if` keyword is required before rule body',
    ]);
    expect(evalRego([{ file: 't.rego', text: 'package t\n\nimport rego.v1\n\np if { 1 in [1] }\n', regoVersion: 0 }], 't/p')).toBe(true);
    expect(errors([{ file: 't.rego', text: 'package t\n\nimport rego.v1 as r\n\np if { true }\n', regoVersion: 0 }])).toEqual([
      't.rego:3:8: rego_parse_error: `rego` imports cannot be aliased',
    ]);
  });

  test('v1 (the default) keeps OPA\'s v1 errors for v0 syntax', () => {
    expect(errors([{ file: 't.rego', text: 'package t\n\np { true }\n\nq[x] { x := 1 }\n' }])).toEqual([
      't.rego:3:1: rego_parse_error: `if` keyword is required before rule body',
      't.rego:5:1: rego_parse_error: `if` keyword is required before rule body',
      't.rego:5:1: rego_parse_error: `contains` keyword is required for partial set rules',
    ]);
    expect(errors([{ file: 't.rego', text: 'package t\n\np { true }\n' }], { regoVersion: 0 })).toEqual([]);
  });

  test('regoVersion per module: a v0 file next to a v1 file, each by its own rules', () => {
    const a = { file: 'a.rego', text: 'package a\n\nallow { data.b.ok }\n', regoVersion: 0 as const };
    const b = { file: 'b.rego', text: 'package b\n\nok if input.x == 1\n' };
    expect(evalRego([a, b], 'a/allow', { x: 1 })).toBe(true);
    // in v0 `if` is an identifier unless imported: the v1 file does not parse as v0
    const v0errors = errors([a, { ...b, regoVersion: 0 }]);
    expect(v0errors.length).toBeGreaterThan(0);
    for (const m of v0errors) expect(m).toMatch(/^b\.rego:3:\d+: rego_parse_error: /);
  });
});

describe('deprecated builtins are v0 only (OPA 1.x v1 capabilities lack them)', () => {
  const body = 'out = [any([false, true]), all([true]), set_diff({1, 2}, {1}), re_match("^a", "ab"), cast_array({2, 1}), cast_set([1, 1]), cast_string("s")]\n';

  test('v0 modules may call them', () => {
    expect(evalRego([{ file: 't.rego', text: `package t\n\n${body}`, regoVersion: 0 }], 't/out')).toEqual([true, true, [2], true, [1, 2], [1], 's']);
  });

  test('v1 modules get undefined function, also next to a v0 module', () => {
    const v1 = { file: 'v1.rego', text: 'package u\n\nout := any([true])\n' };
    expect(errors([v1])).toEqual(['v1.rego:3:8: rego_type_error: undefined function any']);
    expect(errors([{ file: 't.rego', text: `package t\n\n${body}`, regoVersion: 0 }, v1])).toEqual(['v1.rego:3:8: rego_type_error: undefined function any']);
  });
});

test('v1-only compile checks (rules shadowing input/data, duplicate imports) do not apply to v0', () => {
  const shadow = 'package t\n\ninput = 1\n';
  const dup = 'package t\n\nimport data.x\nimport data.x\n\np = 1\n';
  expect(errors([{ file: 't.rego', text: shadow }])).toEqual(['t.rego:3:1: rego_compile_error: rules must not shadow input (use a different rule name)']);
  expect(errors([{ file: 't.rego', text: dup }])).toEqual(['t.rego:4:1: rego_compile_error: import must not shadow import data.x']);
  expect(errors([{ file: 't.rego', text: shadow, regoVersion: 0 }])).toEqual([]);
  expect(errors([{ file: 't.rego', text: dup, regoVersion: 0 }])).toEqual([]);
});
