/**
 * Runtime figures (issue #2): the Acme request decision evaluated in the
 * policy.wasm through the unmodified OPA SDK, on a ~1 KB input, next to a
 * hand-written TypeScript function that makes the same decision; module
 * size; instantiate time; and wasm memory after 100k evaluations compared
 * with the first evaluation's high-water mark.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, loadPolicyWasm, type LoadedPolicy } from 'rego-wasm';

const POLICY_DIR = join(__dirname, '..', 'policies');
/** The engine binary rego-wasm ships (every policy.wasm is this plus the embedded plan). */
const ENGINE_WASM = join(__dirname, '..', 'rego-wasm', 'engine', 'engine.wasm');
const ENTRYPOINT = 'acme/authz/decision';

interface Route {
  product: string;
  method: string;
  pattern: string[];
  action: string;
}

export interface Api {
  products: Record<string, { scopes: Record<string, string> }>;
  method_access: Record<string, string>;
  routes: Route[];
  audit_scope: string;
}

export interface Input {
  method: string;
  path: string[];
  token: { payload: Record<string, unknown>; scopes: string[] };
  [k: string]: unknown;
}

export interface Decision {
  allow: boolean;
  reason: string;
  context?: Record<string, unknown>;
}

/**
 * policies/authz.rego `decision`, written by hand in TypeScript, rule for
 * rule (test/functions/bench-reference.test.ts holds it equal to the policy on
 * every ACME.md outcome and on generated inputs). Rego's "undefined" is
 * `undefined` here: a comparison with an undefined side is false, so a rule
 * body that needs `target` or `callerId` fails without them.
 */
export function handWrittenDecision(api: Api, input: Input): Decision {
  const matches = api.routes
    .filter((r) => r.method === input.method && r.pattern.length === input.path.length)
    .filter((r) => r.pattern.every((seg, i) => seg.startsWith('{') || seg === input.path[i]))
    .map((r) => {
      const params: Record<string, string> = {};
      r.pattern.forEach((seg, i) => {
        if (seg.startsWith('{')) params[seg.replace(/^[{}]+|[{}]+$/g, '')] = input.path[i];
      });
      return { action: r.action, product: r.product, params };
    });
  const unique = new Set(matches.map((m) => JSON.stringify(m)));
  if (unique.size !== 1) return { allow: false, reason: 'unknown_route' };
  const route = matches[0];
  const target: string | undefined = route.params.id;
  const claims = input.token.payload;
  const isString = (v: unknown): v is string => typeof v === 'string';
  /** Rego's `not x` for a JSON value: true when x is undefined or false. */
  const absent = (v: unknown): boolean => v === undefined || v === false;
  // A member: a user-bound token (uid) carrying the enrollee claims.
  const callerId = isString(claims.enrolleeId) && isString(claims.uid) ? claims.enrolleeId : undefined;
  const isServiceClient =
    absent(claims.uid) && absent(claims.enrolleeId) && absent(claims.enrolleeType) && isString(claims.cid) && claims.sub === claims.cid;
  const isPrimary = callerId !== undefined && claims.enrolleeType === 'primary';
  const isSecondary = callerId !== undefined && claims.enrolleeType === 'secondary';
  const isAuditor = isServiceClient && input.token.scopes.includes(api.audit_scope);
  const listed: unknown[] = Array.isArray(claims.dependants)
    ? claims.dependants
    : claims.dependants !== null && typeof claims.dependants === 'object'
      ? Object.values(claims.dependants)
      : [];
  const dependants = new Set(isPrimary ? listed.filter(isString) : []);
  const access: string | undefined = Object.prototype.hasOwnProperty.call(api.method_access, input.method) ? api.method_access[input.method] : undefined;
  const scopes = api.products[route.product]?.scopes;
  const requiredScope = access !== undefined && scopes !== undefined && Object.prototype.hasOwnProperty.call(scopes, access) ? scopes[access] : undefined;
  const hasScope = requiredScope !== undefined && input.token.scopes.includes(requiredScope);
  const defined = target !== undefined;
  const sameAsCaller = defined && callerId !== undefined && target === callerId;
  const otherThanCaller = defined && callerId !== undefined && target !== callerId;
  const read = route.action === 'read_record';
  const write = access === 'write';

  if (!hasScope) {
    return requiredScope === undefined
      ? { allow: false, reason: 'not_permitted' }
      : { allow: false, reason: 'insufficient_scope', context: { requiredScope } };
  }
  const grants: string[] = [];
  if (read && sameAsCaller) grants.push('own_record');
  if (read && isPrimary && otherThanCaller) grants.push('primary_family_read');
  if (write && isPrimary && sameAsCaller) grants.push('own_write');
  if (write && isPrimary && defined && dependants.has(target)) grants.push('dependant_write');
  if (read && isAuditor) grants.push('audit_read');
  if (grants.length > 0) return { allow: true, reason: grants.sort()[0], context: { action: route.action } };
  const refusals: string[] = [];
  if (read && isSecondary && otherThanCaller) refusals.push('not_own_record');
  if (write && isSecondary) refusals.push('read_only_member');
  if (write && isPrimary && otherThanCaller && !dependants.has(target)) refusals.push('not_own_family');
  if (callerId === undefined) refusals.push('not_a_member');
  if (refusals.length > 0) return { allow: false, reason: refusals.sort()[0] };
  return { allow: false, reason: 'not_permitted' };
}

function sampleInput(sub: string, enrolleeId: string, type: string, target: string, method = 'GET'): Input {
  return {
    method,
    path: ['v1', 'claims', 'enrollee', target],
    rawPath: `/v1/claims/enrollee/${target}`,
    query: { status: ['open'], page: ['1'] },
    headers: {
      accept: 'application/json',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) bench/1.0',
      'x-request-id': '6f1c2a9e-2b1d-4c8e-9d7a-1b2c3d4e5f60',
      'x-forwarded-for': '203.0.113.7',
      'accept-language': 'en-US,en;q=0.9',
    },
    sourceIp: '203.0.113.7',
    token: {
      payload: {
        ver: 1,
        jti: 'AT.bench-0000000000000000000000000000000000000000',
        iss: 'http://127.0.0.1:9000/oauth2/default',
        aud: 'api://default',
        iat: 1763800000,
        exp: 1763803600,
        cid: '0oabenchclient000000',
        uid: `00u${sub}`,
        sub,
        scp: ['claims:read', 'claims:write', 'openid', 'profile'],
        enrolleeId,
        enrolleeType: type,
        groups: ['members', 'acme-health'],
        dependants: type === 'primary' ? ['1002', '1003', '1004'] : [],
      },
      scopes: ['claims:read', 'claims:write', 'openid', 'profile'],
    },
    api: { stage: 'prod', resource: '/v1/{proxy+}', product: 'claims' },
  };
}

/** JSON with sorted keys: equality of values regardless of key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeLoop(n: number, fn: () => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1000 / n; // µs per call
}

export async function benchRuntime(): Promise<Record<string, number | string>> {
  const built = build({ paths: [POLICY_DIR], outfile: join(POLICY_DIR, 'build', 'policy.wasm') });
  const wasm = built.bytes;
  const data = JSON.parse(readFileSync(join(POLICY_DIR, 'data.json'), 'utf8')) as { acme: { api: Api } };
  const api = data.acme.api;

  const cases = [
    sampleInput('alice@acme.example', '1001', 'primary', '1001'),
    sampleInput('alice@acme.example', '1001', 'primary', '2001'),
    sampleInput('bob@acme.example', '1002', 'secondary', '1001'),
    sampleInput('bob@acme.example', '1002', 'secondary', '1001', 'POST'),
  ];
  const input = cases[2];
  const inputBytes = Buffer.byteLength(JSON.stringify(input));

  // instantiate: load + setData, median of 20
  const loads: number[] = [];
  let policy: LoadedPolicy | undefined;
  for (let i = 0; i < 20; i++) {
    const t0 = process.hrtime.bigint();
    policy = await loadPolicyWasm(wasm);
    policy.setData(data);
    loads.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  if (!policy) throw new Error('no policy loaded');
  const p = policy;

  // The two implementations must agree before their speeds are compared.
  for (const c of cases) {
    const viaWasm = (p.evaluate(c, ENTRYPOINT) as { result: Decision }[])[0]?.result;
    const byHand = handWrittenDecision(api, c);
    if (canonical(viaWasm) !== canonical(byHand)) {
      throw new Error(`hand-written decision differs from the policy: ${JSON.stringify(viaWasm)} vs ${JSON.stringify(byHand)}`);
    }
  }

  // memory: high-water mark after the first evaluation vs after 100k
  const fresh = await loadPolicyWasm(wasm);
  fresh.setData(data);
  fresh.evaluate(input, ENTRYPOINT);
  const firstBytes = fresh.mem.buffer.byteLength;
  for (let i = 0; i < 100_000; i++) fresh.evaluate(input, ENTRYPOINT);
  const after100k = fresh.mem.buffer.byteLength;

  // per-evaluation time, interleaved rounds so machine noise hits both alike
  const wasmRounds: number[] = [];
  const tsRounds: number[] = [];
  for (let round = 0; round < 7; round++) {
    wasmRounds.push(timeLoop(2000, () => p.evaluate(input, ENTRYPOINT)));
    // the SDK JSON-encodes the input on each call; the TS side gets the same work
    tsRounds.push(timeLoop(2000, () => handWrittenDecision(api, JSON.parse(JSON.stringify(input)) as Input)));
  }
  const wasmUs = median(wasmRounds);
  const tsUs = median(tsRounds);
  const tsPureUs = timeLoop(20000, () => handWrittenDecision(api, input));

  return {
    input_bytes: inputBytes,
    eval_wasm_us: wasmUs,
    eval_ts_us: tsUs,
    eval_ratio_wasm_to_ts: wasmUs / tsUs,
    eval_ts_no_json_us: tsPureUs,
    policy_wasm_bytes: wasm.length,
    engine_wasm_bytes: statSync(ENGINE_WASM).size,
    instantiate_ms_p50: median(loads),
    memory_bytes_after_first_eval: firstBytes,
    memory_bytes_after_100k_evals: after100k,
    memory_grew: after100k > firstBytes ? 'yes' : 'no',
  };
}
