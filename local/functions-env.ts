/**
 * The functions' environment variables (gateway-contract.md) for the local
 * stack, and loading the REAL handler modules after they are set (both read
 * their configuration at module load, like a Lambda cold start).
 *
 * A variable already set in the environment wins, so `OKTA_ISSUER=https://
 * dev-123.okta.com/oauth2/default npm start` points the local gateway at a
 * real Okta org, and tests can break the JWKS URI or the backend on purpose.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AuthorizerHandler, ProxyHandler } from './gateway/server';
import { HandlerLoadError } from './errors';
import { POLICY_DATA, POLICY_WASM, REPO_ROOT } from './policy-bundle';

export const AUTHORIZER_MODULE = path.join(REPO_ROOT, 'functions', 'authorizer', 'handler.ts');
export const CLAIMS_PROXY_MODULE = path.join(REPO_ROOT, 'functions', 'claims-proxy', 'handler.ts');

export interface LocalEndpoints {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string;
  readonly backendUrl: string;
}

interface PolicyManifest { request_entrypoint?: unknown; response_entrypoint?: unknown }

/** Entrypoints named in policies/manifest.json (the functions' defaults apply when absent). */
export function manifestEntrypoints(manifestFile = path.join(REPO_ROOT, 'policies', 'manifest.json')): Record<string, string> {
  let manifest: PolicyManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as PolicyManifest;
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  if (typeof manifest.request_entrypoint === 'string') out.POLICY_REQUEST_ENTRYPOINT = manifest.request_entrypoint;
  if (typeof manifest.response_entrypoint === 'string') out.POLICY_RESPONSE_ENTRYPOINT = manifest.response_entrypoint;
  return out;
}

/** Values the local stack gives the functions unless the environment already has them. */
export function functionEnvironment(endpoints: LocalEndpoints): Record<string, string> {
  return {
    ...manifestEntrypoints(),
    OKTA_ISSUER: endpoints.issuer,
    OKTA_AUDIENCE: endpoints.audience,
    OKTA_JWKS_URI: endpoints.jwksUri,
    BACKEND_URL: endpoints.backendUrl,
    POLICY_WASM_PATH: POLICY_WASM,
    POLICY_DATA_PATH: POLICY_DATA,
    LOG_LEVEL: 'info',
  };
}

export function applyFunctionEnvironment(env: Record<string, string>, target: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const applied: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (target[k] === undefined || target[k] === '') target[k] = v;
    applied[k] = target[k] ?? v;
  }
  return applied;
}

interface HandlerModule<H> { handler?: H }

function loadHandler<H>(file: string): H {
  let mod: HandlerModule<H>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file) as HandlerModule<H>;
  } catch (error) {
    throw new HandlerLoadError(`cannot load ${path.relative(REPO_ROOT, file)}: ${(error as Error).message}`, { cause: error });
  }
  if (typeof mod.handler !== 'function') throw new HandlerLoadError(`${path.relative(REPO_ROOT, file)} does not export a handler function`);
  return mod.handler;
}

export function loadAuthorizerHandler(file = AUTHORIZER_MODULE): AuthorizerHandler {
  return loadHandler<AuthorizerHandler>(file);
}

export function loadClaimsProxyHandler(file = CLAIMS_PROXY_MODULE): ProxyHandler {
  return loadHandler<ProxyHandler>(file);
}
