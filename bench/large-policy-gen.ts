/**
 * A large, deterministic policy set for the large-policy bench (issue #12):
 * the size of a big validation set (~300 packages, thousands of rules),
 * string- and sprintf-heavy, with `# METADATA` annotations, comprehensions,
 * partial sets and objects, `every` and `some … in`. Same seed, same files.
 *
 *   npx tsx bench/large-policy-gen.ts [outdir] [packages]   writes the set and prints its directory
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GeneratedPolicySet {
  dir: string;
  files: number;
  rules: number;
  bytes: number;
  /** Entrypoints: the aggregate over every package, and one package alone. */
  entrypoints: string[];
  /** An input that exercises every package (resources of every kind). */
  input: unknown;
}

/** mulberry32: a small seeded PRNG, enough for reproducible variety. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima',
  'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango', 'uniform', 'victor', 'whiskey',
  'xray', 'yankee', 'zulu', 'storage', 'network', 'compute', 'identity', 'logging', 'encryption', 'backup',
  'retention', 'firewall', 'gateway', 'database', 'cluster', 'bucket', 'queue', 'topic', 'function', 'secret',
];

const REGIONS = ['eu-west-1', 'eu-west-2', 'eu-central-1', 'us-east-1', 'us-east-2', 'us-west-2', 'ap-southeast-1', 'ap-northeast-1', 'sa-east-1', 'ca-central-1'];

const pad = (n: number): string => String(n).padStart(3, '0');
export const kindOf = (i: number): string => `Kind${pad(i)}`;

/** Rule heads: lines at column 0 that are not comments, package lines or block ends. */
function ruleHeads(text: string): number {
  return text.split('\n').filter((l) => /^[a-z_]/.test(l) && !l.startsWith('package ') && !l.startsWith('import ')).length;
}

function packageText(i: number, r: () => number): { text: string; rules: number } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const w = (): string => pick(WORDS);
  const kind = kindOf(i);
  const id = (n: number): string => `P${pad(i)}-${String(n).padStart(3, '0')}`;
  const label = `${w()}-${w()}`;
  const prefix = `registry.${w()}.example/${w()}/`;
  const regions = REGIONS.filter(() => r() < 0.6);
  const minReplicas = 1 + Math.floor(r() * 4);
  const maxPort = 1024 + Math.floor(r() * 8000);
  const severity = pick(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
  // one package in four carries the full rule set, the others the common core
  const full = i % 4 === 0;
  const lines: string[] = [];
  const meta = (n: number, title: string): void => {
    lines.push(
      '# METADATA',
      `# title: ${title}`,
      `# description: ${kind} resources must ${title.toLowerCase()}; see the ${w()} ${w()} guideline, section ${n}.`,
      '# custom:',
      `#   id: ${id(n)}`,
      `#   severity: ${severity}`,
      `#   remediation: Update the ${w()} configuration of the ${w()} resource and redeploy.`,
    );
  };
  lines.push(
    '# METADATA',
    `# title: ${kind} validation (${w()} ${w()})`,
    `# description: Validation rules for ${kind} resources owned by the ${w()} team.`,
    '# custom:',
    `#   owner: team-${w()}`,
    `package lint.p${pad(i)}`,
    '',
    `resources contains res if {`,
    `\tsome res in input.resources`,
    `\tres.kind == "${kind}"`,
    `}`,
    '',
    `allowed_regions := {${regions.map((x) => JSON.stringify(x)).join(', ') || '"eu-west-1"'}}`,
    '',
    `messages := {`,
    `\t"label": "%s %s/%s is missing the label %q required by ${id(1)} (${w()} ${w()} ${w()})",`,
    `\t"region": "%s %s/%s is deployed in %s, outside the allowed regions %v (${id(2)})",`,
    `\t"image": "%s %s/%s uses image %s not from ${prefix} (${id(3)}: ${w()} ${w()})",`,
    `\t"port": "%s %s/%s exposes port %d above %d (${id(4)})",`,
    `\t"replicas": "%s %s/%s runs %d replicas, fewer than ${minReplicas} (${id(5)})",`,
    `}`,
    '',
  );
  meta(1, `Carry the ${label} label`);
  lines.push(
    `deny contains msg if {`,
    `\tsome res in resources`,
    `\tnot res.metadata.labels["${label}"]`,
    `\tmsg := sprintf(messages.label, ["${kind}", res.metadata.namespace, res.metadata.name, "${label}"])`,
    `}`,
    '',
  );
  if (full) {
  meta(2, 'Stay in an allowed region');
  lines.push(
    `deny contains msg if {`,
    `\tsome res in resources`,
    `\tnot allowed_regions[res.spec.region]`,
    `\tmsg := sprintf(messages.region, ["${kind}", res.metadata.namespace, res.metadata.name, res.spec.region, sort([x | some x in allowed_regions])])`,
    `}`,
    '',
  );
  meta(3, 'Use images from the approved registry');
  lines.push(
    `trusted(image) if startswith(image, "${prefix}")`,
    '',
    `all_trusted(res) if {`,
    `\tevery image in res.spec.images {`,
    `\t\ttrusted(image)`,
    `\t}`,
    `}`,
    '',
    `deny contains msg if {`,
    `\tsome res in resources`,
    `\tnot all_trusted(res)`,
    `\tsome image in res.spec.images`,
    `\tnot trusted(image)`,
    `\tmsg := sprintf(messages.image, ["${kind}", res.metadata.namespace, res.metadata.name, image])`,
    `}`,
    '',
  );
  meta(4, `Expose no port above ${maxPort}`);
  lines.push(
    `deny contains msg if {`,
    `\tsome res in resources`,
    `\tsome port in res.spec.ports`,
    `\tport > ${maxPort}`,
    `\tmsg := sprintf(messages.port, ["${kind}", res.metadata.namespace, res.metadata.name, port, ${maxPort}])`,
    `}`,
    '',
  );
  meta(5, `Run at least ${minReplicas} replicas`);
  lines.push(
    `replicas(res) := n if {`,
    `\tn := res.spec.replicas`,
    `} else := 1`,
    '',
    `deny contains msg if {`,
    `\tsome res in resources`,
    `\treplicas(res) < ${minReplicas}`,
    `\tmsg := sprintf(messages.replicas, ["${kind}", res.metadata.namespace, res.metadata.name, replicas(res)])`,
    `}`,
    '',
  );
  }
  // warnings: string functions over names
  const suffix = `-${w()}`;
  lines.push(
    `warn contains msg if {`,
    `\tsome res in resources`,
    `\tlower(res.metadata.name) != res.metadata.name`,
    `\tmsg := sprintf("%s %s: name %q should be lower case (${id(6)})", ["${kind}", res.metadata.namespace, res.metadata.name])`,
    `}`,
    '',
    `warn contains msg if {`,
    `\tsome res in resources`,
    `\tendswith(res.metadata.name, "${suffix}")`,
    `\tmsg := concat(" ", ["${kind}", res.metadata.name, "ends with", "${suffix}", "which the ${w()} team reserves (${id(7)})"])`,
    `}`,
    '',
  );
  // partial object, comprehensions
  lines.push(
    `summary[name] := info if {`,
    `\tsome res in resources`,
    `\tname := concat("/", [res.metadata.namespace, res.metadata.name])`,
    `\tinfo := {`,
    `\t\t"kind": "${kind}",`,
    `\t\t"images": count(object.get(res.spec, "images", [])),`,
    `\t\t"ports": [format_int(p, 10) | some p in object.get(res.spec, "ports", [])],`,
    `\t\t"owner": upper(object.get(res.metadata.labels, "owner", "${w()}")),`,
    `\t}`,
    `}`,
    '',
    `namespaces := {ns | some res in resources; ns := res.metadata.namespace}`,
    '',
    `violations := count(deny)`,
    '',
    `report := {`,
    `\t"package": "lint.p${pad(i)}",`,
    `\t"kind": "${kind}",`,
    `\t"violations": violations,`,
    `\t"namespaces": namespaces,`,
    `\t"severity": "${severity}",`,
    `\t"summary": summary,`,
    `}`,
    '',
  );
  const text = `${lines.join('\n')}\n`;
  return { text, rules: ruleHeads(text) };
}

function mainPackage(n: number): string {
  const lines = [
    '# METADATA',
    '# title: Aggregate of every rule set',
    '# description: Collects the deny and warn messages of every lint package.',
    'package lint.main',
    '',
  ];
  for (let i = 0; i < n; i++) lines.push(`deny contains msg if some msg in data.lint.p${pad(i)}.deny`);
  lines.push('');
  for (let i = 0; i < n; i++) lines.push(`warn contains msg if some msg in data.lint.p${pad(i)}.warn`);
  lines.push('', 'result := {"deny": deny, "warn": warn, "count": count(deny) + count(warn)}', '');
  return lines.join('\n');
}

/** An input with `perKind` resources of each of the first `kinds` kinds, some compliant, some not. */
export function generatedInput(kinds: number, perKind = 1, seed = 7): unknown {
  const r = rng(seed);
  const resources: unknown[] = [];
  for (let i = 0; i < kinds; i++) {
    for (let j = 0; j < perKind; j++) {
      const bad = r() < 0.5;
      resources.push({
        kind: kindOf(i),
        metadata: {
          name: bad ? `App-${i}-${j}` : `app-${i}-${j}`,
          namespace: `ns-${i % 7}`,
          labels: { owner: `team-${WORDS[i % WORDS.length]}`, tier: 'backend' },
          annotations: { note: `managed by ${WORDS[(i * 3 + j) % WORDS.length]}` },
        },
        spec: {
          region: REGIONS[(i + j) % REGIONS.length],
          images: [`registry.${WORDS[i % WORDS.length]}.example/app:${j}`, 'docker.io/library/nginx:1.25'],
          ports: [80, 443, bad ? 9443 : 8080],
          ...(bad ? {} : { replicas: 3 }),
        },
      });
    }
  }
  return { resources };
}

/** Writes the policy set (seeded) into `dir` (default: a new temp directory). */
export function generateLargePolicySet(opts: { dir?: string; packages?: number; seed?: number } = {}): GeneratedPolicySet {
  const packages = opts.packages ?? 300;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'large-policy-'));
  mkdirSync(dir, { recursive: true });
  const r = rng(opts.seed ?? 12);
  let rules = 0;
  let bytes = 0;
  for (let i = 0; i < packages; i++) {
    const { text, rules: n } = packageText(i, r);
    rules += n;
    bytes += Buffer.byteLength(text);
    writeFileSync(join(dir, `p${pad(i)}.rego`), text);
  }
  const main = mainPackage(packages);
  bytes += Buffer.byteLength(main);
  writeFileSync(join(dir, 'main.rego'), main);
  return {
    dir,
    files: packages + 1,
    rules,
    bytes,
    entrypoints: ['lint/main/result', `lint/p${pad(Math.min(7, packages - 1))}/report`],
    input: generatedInput(packages),
  };
}

if (require.main === module) {
  const [dir, n] = process.argv.slice(2);
  const set = generateLargePolicySet({ dir, packages: n ? Number(n) : undefined });
  console.log(JSON.stringify({ dir: set.dir, files: set.files, rules: set.rules, bytes: set.bytes, entrypoints: set.entrypoints }));
}
