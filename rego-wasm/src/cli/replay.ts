/**
 * `replay --bundle candidate.tar.gz [--verification-key K ...] [--allow-changes]
 *         [--max-examples N] [--format text|json] decisions.jsonl...`
 *
 * Re-evaluates each logged decision (one OPA decision-log event per line: `decision_id`,
 * `path`, `input`, `result`, `erased`, `masked`, `bundles`, ...) under a candidate bundle and
 * reports what would change: allow→deny, deny→allow (the result is `true`/`false`, or an
 * object with a boolean `allow`), and any other change of the result (`reason` differs, a
 * field appears...), with counts per kind and up to N examples each. Exit 1 when anything
 * changed (unless --allow-changes), 2 on usage errors; a bundle that fails verification exits 1.
 *
 * A line is replayed only when replaying it is faithful; the others are counted by reason,
 * never folded into "unchanged":
 *   unparsable     not a JSON object, or `path`/`input` of the wrong type
 *   no_path        an ad-hoc query event (no `path`): nothing to re-evaluate
 *   unknown_path   `path` is not an entrypoint of the candidate's policy.wasm
 *   masked_result  the logged result was masked or erased: there is nothing to compare with
 *   masked_input   fields of the input were erased or masked (`/input/...` in `erased` or
 *                  `masked`) and the candidate may read them. For a policy.wasm built by
 *                  rego-wasm this is decided from the input paths it carries (custom section
 *                  `rego-wasm.input_paths`, from the compiler's conservative analysis of every
 *                  input path the policy can look up or use, plan/input-paths.ts);
 *                  lines whose masked fields it cannot read are replayed and counted in
 *                  `masked_unread`. A policy.wasm without that section (built by opa) is
 *                  probed instead: evaluated with the fields absent (as logged) and with each of
 *                  several probe values at every masked pointer (strings, numbers, booleans,
 *                  null, {}, [], the logged masked value); any difference means it depends on
 *                  them. Lines that pass are replayed and counted in `probed` — a weaker
 *                  guarantee: probes cannot rule out a comparison with one specific value.
 *   eval_error     the candidate failed evaluating it (a builtin error, a conflict...)
 *   not_a_decision an event that repeats another decision rather than records one: the
 *                  functions' shadow-disagreement events (`custom.type` other than `decision`)
 *
 * `replayDecisions` is the pure core (lines + a candidate in, a report out); the command wires
 * a bundle and files to it.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors';
import { importedMemoryMinPages } from '../package';
import { parseBundleFiles, readBundleFiles } from '../package/bundle';
import { loadPolicyWasmSync, type LoadedPolicy } from '../load';
import type { JsonValue } from '../sources';
import { evaluate } from './instance';
import { readInputPathsSection } from '../package/input-paths-section';
import type { InputPaths } from '../plan/input-paths';
import { type CliVerification, type FlagView, verificationFlags, verifyBundleInput } from './sign';

export interface ReplayCommand {
  cmd: 'replay';
  bundle: string;
  logs: string[];
  verification?: CliVerification;
  allowChanges: boolean;
  maxExamples: number;
  format: 'text' | 'json';
}

export function parseReplayCommand(positional: string[], f: FlagView): ReplayCommand {
  const bundles = f.all('bundle');
  if (bundles.length !== 1) throw new UsageError('replay needs exactly one --bundle candidate.tar.gz');
  if (positional.length === 0) throw new UsageError('replay needs at least one decisions.jsonl file');
  const format = f.last('format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got ${format}`);
  const max = f.last('max-examples') ?? '5';
  if (!/^\d+$/.test(max)) throw new UsageError(`--max-examples must be a non-negative integer, got ${max}`);
  return {
    cmd: 'replay',
    bundle: bundles[0],
    logs: positional,
    verification: verificationFlags(f, false),
    allowChanges: f.has('allow-changes'),
    maxExamples: Number(max),
    format,
  };
}

/** What replay evaluates decisions with. */
export interface ReplayCandidate {
  /** Whether `path` (`a/b/c`) is a decision the candidate can evaluate. */
  has(path: string): boolean;
  /** The result at `path` for `input` (undefined: the decision is undefined). Throws on evaluation errors. */
  evaluate(path: string, input: JsonValue | undefined): JsonValue | undefined;
  /** The candidate's revision, for the report. */
  revision?: string;
  /** What the decision at `path` can read of `input` (absent, or undefined: unknown, masked lines are probed). */
  inputPaths?: (path: string) => InputPaths | undefined;
}

export type ChangeKind = 'allow_to_deny' | 'deny_to_allow' | 'result_changed';
export type SkipReason = 'unparsable' | 'no_path' | 'unknown_path' | 'masked_result' | 'masked_input' | 'eval_error' | 'not_a_decision';
export const CHANGE_KINDS: readonly ChangeKind[] = ['allow_to_deny', 'deny_to_allow', 'result_changed'];
export const SKIP_REASONS: readonly SkipReason[] = ['unparsable', 'no_path', 'unknown_path', 'masked_result', 'masked_input', 'eval_error', 'not_a_decision'];

export interface ChangeExample {
  /** 1-based line number in the input (across files, in order). */
  line: number;
  decision_id?: string;
  path: string;
  /** Absent: the decision was (or is) undefined. */
  before?: JsonValue;
  after?: JsonValue;
  /** JSON pointers (into the result) of what differs, at most 10. */
  changed: string[];
}

export interface SkipExample {
  line: number;
  decision_id?: string;
  path?: string;
  detail: string;
}

export interface ReplayReport {
  candidate_revision?: string;
  /** Non-empty lines read. */
  lines: number;
  /** How many parsed events were logged under each bundle revision (`bundles.<name>.revision`). */
  logged_revisions: Record<string, number>;
  replayed: number;
  unchanged: number;
  changed: Record<ChangeKind, number>;
  examples: Record<ChangeKind, ChangeExample[]>;
  not_replayable: Record<SkipReason, number>;
  not_replayable_examples: Record<SkipReason, SkipExample[]>;
  /** Replayed lines with masked input the candidate cannot read (decided from its plan). */
  masked_unread: number;
  /** Replayed lines with masked input whose result did not depend on the masked fields for any probe (no plan to analyse). */
  probed: number;
}

export interface ReplayOptions {
  /** Examples kept per kind (default 5). */
  maxExamples?: number;
}

type JsonObject = { [k: string]: JsonValue };
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Structural JSON equality (object key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

const escapePointer = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');

/** JSON pointers where two values differ (objects compared key by key), at most `max`. */
export function differingPointers(a: JsonValue | undefined, b: JsonValue | undefined, max = 10, at = ''): string[] {
  if (jsonEqual(a, b)) return [];
  if (isObject(a) && isObject(b)) {
    const out: string[] = [];
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (out.length >= max) break;
      out.push(...differingPointers(a[k], b[k], max - out.length, `${at}/${escapePointer(k)}`));
    }
    return out;
  }
  return [at === '' ? '' : at];
}

function verdict(v: JsonValue | undefined): 'allow' | 'deny' | undefined {
  if (v === true) return 'allow';
  if (v === false || v === undefined) return 'deny';
  if (isObject(v) && typeof v.allow === 'boolean') return v.allow ? 'allow' : 'deny';
  return undefined;
}

export function classifyChange(before: JsonValue | undefined, after: JsonValue | undefined): ChangeKind | undefined {
  if (jsonEqual(before, after)) return undefined;
  const vb = verdict(before);
  const va = verdict(after);
  if (vb !== undefined && va !== undefined && vb !== va) return vb === 'allow' ? 'allow_to_deny' : 'deny_to_allow';
  return 'result_changed';
}

/** `data.a.b`, `/a/b/`, `a.b` or `a/b` → `a/b`. */
export function normalisePath(p: string): string {
  let s = p.trim();
  if (s.startsWith('data.') || s === 'data') s = s.slice(5).split('.').join('/');
  else if (!s.includes('/') && s.includes('.')) s = s.split('.').join('/');
  return s.replace(/^\/+/, '').replace(/\/+$/, '');
}

function parsePointer(p: string): string[] | undefined {
  if (p === '') return [];
  if (!p.startsWith('/')) return undefined;
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A deep copy of `doc` with `value` at `path` (objects created on the way; arrays by index). */
function setAt(doc: JsonValue | undefined, path: readonly string[], value: JsonValue): JsonValue {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(doc) && /^\d+$/.test(head) && Number(head) < doc.length) {
    const copy = doc.slice();
    copy[Number(head)] = setAt(doc[Number(head)], rest, value);
    return copy;
  }
  const base: JsonObject = isObject(doc) ? { ...doc } : {};
  Object.defineProperty(base, head, { value: setAt(base[head], rest, value), enumerable: true, writable: true, configurable: true });
  return base;
}

const PROBES: readonly JsonValue[] = ['', 'replay-probe', 0, 1, -1.5, true, false, null, {}, [], ['replay-probe'], { probe: 'replay-probe' }];

function maskedInputPaths(event: JsonObject): { input: string[][]; result: boolean; bad: boolean } {
  const input: string[][] = [];
  let result = false;
  let bad = false;
  for (const field of ['erased', 'masked']) {
    const list = event[field];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
      bad = true;
      continue;
    }
    for (const p of list as string[]) {
      const segs = parsePointer(p);
      if (!segs || segs.length === 0) {
        bad = true;
        continue;
      }
      if (segs[0] === 'input') input.push(segs.slice(1));
      else if (segs[0] === 'result') result = true;
    }
  }
  return { input, result, bad };
}

/** The value of `doc` at `path`, if present. */
function getAt(doc: JsonValue | undefined, path: readonly string[]): JsonValue | undefined {
  let cur = doc;
  for (const k of path) {
    if (Array.isArray(cur) && /^\d+$/.test(k)) cur = cur[Number(k)];
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, k)) cur = cur[k];
    else return undefined;
  }
  return cur;
}

/** Replays decision-log lines under a candidate. Pure: no I/O. */
export function replayDecisions(lines: Iterable<string>, candidate: ReplayCandidate, opts: ReplayOptions = {}): ReplayReport {
  const max = opts.maxExamples ?? 5;
  const report: ReplayReport = {
    ...(candidate.revision !== undefined ? { candidate_revision: candidate.revision } : {}),
    lines: 0,
    logged_revisions: {},
    replayed: 0,
    unchanged: 0,
    changed: { allow_to_deny: 0, deny_to_allow: 0, result_changed: 0 },
    examples: { allow_to_deny: [], deny_to_allow: [], result_changed: [] },
    not_replayable: { unparsable: 0, no_path: 0, unknown_path: 0, masked_result: 0, masked_input: 0, eval_error: 0, not_a_decision: 0 },
    not_replayable_examples: { unparsable: [], no_path: [], unknown_path: [], masked_result: [], masked_input: [], eval_error: [], not_a_decision: [] },
    masked_unread: 0,
    probed: 0,
  };
  let lineNo = 0;
  for (const raw of lines) {
    lineNo++;
    if (raw.trim() === '') continue;
    report.lines++;
    let event: unknown;
    const skip = (reason: SkipReason, detail: string, e?: JsonObject): void => {
      report.not_replayable[reason]++;
      if (report.not_replayable_examples[reason].length < max) {
        const id = e && typeof e.decision_id === 'string' ? e.decision_id : undefined;
        const path = e && typeof e.path === 'string' ? e.path : undefined;
        report.not_replayable_examples[reason].push({ line: lineNo, ...(id !== undefined ? { decision_id: id } : {}), ...(path !== undefined ? { path } : {}), detail });
      }
    };
    try {
      event = JSON.parse(raw);
    } catch {
      skip('unparsable', 'not JSON');
      continue;
    }
    if (!isObject(event)) {
      skip('unparsable', 'not a JSON object');
      continue;
    }
    if (isObject(event.bundles)) {
      for (const [name, b] of Object.entries(event.bundles)) {
        if (isObject(b) && typeof b.revision === 'string') {
          const k = `${name}@${b.revision}`;
          report.logged_revisions[k] = (report.logged_revisions[k] ?? 0) + 1;
        }
      }
    }
    // The functions write one event per decision (custom.type "decision") and, in shadow mode, a
    // second event for a disagreement that repeats the same input: replaying it would count twice.
    if (isObject(event.custom) && event.custom.type !== undefined && event.custom.type !== 'decision') {
      skip('not_a_decision', `custom.type ${JSON.stringify(event.custom.type)} repeats another decision`, event);
      continue;
    }
    if (event.path === undefined) {
      skip('no_path', event.query !== undefined ? 'an ad-hoc query, not a decision path' : 'no "path"', event);
      continue;
    }
    if (typeof event.path !== 'string') {
      skip('unparsable', '"path" is not a string', event);
      continue;
    }
    const path = normalisePath(event.path);
    if (!candidate.has(path)) {
      skip('unknown_path', `${path} is not an entrypoint of the candidate`, event);
      continue;
    }
    const masked = maskedInputPaths(event);
    if (masked.bad) {
      skip('unparsable', '"erased"/"masked" must be arrays of JSON pointers', event);
      continue;
    }
    if (masked.result) {
      skip('masked_result', 'the logged result was masked', event);
      continue;
    }
    const input = event.input;
    const before = event.result;
    let after: JsonValue | undefined;
    try {
      after = candidate.evaluate(path, input);
      const pointers = (): string => masked.input.map((p) => `/input${p.map((s) => `/${escapePointer(s)}`).join('')}`).join(', ');
      const reads = masked.input.length > 0 ? candidate.inputPaths?.(path) : undefined;
      if (reads) {
        const read = masked.input.filter((p) => mayRead(reads, p));
        if (read.length > 0) {
          skip('masked_input', `the candidate reads masked input (${read.map((p) => `/input${p.map((s) => `/${escapePointer(s)}`).join('')}`).join(', ')})`, event);
          continue;
        }
        report.masked_unread++;
      } else if (masked.input.length > 0) {
        let depends = false;
        const probeValues = [...PROBES];
        for (const p of masked.input) {
          const logged = getAt(input, p);
          if (logged !== undefined) probeValues.push(logged);
        }
        for (const probe of probeValues) {
          let probed: JsonValue | undefined = input;
          for (const p of masked.input) probed = setAt(probed, p, probe);
          if (!jsonEqual(candidate.evaluate(path, probed), after)) {
            depends = true;
            break;
          }
        }
        if (depends) {
          skip('masked_input', `the result depends on masked input (${pointers()})`, event);
          continue;
        }
        report.probed++;
      }
    } catch (e) {
      skip('eval_error', e instanceof Error ? e.message : String(e), event);
      continue;
    }
    report.replayed++;
    const kind = classifyChange(before, after);
    if (kind === undefined) {
      report.unchanged++;
      continue;
    }
    report.changed[kind]++;
    if (report.examples[kind].length < max) {
      report.examples[kind].push({
        line: lineNo,
        ...(typeof event.decision_id === 'string' ? { decision_id: event.decision_id } : {}),
        path,
        ...(before !== undefined ? { before } : {}),
        ...(after !== undefined ? { after } : {}),
        changed: differingPointers(before, after),
      });
    }
  }
  return report;
}

export function totalChanged(r: ReplayReport): number {
  return CHANGE_KINDS.reduce((n, k) => n + r.changed[k], 0);
}

export function totalNotReplayable(r: ReplayReport): number {
  return SKIP_REASONS.reduce((n, k) => n + r.not_replayable[k], 0);
}

const show = (v: JsonValue | undefined): string => (v === undefined ? 'undefined' : JSON.stringify(v));

export function formatReplayReport(r: ReplayReport, format: 'text' | 'json'): string {
  if (format === 'json') return JSON.stringify({ ...r, total_changed: totalChanged(r), total_not_replayable: totalNotReplayable(r) }, null, 2);
  const out: string[] = [];
  out.push(`replayed ${r.replayed} of ${r.lines} decisions${r.candidate_revision ? ` under revision ${JSON.stringify(r.candidate_revision)}` : ''}: ${r.unchanged} unchanged, ${totalChanged(r)} changed, ${totalNotReplayable(r)} not replayable`);
  const logged = Object.entries(r.logged_revisions);
  if (logged.length > 0) out.push(`  logged under: ${logged.map(([k, n]) => `${k} (${n})`).join(', ')}`);
  for (const k of CHANGE_KINDS) {
    out.push(`  ${k.replace(/_/g, ' ')}: ${r.changed[k]}`);
    for (const ex of r.examples[k]) {
      out.push(`    line ${ex.line}${ex.decision_id ? ` ${ex.decision_id}` : ''} ${ex.path}: ${show(ex.before)} -> ${show(ex.after)}${k === 'result_changed' ? ` (changed: ${ex.changed.map((p) => p || '(whole result)').join(', ')})` : ''}`);
    }
  }
  if (totalNotReplayable(r) > 0) {
    out.push(`not replayable: ${totalNotReplayable(r)}`);
    for (const k of SKIP_REASONS) {
      if (r.not_replayable[k] === 0) continue;
      out.push(`  ${k}: ${r.not_replayable[k]}`);
      for (const ex of r.not_replayable_examples[k]) out.push(`    line ${ex.line}${ex.decision_id ? ` ${ex.decision_id}` : ''}${ex.path ? ` ${ex.path}` : ''}: ${ex.detail}`);
    }
  }
  if (r.masked_unread > 0) out.push(`replayed despite masked input: ${r.masked_unread} (the candidate cannot read the masked fields)`);
  if (r.probed > 0) out.push(`replayed despite masked input: ${r.probed} (the result did not depend on the masked fields for any probe value)`);
  return out.join('\n');
}

const isPrefix = (a: readonly string[], b: readonly string[]): boolean => a.length <= b.length && a.every((seg, i) => seg === b[i]);

/**
 * Whether a field at `pointer` (segments below `input`) may influence results: some path the
 * policy reads lies at or above it (the whole subtree is read) or below it (its presence or
 * part of it is read). Paths are those that keep every result when the input is pruned to them.
 */
export function mayRead(paths: InputPaths, pointer: readonly string[]): boolean {
  return paths.some((r) => isPrefix(r, pointer) || isPrefix(pointer, r));
}

/** A candidate from bundle files: its policy.wasm, entrypoints from the module, data from data.json. */
export function candidateFromBundleFiles(files: ReadonlyMap<string, Uint8Array>): ReplayCandidate {
  const bundle = parseBundleFiles(files);
  const wasmPath = bundle.manifest.wasm?.[0]?.module ?? '/policy.wasm';
  const wasm = files.get(wasmPath);
  if (!wasm) throw new UsageError(`the candidate bundle has no ${wasmPath} (build it with -t wasm)`);
  if (new Set((bundle.manifest.wasm ?? []).map((w) => w.module)).size > 1) throw new UsageError('candidate bundles with several Wasm modules are not supported');
  const loaded: LoadedPolicy = loadPolicyWasmSync(wasm, { initialMemoryPages: importedMemoryMinPages(wasm) });
  const paths = readInputPathsSection(wasm);
  const entrypoints = new Set(Object.keys((loaded.entrypoints ?? {}) as Record<string, number>));
  loaded.setData(bundle.data);
  return {
    revision: bundle.manifest.revision,
    ...(paths ? { inputPaths: (path: string) => paths[path] } : {}),
    has: (path) => entrypoints.has(path),
    evaluate: (path, input) => {
      const rs = evaluate(loaded, path, input) as { result?: JsonValue }[];
      return rs.length > 0 ? rs[0].result : undefined;
    },
  };
}

/** The `replay` command: returns the exit code. */
export function runReplayCommand(c: ReplayCommand, io: { out: (t: string) => void; err: (t: string) => void }): number {
  const files = readBundleFiles(readFileSync(c.bundle));
  verifyBundleInput(c.bundle, files, c.verification);
  const candidate = candidateFromBundleFiles(files);
  // Line numbers run on across the files, in order (a file's final newline ends its last line).
  const lines = c.logs.flatMap((p) => readFileSync(p, 'utf8').replace(/\r?\n$/, '').split(/\r?\n/));
  const report = replayDecisions(lines, candidate, { maxExamples: c.maxExamples });
  io.out(formatReplayReport(report, c.format));
  return totalChanged(report) > 0 && !c.allowChanges ? 1 : 0;
}
