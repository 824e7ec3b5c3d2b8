import * as path from 'node:path';

/** This repository's root (this file is cdk/repo-paths.ts); used by the repository's own CDK app only, never by the construct. */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** The Acme policies the repository's app deploys by default (compiled at synth). */
export const REPO_POLICY_DIR = path.join(REPO_ROOT, 'policies');
