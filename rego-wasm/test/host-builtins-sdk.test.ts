/**
 * Host builtins through the real path: a policy built by this toolchain,
 * loaded by the unmodified OPA SDK with `sdkHostBuiltins`. Numbers that a
 * double cannot hold reach the runtime as exact JSON text.
 */
import { loadPolicySync } from '@open-policy-agent/opa-wasm';
import { buildPolicyWasm, importedMemoryMinPages } from '../src/package';
import { planRego } from '../src/frontend';
import { hostBuiltins, sdkHostBuiltins, beginEvaluation } from '../src/builtins/host';

const POLICY = `package t

default exact_bytes := false

default exact_ns := false

exact_bytes if units.parse_bytes("10ei") == 11529215046068469760

exact_ns if time.parse_rfc3339_ns("2017-06-02T19:00:00.123456789Z") == 1496430000123456789

decision := {
  "exact_bytes": exact_bytes,
  "exact_ns": exact_ns,
  "regex": regex.match("^a+$", input.s),
  "cidr": net.cidr_contains("10.0.0.0/8", input.ip),
  "now_same": time.now_ns() == time.now_ns(),
}
`;

jest.setTimeout(180_000);

function load(table: Record<string, unknown>) {
  const wasm = buildPolicyWasm(planRego([{ file: 't.rego', text: POLICY }], ['t/decision']));
  return loadPolicySync(wasm, importedMemoryMinPages(wasm), table as never);
}

test('exact big numbers and host builtins evaluate inside a built policy', () => {
  const policy = load(sdkHostBuiltins);
  beginEvaluation();
  const [row] = policy.evaluate({ s: 'aaa', ip: '10.1.2.3' }, 't/decision') as Array<{ result: Record<string, unknown> }>;
  expect(row?.result).toEqual({ exact_bytes: true, exact_ns: true, regex: true, cidr: true, now_same: true });
});

test('without exact text the same comparisons fail (why sdkHostBuiltins exists)', () => {
  const policy = load(hostBuiltins);
  const [row] = policy.evaluate({ s: 'b', ip: '192.168.0.1' }, 't/decision') as Array<{ result: Record<string, unknown> }>;
  expect(row?.result).toMatchObject({ exact_bytes: false, exact_ns: false, regex: false, cidr: false });
});
