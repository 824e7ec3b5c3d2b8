/** Finding OPA conformance case files for the planner's dev scripts (diff, run-compliance, ref-eval). */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { COMPLIANCE_DIR } from '../compliance-dir';

export const DEFAULT_CASE_DIR = COMPLIANCE_DIR;

/** Every `.json` file under `path` (or `path` itself if it is a file), each directory in sorted order. */
export function caseFiles(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path).sort().flatMap((e) => caseFiles(join(path, e))).filter((p) => p.endsWith('.json'));
}

/** `[dir] [--filter regex] [flags]`: the case directory (default DEFAULT_CASE_DIR) and the note filter. */
export function caseDirAndFilter(argv: string[]): { dir: string; filter: RegExp | undefined } {
  const fi = argv.indexOf('--filter');
  const dir = argv.find((a, i) => !a.startsWith('--') && i !== fi + 1) ?? DEFAULT_CASE_DIR;
  const filter = fi >= 0 ? new RegExp(argv[fi + 1]!) : undefined;
  return { dir, filter };
}
