/**
 * "Bring your own Rego" (#9, done when): policies written the way public ones are, built
 * unchanged through the `rego-wasm` bin, give OPA's answers when loaded with the unmodified
 * OPA SDK.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { untar } from '../src/package/bundle';
import { loadPolicyWasm } from '../src/load';
import { sdkExtendedHostBuiltins } from 'rego-wasm/extended';

const BIN = join(__dirname, '..', 'bin', 'rego-wasm.js');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'byo-rego-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): void {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
}

function bin(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** policy.wasm and data.json of a bundle.tar.gz, loaded with the OPA SDK as a user would. */
async function loadBundle(file: string): Promise<Awaited<ReturnType<typeof loadPolicy>>> {
  const files = untar(gunzipSync(readFileSync(file)));
  const policy = await loadPolicy(files.get('/policy.wasm')!);
  policy.setData(JSON.parse(new TextDecoder().decode(files.get('/data.json'))) as object);
  return policy;
}

// In the style of public RBAC examples (OPA 0.x era): `=` defaults, bodies without `if`,
// `deny[msg]` partial sets, `import future.keywords.in`.
const RBAC_V0 = `package app.rbac

import future.keywords.in

default allow = false

allow {
	user_is_admin
}

allow {
	some grant in user_grants
	input.action == grant.action
	input.type == grant.type
}

user_is_admin {
	"admin" in data.user_roles[input.user]
}

user_grants[grant] {
	some role in data.user_roles[input.user]
	some grant in data.role_grants[role]
}

deny[msg] {
	not allow
	msg := sprintf("%s may not %s %s", [input.user, input.action, input.type])
}
`;

const RBAC_V1 = `package app.rbac

default allow := false

allow if user_is_admin

allow if {
	some grant in user_grants
	input.action == grant.action
	input.type == grant.type
}

user_is_admin if "admin" in data.user_roles[input.user]

user_grants contains grant if {
	some role in data.user_roles[input.user]
	some grant in data.role_grants[role]
}

deny contains msg if {
	not allow
	msg := sprintf("%s may not %s %s", [input.user, input.action, input.type])
}
`;

const RBAC_DATA = {
  user_roles: { alice: ['admin'], bob: ['employee', 'billing'], eve: ['customer'] },
  role_grants: {
    customer: [{ action: 'read', type: 'dog' }, { action: 'read', type: 'cat' }, { action: 'adopt', type: 'dog' }],
    employee: [{ action: 'read', type: 'dog' }, { action: 'update', type: 'dog' }],
    billing: [{ action: 'read', type: 'finance' }, { action: 'update', type: 'finance' }],
  },
};

const INPUTS = [
  { user: 'alice', action: 'delete', type: 'finance' },
  { user: 'bob', action: 'update', type: 'finance' },
  { user: 'bob', action: 'adopt', type: 'dog' },
  { user: 'eve', action: 'adopt', type: 'dog' },
  { user: 'eve', action: 'update', type: 'cat' },
  { user: 'mallory', action: 'read', type: 'dog' },
];

describe('a v0 policy builds unchanged with --v0-compatible and answers as its v1 rewrite', () => {
  test('build through the bin, evaluate with the OPA SDK: allow and deny equal for every input, and as OPA decides', async () => {
    write('v0/rbac.rego', RBAC_V0);
    write('v1/rbac.rego', RBAC_V1);
    write('v0/data.json', JSON.stringify(RBAC_DATA));
    write('v1/data.json', JSON.stringify(RBAC_DATA));
    const eps = ['-e', 'app/rbac/allow', '-e', 'app/rbac/deny'];
    // Unchanged v0 text is a v1 parse error without the flag, as in OPA 1.x.
    const refused = bin(['build', ...eps, '-o', join(dir, 'x.tar.gz'), join(dir, 'v0')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/rbac\.rego:\d+:\d+: rego_parse_error/);
    const v0 = bin(['build', '--v0-compatible', ...eps, '-o', join(dir, 'v0.tar.gz'), join(dir, 'v0')]);
    expect(v0).toMatchObject({ code: 0, stderr: '' });
    const v1 = bin(['build', ...eps, '-o', join(dir, 'v1.tar.gz'), join(dir, 'v1')]);
    expect(v1).toMatchObject({ code: 0, stderr: '' });
    const p0 = await loadBundle(join(dir, 'v0.tar.gz'));
    const p1 = await loadBundle(join(dir, 'v1.tar.gz'));
    const answers = INPUTS.map((input) => [p0.evaluate(input, 'app/rbac/allow')[0].result, p0.evaluate(input, 'app/rbac/deny')[0].result]);
    expect(INPUTS.map((input) => [p1.evaluate(input, 'app/rbac/allow')[0].result, p1.evaluate(input, 'app/rbac/deny')[0].result])).toEqual(answers);
    // OPA's answers (worked by hand from the data): admin, billing grant, no grant, customer grant, no grant, unknown user.
    expect(answers).toEqual([
      [true, []],
      [true, []],
      [false, ['bob may not adopt dog']],
      [true, []],
      [false, ['eve may not update cat']],
      [false, ['mallory may not read dog']],
    ]);
  });

  test('eval through the bin with --v0-compatible gives the same value as on the v1 rewrite', () => {
    write('v0/rbac.rego', RBAC_V0);
    write('v1/rbac.rego', RBAC_V1);
    write('data.json', JSON.stringify(RBAC_DATA));
    write('in.json', JSON.stringify(INPUTS[2]));
    const common = ['-d', join(dir, 'data.json'), '-i', join(dir, 'in.json'), 'data.app.rbac'];
    const a = bin(['eval', '--v0-compatible', '-d', join(dir, 'v0'), ...common]);
    const b = bin(['eval', '-d', join(dir, 'v1'), ...common]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const value = (out: string): unknown => (JSON.parse(out) as { result: { expressions: { value: unknown }[] }[] }).result[0].expressions[0].value;
    expect(value(a.stdout)).toEqual(value(b.stdout));
    expect(value(a.stdout)).toEqual({
      allow: false,
      deny: ['bob may not adopt dog'],
      user_grants: [
        { action: 'read', type: 'dog' },
        { action: 'read', type: 'finance' },
        { action: 'update', type: 'dog' },
        { action: 'update', type: 'finance' },
      ],
    });
  });
});

// Annotations as published policy libraries use them: package and rule metadata with title,
// description and custom, `entrypoint: true` instead of -e, rego.metadata.rule()/chain(),
// and json.match_schema (a builtin the host supplies, declared with --capabilities).
const ANNOTATED = `# METADATA
# title: Orders API
# description: Who may call the orders API
# custom:
#   owner: payments-team
package orders.authz

schema := {
	"type": "object",
	"required": ["user", "amount"],
	"properties": {
		"user": {"type": "string"},
		"amount": {"type": "number", "minimum": 0},
	},
}

# METADATA
# title: Decision
# description: The request is well-formed and within the user's limit
# custom:
#   severity: high
# entrypoint: true
decision := {
	"allow": allow,
	"errors": errors,
	"rule": rego.metadata.rule(),
	"chain": rego.metadata.chain(),
	"limit_rule": limit_rule,
}

# METADATA
# title: Limit rule
# custom:
#   source: data.limits
limit_rule := rego.metadata.rule()

default allow := false

allow if {
	valid
	input.amount <= data.limits[input.user]
}

valid if {
	[match, _] := json.match_schema(input, schema)
	match
}

errors := [e.error | [_, errs] := json.match_schema(input, schema); some e in errs]
`;

/** An OPA capabilities file naming the builtins the policy calls (OPA's format: the whole set). */
function capabilities(names: string[]): string {
  const any = { type: 'any' };
  return JSON.stringify({ builtins: names.map((name) => ({ name, decl: { type: 'function', args: [any, any], result: any } })) });
}

describe('an annotated policy with json.match_schema builds unchanged and evaluates as OPA would', () => {
  test('entrypoint from `entrypoint: true`, metadata as OPA returns it, schema errors in OPA\'s shape', async () => {
    write('p/policy.rego', ANNOTATED);
    write('p/data.json', JSON.stringify({ limits: { alice: 100 } }));
    write('caps.json', capabilities(['json.match_schema', 'lte', 'eq', 'assign', 'internal.member_2', 'rego.metadata.rule', 'rego.metadata.chain']));
    const out = join(dir, 'bundle.tar.gz');
    // The default loader does not carry the schema library: without the declaration the build refuses it.
    const refused = bin(['build', '-o', out, join(dir, 'p')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/unsupported builtin: json\.match_schema/);
    const built = bin(['build', '--capabilities', join(dir, 'caps.json'), '-o', out, join(dir, 'p')]);
    expect(built).toMatchObject({ code: 0, stderr: '' });
    expect(built.stdout).toMatch(/entrypoints: orders\/authz\/decision\)$/m);
    const files = untar(gunzipSync(readFileSync(out)));
    const policy = await loadPolicyWasm(files.get('/policy.wasm')!, { builtins: sdkExtendedHostBuiltins });
    policy.setData(JSON.parse(new TextDecoder().decode(files.get('/data.json'))) as object);
    const decide = (input: object): Record<string, unknown> => policy.evaluate(input, 'orders/authz/decision')[0].result as Record<string, unknown>;
    // `entrypoint: true` without a scope makes the annotation document-scoped (OPA), so the
    // rule itself has no rule-scoped annotation: rule() is {} and the chain starts with a bare path.
    const chain = [
      { path: ['orders', 'authz', 'decision'] },
      {
        annotations: { custom: { severity: 'high' }, description: "The request is well-formed and within the user's limit", entrypoint: true, scope: 'document', title: 'Decision' },
        path: ['orders', 'authz', 'decision'],
      },
      { annotations: { custom: { owner: 'payments-team' }, description: 'Who may call the orders API', scope: 'package', title: 'Orders API' }, path: ['orders', 'authz'] },
    ];
    const limitRule = { custom: { source: 'data.limits' }, scope: 'rule', title: 'Limit rule' };
    expect(decide({ user: 'alice', amount: 50 })).toEqual({ allow: true, errors: [], rule: {}, chain, limit_rule: limitRule });
    expect(decide({ user: 'alice', amount: 500 })).toMatchObject({ allow: false, errors: [] });
    expect(decide({ user: 'alice', amount: -1 })).toMatchObject({ allow: false, errors: ['amount: Must be greater than or equal to 0'] });
    expect(decide({ amount: 5 })).toMatchObject({ allow: false, errors: ['(root): user is required'] });
  });
});
