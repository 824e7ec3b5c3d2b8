/**
 * Regenerates `signatures.json` (builtin name → OPA decl + flags).
 *
 *   npx tsx rego-wasm/tools/gen-signatures.ts [compliance-dir]
 *
 * Source 1: every `static.builtin_funcs[].decl` in OPA's own plans under the compliance
 * cases (default `../shared/opa-compliance/v1`), exactly as OPA printed them.
 * Source 2: hand-written decls below for builtins those plans never call (operators the
 * planner lowers itself, `print`, a few time/strings helpers). Deprecated v0 builtins
 * (`all`, `any`, `re_match`, `set_diff`, `cast_*`, `net.cidr_overlap`) are left out on
 * purpose: OPA 1.x rejects them in v1 modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BuiltinSignature, FunctionDecl, TypeDecl } from '../src/builtins/signatures';

const ANY: TypeDecl = { type: 'any' };
const NUM: TypeDecl = { type: 'number' };
const STR: TypeDecl = { type: 'string' };
const BOOL: TypeDecl = { type: 'boolean' };
const fn = (args: TypeDecl[], result?: TypeDecl): FunctionDecl =>
  result ? { type: 'function', args, result } : { type: 'function', args };

/** Decls for builtins that OPA's compliance plans never show. */
const HAND_WRITTEN: Record<string, FunctionDecl> = {
  eq: fn([ANY, ANY], BOOL),
  assign: fn([ANY, ANY], BOOL),
  print: { type: 'function', variadic: ANY },
  'internal.print': fn([{ type: 'array', dynamic: { type: 'set', of: ANY } }]),
  trace: fn([STR], BOOL),
  'strings.reverse': fn([STR], STR),
  indexof_n: fn([STR, STR], { type: 'array', dynamic: NUM }),
  'time.parse_rfc3339_ns': fn([STR], NUM),
  'time.parse_duration_ns': fn([STR], NUM),
  'rego.metadata.chain': fn([], { type: 'array', dynamic: ANY }),
  'rego.metadata.rule': fn([], ANY),
  'crypto.x509.parse_and_verify_certificates_with_options': fn(
    [STR, { type: 'object', dynamic: { key: STR, value: ANY } }],
    { type: 'array', static: [BOOL, { type: 'array', dynamic: ANY }] },
  ),
  'strings.count': fn([STR, STR], NUM),
};

const INFIX: Record<string, string> = {
  eq: '=', assign: ':=', equal: '==', neq: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=',
  plus: '+', minus: '-', mul: '*', div: '/', rem: '%', and: '&', or: '|',
  'internal.member_2': 'in', 'internal.member_3': 'in',
};
const RELATIONS = new Set(['walk']);
const NONDETERMINISTIC = new Set([
  'http.send', 'opa.runtime', 'rand.intn', 'time.now_ns', 'uuid.rfc4122', 'net.lookup_ip_addr',
  'io.jwt.decode_verify', 'io.jwt.encode_sign', 'io.jwt.encode_sign_raw',
  'crypto.x509.parse_and_verify_certificates', 'crypto.x509.parse_and_verify_certificates_with_options',
]);

interface PlanFile {
  cases: { plan?: { static?: { builtin_funcs?: { name: string; decl: FunctionDecl }[] } } }[];
}

function walkJson(dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walkJson(p, out);
    else if (e.name.endsWith('.json')) out.push(p);
  }
}

function signature(name: string, decl: FunctionDecl): BuiltinSignature {
  const sig: BuiltinSignature = {
    decl,
    arity: decl.args?.length ?? 0,
    relation: RELATIONS.has(name),
    void: decl.result === undefined,
  };
  if (INFIX[name]) sig.infix = INFIX[name];
  if (NONDETERMINISTIC.has(name)) sig.nondeterministic = true;
  return sig;
}

function main(): void {
  const dir = process.argv[2] ?? '../shared/opa-compliance/v1';
  const files: string[] = [];
  walkJson(dir, files);
  const decls = new Map<string, FunctionDecl>();
  for (const f of files.sort()) {
    const doc = JSON.parse(fs.readFileSync(f, 'utf8')) as PlanFile;
    for (const c of doc.cases) {
      for (const b of c.plan?.static?.builtin_funcs ?? []) {
        const prev = decls.get(b.name);
        if (prev && JSON.stringify(prev) !== JSON.stringify(b.decl)) {
          throw new Error(`conflicting decls for ${b.name} in ${f}`);
        }
        decls.set(b.name, b.decl);
      }
    }
  }
  const fromPlans = decls.size;
  for (const [name, decl] of Object.entries(HAND_WRITTEN)) if (!decls.has(name)) decls.set(name, decl);
  const out: Record<string, BuiltinSignature> = {};
  for (const name of [...decls.keys()].sort()) out[name] = signature(name, decls.get(name)!);
  const target = path.join(__dirname, '..', 'src', 'builtins', 'signatures.json');
  fs.writeFileSync(target, `${JSON.stringify(out, null, 1)}\n`);
  process.stdout.write(`${Object.keys(out).length} builtins (${fromPlans} from ${files.length} plan files) → ${target}\n`);
}

main();
