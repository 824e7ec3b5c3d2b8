/**
 * The whole local stack in one process: Okta stand-in, claims backend, the
 * policy bundle service and the local gateway running the real handlers.
 * Used by `npm start` (local/start.ts), the e2e tests (through start.ts) and
 * the gateway bench.
 */
import * as path from 'node:path';
import { startClaimsBackend, type ClaimsBackend } from './backend/server';
import { LocalConfigError } from './errors';
import * as fs from 'node:fs';
import { applyFunctionEnvironment, functionEnvironment, loadAuthorizerHandler, loadClaimsProxyHandler } from './functions-env';
import { startPolicyBundles, type LocalPolicyBundles } from './policy-delivery';
import { corsFunctionEnvironment, resolveCors } from '../cdk/construct/cors';
import { API_KEY_HEADER } from '../cdk/construct/identity-sources';
import { startPortalServer, type PortalServer } from '../portal/serve';
import { startLocalGateway, type LocalGateway } from './gateway/server';
import { startOktaStandIn, type OktaStandIn } from './okta/server';
import { SPA_CLIENT_ID, SPA_SCOPES } from './okta/spa-client';
import { ensurePolicyBundle, POLICY_DIR, REPO_ROOT } from './policy-bundle';
import { createLocalIntrospectionCredentials } from './introspection-credentials';
import { createGatewayMtls, type GatewayMtlsFiles } from './mtls/gateway-pki';
import { createBackendMtls } from './mtls/backend-pki';

export interface LocalStackConfig {
  readonly oktaPort: number;
  readonly backendPort: number;
  readonly gatewayPort: number;
  /** The member portal's own origin (http://127.0.0.1:<port>), the one origin the gateway's CORS allows. */
  readonly portalPort: number;
  readonly authorizerCacheTtlSeconds: number;
  readonly keysDir: string | undefined;
  readonly backendSlowMs: number;
  readonly stage: string;
  /** Handler modules (default: the real ones in functions/). */
  readonly authorizerModule: string | undefined;
  readonly claimsProxyModule: string | undefined;
  /** Skip the policy build (fixture handlers that need no policy). */
  readonly skipPolicyBuild: boolean;
  /** API keys the gateway requires in `x-api-key` (empty = no API key, the CDK default). */
  readonly apiKeys: readonly string[];
  /** Rego sources to serve (default policies/); the bundle goes to <dir>/build/policy.wasm. */
  readonly policyDir: string;
  readonly quiet: boolean;
  /** Log the (redacted) Lambda events and the authorizer result of every request. */
  readonly debugEvents: boolean;
  /** Rebuild, sign and publish the bundle to the bundle service when policy files change. */
  readonly watchPolicies: boolean;
  /** Gateway on HTTPS with mutual TLS (certificates made at start-up; `npm start -- --mtls` or LOCAL_MTLS=1). */
  readonly mtls: boolean;
  /** Claims proxy → backend over mutual TLS (LOCAL_BACKEND_MTLS=1). */
  readonly backendMtls: boolean;
  /**
   * Serve the policy from the local bundle service (s3rver) that the functions
   * poll, as deployed functions poll the policy bucket. Off: the functions
   * run the packaged policies/build/policy.wasm only (no hot reload).
   */
  readonly bundleService: boolean;
  /** Port of the bundle service on 127.0.0.1 (BUNDLE_PORT). */
  readonly bundlePort: number;
  /** PEM private key that signs the local bundles (LOCAL_BUNDLE_SIGNING_KEY); default: a key pair generated per run. */
  readonly signingKeyFile: string | undefined;
  /** Rego sources of a candidate policy published as the shadow bundle (LOCAL_SHADOW_POLICY_DIR); default: no shadow. */
  readonly shadowPolicyDir: string | undefined;
}

export interface LocalStack {
  readonly okta: OktaStandIn;
  readonly backend: ClaimsBackend;
  readonly gateway: LocalGateway;
  readonly portal: PortalServer;
  /** The bundle service and what it serves (undefined when it is off). */
  readonly bundles: LocalPolicyBundles | undefined;
  readonly functionEnv: Record<string, string>;
  /** The CA and client certificate files when the gateway runs mutual TLS. */
  readonly mtls: GatewayMtlsFiles | undefined;
  close(): Promise<void>;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) > 65535) throw new LocalConfigError(`${name} must be a port number 0-65535 (0 = ephemeral), got "${raw}"`);
  return Number(raw);
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) > max) throw new LocalConfigError(`${name} must be a whole number 0-${max}, got "${raw}"`);
  return Number(raw);
}

export function stackConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LocalStackConfig {
  const keys = env.LOCAL_KEYS_DIR;
  return {
    oktaPort: port(env, 'OKTA_PORT', 9000),
    backendPort: port(env, 'BACKEND_PORT', 8081),
    gatewayPort: port(env, 'GATEWAY_PORT', 3000),
    portalPort: port(env, 'PORTAL_PORT', 8080),
    authorizerCacheTtlSeconds: wholeNumber(env, 'AUTHORIZER_CACHE_TTL', 300, 3600),
    keysDir: keys === 'memory' ? undefined : path.resolve(keys ?? path.join(REPO_ROOT, 'local', '.keys')),
    backendSlowMs: wholeNumber(env, 'BACKEND_SLOW_MS', 10_000, 600_000),
    stage: env.GATEWAY_STAGE ?? 'local',
    authorizerModule: env.LOCAL_AUTHORIZER_MODULE ? path.resolve(env.LOCAL_AUTHORIZER_MODULE) : undefined,
    claimsProxyModule: env.LOCAL_CLAIMS_PROXY_MODULE ? path.resolve(env.LOCAL_CLAIMS_PROXY_MODULE) : undefined,
    skipPolicyBuild: env.LOCAL_SKIP_POLICY_BUILD === '1',
    policyDir: path.resolve(env.LOCAL_POLICY_DIR ?? POLICY_DIR),
    apiKeys: (env.LOCAL_API_KEYS ?? '').split(',').map((k) => k.trim()).filter((k) => k !== ''),
    quiet: env.LOCAL_QUIET === '1',
    watchPolicies: env.LOCAL_WATCH !== '0',
    debugEvents: env.LOCAL_DEBUG_EVENTS === '1',
    mtls: env.LOCAL_MTLS === '1',
    backendMtls: env.LOCAL_BACKEND_MTLS === '1',
    bundleService: env.LOCAL_BUNDLE_SERVICE !== '0',
    bundlePort: port(env, 'BUNDLE_PORT', 4569),
    signingKeyFile: env.LOCAL_BUNDLE_SIGNING_KEY ? path.resolve(env.LOCAL_BUNDLE_SIGNING_KEY) : undefined,
    shadowPolicyDir: env.LOCAL_SHADOW_POLICY_DIR ? path.resolve(env.LOCAL_SHADOW_POLICY_DIR) : undefined,
  };
}

function explainListenError(error: unknown, what: string, envName: string, port: number): never {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    throw new LocalConfigError(`${what}: port ${port} on 127.0.0.1 is in use; stop the other process or set ${envName} (0 = any free port)`);
  }
  throw error;
}

export async function startLocalStack(config: LocalStackConfig, say: (m: string) => void = () => undefined): Promise<LocalStack> {
  const wasm = path.join(config.policyDir, 'build', 'policy.wasm');
  if (!config.skipPolicyBuild) ensurePolicyBundle({ dir: config.policyDir, wasm, log: say });
  const log = config.quiet ? () => undefined : (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
  // The portal listens first: the Okta SPA client and the gateway's CORS need its origin.
  const portal = await startPortalServer({ port: config.portalPort }).catch((e: unknown) => explainListenError(e, 'member portal', 'PORTAL_PORT', config.portalPort));
  const cors = resolveCors({ allowOrigins: [portal.origin] }, config.apiKeys.length > 0 ? API_KEY_HEADER : undefined);
  const introspection = createLocalIntrospectionCredentials();
  const mtls = config.mtls ? await createGatewayMtls() : undefined;
  const backendMtls = config.backendMtls ? await createBackendMtls() : undefined;
  const cleanUp = (): void => {
    introspection.remove();
    mtls?.remove();
    backendMtls?.remove();
  };
  const okta = await startOktaStandIn({
    port: config.oktaPort, keysDir: config.keysDir, spaRedirectUris: [`${portal.origin}/`],
    clientPublicKeys: { [introspection.clientId]: introspection.publicKey },
  })
    .catch(async (e: unknown) => {
      cleanUp();
      await portal.close();
      return explainListenError(e, 'Okta stand-in', 'OKTA_PORT', config.oktaPort);
    });
  let backend: ClaimsBackend | undefined;
  let bundles: LocalPolicyBundles | undefined;
  try {
    backend = await startClaimsBackend({ port: config.backendPort, slowMs: config.backendSlowMs, log, tls: backendMtls?.serverTls }).catch((e: unknown) => explainListenError(e, 'claims backend', 'BACKEND_PORT', config.backendPort));
    if (config.bundleService && !config.skipPolicyBuild) {
      bundles = await startPolicyBundles({
        port: config.bundlePort,
        policyDir: config.policyDir,
        signingKeyFile: config.signingKeyFile,
        shadowPolicyDir: config.shadowPolicyDir,
        say,
      }).catch((e: unknown) => explainListenError(e, 'policy bundle service', 'BUNDLE_PORT', config.bundlePort));
    }
    if (config.quiet) process.env.LOG_LEVEL ??= 'silent';
    const functionEnv = applyFunctionEnvironment({
      ...functionEnvironment({ issuer: okta.issuer, audience: okta.audience, jwksUri: okta.jwksUri, backendUrl: backend.url }),
      // The packaged policy: what the functions run without a bundle service, and the fallback when allowed.
      POLICY_WASM_PATH: wasm,
      POLICY_DATA_PATH: path.join(config.policyDir, 'data.json'),
      ...(bundles?.functionEnv ?? {}),
      ...corsFunctionEnvironment(cors),
      ...introspection.env,
      ...backendMtls?.env,
    });
    const gateway = await startLocalGateway({
      port: config.gatewayPort,
      authorizer: loadAuthorizerHandler(config.authorizerModule),
      integration: loadClaimsProxyHandler(config.claimsProxyModule),
      api: { stage: config.stage },
      authorizerCacheTtlSeconds: config.authorizerCacheTtlSeconds,
      apiKeys: config.apiKeys,
      debugEvents: config.debugEvents,
      log,
      cors,
      tls: mtls?.tls,
    }).catch((e: unknown) => explainListenError(e, 'local gateway', 'GATEWAY_PORT', config.gatewayPort));
    portal.setConfig({ apiUrl: gateway.url, issuer: okta.issuer, clientId: SPA_CLIENT_ID, scopes: SPA_SCOPES });
    const b = backend;
    const served = bundles;
    const watcher = config.watchPolicies && served !== undefined
      ? watchPolicies(config, wasm, say, served, () => gateway.cache.flush())
      : undefined;
    return {
      okta, backend: b, gateway, portal, bundles: served, functionEnv, mtls: mtls?.files,
      close: async () => {
        watcher?.close();
        await gateway.close();
        await served?.close();
        await b.close();
        await okta.close();
        await portal.close();
        cleanUp();
      },
    };
  } catch (error) {
    await bundles?.close();
    await backend?.close();
    await okta.close();
    await portal.close();
    cleanUp();
    throw error;
  }
}

/**
 * Policy changes without a restart, the way a deployment gets them: when a
 * `.rego`, `manifest.json` or `data.json` in the policy directory changes,
 * rebuild the packaged policy.wasm, then build, sign and upload the bundle
 * to the bundle service. The functions pick it up at their next poll (an
 * invocation after POLICY_BUNDLE_MIN..MAX_DELAY_SECONDS); the authorizer cache
 * is flushed for a few polling intervals after the publish, as an operator
 * runs `aws apigateway flush-stage-authorizers-cache` after a deployed
 * publish. A compile error is reported and nothing is published: the
 * previous bundle keeps serving.
 */
function watchPolicies(
  config: LocalStackConfig, wasm: string, say: (m: string) => void, bundles: LocalPolicyBundles, flush: () => void,
): { close(): void } | undefined {
  let timer: NodeJS.Timeout | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let publishing = Promise.resolve();
  const republish = async (): Promise<void> => {
    try {
      ensurePolicyBundle({ dir: config.policyDir, wasm, log: say });
      const published = await bundles.publish();
      say(`policy published: revision ${published.revision}, etag ${published.etag} (the functions poll it within ${bundles.maxDelaySeconds} s)`);
    } catch (error) {
      say(`policy NOT published (the previous policy keeps serving): ${(error as Error).message}`);
      return;
    }
    // Functions poll when invoked, and a cached decision does not invoke the authorizer: flush
    // once a second for a while (a failed poll is retried a polling interval later), so the
    // first uncached request starts the poll and the decisions cached before the functions
    // had the new bundle do not outlive it.
    if (flushTimer) clearInterval(flushTimer);
    let flushes = Math.max(30, bundles.maxDelaySeconds * 5);
    flushTimer = setInterval(() => {
      flush();
      if (--flushes <= 0 && flushTimer) {
        clearInterval(flushTimer);
        say('authorizer cache flushed after the publish');
      }
    }, 1000);
    flushTimer.unref();
  };
  try {
    const watcher = fs.watch(config.policyDir, (_event, name) => {
      const file = typeof name === 'string' ? name : '';
      if (!file.endsWith('.rego') && file !== 'manifest.json' && file !== 'data.json') return;
      if (timer) clearTimeout(timer);
      // One publish at a time, in order.
      timer = setTimeout(() => { publishing = publishing.then(republish); }, 250);
    });
    watcher.on('error', () => undefined);
    return {
      close: () => {
        if (timer) clearTimeout(timer);
        if (flushTimer) clearInterval(flushTimer);
        watcher.close();
      },
    };
  } catch {
    say('policy hot reload unavailable (fs.watch failed); restart npm start after policy changes');
    return undefined;
  }
}
