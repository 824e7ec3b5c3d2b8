/**
 * `npm run bench`: every figure the issues name, measured in ONE run so that
 * ratios compare like with like on a shared, noisy machine. Prints a table
 * and writes bench/results/latest.json.
 *
 * Each area is a module exporting one async function that returns named
 * figures; an area that cannot run (e.g. a port in use) is reported with its
 * error instead of aborting the others.
 *
 *   npm run bench                 all areas
 *   npm run bench -- runtime cdk  only these areas
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Figures = Record<string, number | string>;

interface Area {
  name: string;
  /** What the figures mean and their targets, printed under the table. */
  notes: string;
  /** Module under bench/ and the async function it exports. */
  module: string;
  fn: string;
}

async function runArea(area: Area): Promise<Figures> {
  // Loaded by name so that one area's missing or broken module cannot stop the others.
  const mod = (await import(area.module)) as Record<string, unknown>;
  const fn = mod[area.fn];
  if (typeof fn !== 'function') throw new Error(`${area.module} does not export ${area.fn}()`);
  return (await (fn as () => Promise<Figures>)()) ?? {};
}

const areas: Area[] = [
  {
    name: 'runtime',
    notes: 'per-eval vs hand-written TS (target ≤ 3x), module size (target ≤ 300 KB), memory after 100k evals ≤ first eval high-water mark',
    module: './runtime',
    fn: 'benchRuntime',
  },
  {
    name: 'compiler',
    notes: 'compile time of policies/ (target ≤ 2 s) and of the largest compliance case',
    module: './compiler',
    fn: 'benchCompiler',
  },
  {
    name: 'authorizer',
    notes: 'warm in-process latency over 10k requests vs aws-jwt-verify alone (target: policy adds ≤ 25%); the same authorizer with verification replaced by its result, the policy decision alone, verification then decision, and the floor (constant policy, no verification); cold init',
    module: './authorizer',
    fn: 'benchAuthorizer',
  },
  {
    name: 'gateway',
    notes: 'local gateway throughput (autocannon) next to the backend alone',
    module: './gateway',
    fn: 'benchGateway',
  },
  {
    name: 'policy-bundle',
    notes: 'remote policy bundles: a request with a fresh remote policy next to the packaged one (p50/p99; sockets, fetch calls and bundle-service requests during it: expected 0), one poll (304; 200 + verify + load)',
    module: './policy-bundle',
    fn: 'benchPolicyBundle',
  },
  {
    name: 'bundle',
    notes: 'Lambda bundle sizes (authorizer incl. wasm: target ≤ 1 MB)',
    module: './bundle',
    fn: 'benchBundleSizes',
  },
  {
    name: 'publish',
    notes: 'policy:publish build+sign and upload (s3rver, loopback), and on the local stack the time from a publish to the first decision by the new policy (polling 1-2 s)',
    module: './publish',
    fn: 'benchPublish',
  },
  {
    name: 'signing',
    notes: 'signed bundles: policies/ bundle size; write signed and read verified (median ms) for RS256 and ES256, beside readBundle unverified',
    module: './signing',
    fn: 'benchSigning',
  },
];

function fmt(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const results: Record<string, Figures | { error: string }> = {};
  const rows: [string, string, string][] = [];
  for (const area of areas) {
    if (only.length > 0 && !only.includes(area.name)) continue;
    process.stderr.write(`bench: ${area.name}…\n`);
    try {
      const figures = await runArea(area);
      results[area.name] = figures;
      for (const [k, v] of Object.entries(figures)) rows.push([area.name, k, fmt(v)]);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      results[area.name] = { error };
      rows.push([area.name, 'error', error.split('\n')[0].slice(0, 100)]);
    }
  }
  const w0 = Math.max(4, ...rows.map((r) => r[0].length));
  const w1 = Math.max(6, ...rows.map((r) => r[1].length));
  console.log(`${'area'.padEnd(w0)}  ${'figure'.padEnd(w1)}  value`);
  console.log(`${'-'.repeat(w0)}  ${'-'.repeat(w1)}  -----`);
  for (const [a, k, v] of rows) console.log(`${a.padEnd(w0)}  ${k.padEnd(w1)}  ${v}`);
  console.log('');
  for (const area of areas) if (only.length === 0 || only.includes(area.name)) console.log(`${area.name}: ${area.notes}`);
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    results,
  };
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(out, null, 2));
  console.log(`\nwrote ${join('bench', 'results', 'latest.json')}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
