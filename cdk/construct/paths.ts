import * as path from 'node:path';

/** Repository root (this file is cdk/construct/paths.ts). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export const DEFAULT_POLICY_WASM = path.join(REPO_ROOT, 'policies', 'build', 'policy.wasm');
export const DEFAULT_POLICY_DATA = path.join(REPO_ROOT, 'policies', 'data.json');
export const DEFAULT_AUTHORIZER_ENTRY = path.join(REPO_ROOT, 'functions', 'authorizer', 'handler.ts');
export const DEFAULT_CLAIMS_PROXY_ENTRY = path.join(REPO_ROOT, 'functions', 'claims-proxy', 'handler.ts');
export const LOCK_FILE = path.join(REPO_ROOT, 'package-lock.json');
