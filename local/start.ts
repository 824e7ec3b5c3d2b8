/**
 * `npm start`: the Okta stand-in, the claims backend and the local API
 * Gateway (running the real Lambda handlers) in one process. Ports come from
 * OKTA_PORT / BACKEND_PORT / GATEWAY_PORT / PORTAL_PORT (0 = ephemeral); the line starting
 * with `LOCAL_STACK_READY ` carries the chosen URLs as JSON for scripts.
 */
import { LocalStackError, UsageError } from './errors';
import { POLICY_DIR } from './policy-bundle';
import { startLocalStack, stackConfigFromEnv } from './stack';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--mtls');
  if (unknown.length > 0) throw new UsageError(`unknown argument ${unknown[0]} (npm start [-- --mtls])`);
  const config = { ...stackConfigFromEnv(), ...(args.includes('--mtls') ? { mtls: true } : {}) };
  const say = (m: string): void => {
    process.stderr.write(`[local] ${m}\n`);
  };
  const stack = await startLocalStack(config, say);
  const ready = {
    issuer: stack.okta.issuer,
    okta: `http://127.0.0.1:${stack.okta.port}`,
    backend: stack.backend.url,
    gateway: stack.gateway.url,
    portal: stack.portal.origin,
    authorizerCacheTtlSeconds: config.authorizerCacheTtlSeconds,
    ...(stack.mtls ? { mtls: stack.mtls } : {}),
    ...(stack.bundles !== undefined
      ? {
          bundleService: {
            endpoint: stack.bundles.service.endpoint,
            bucket: stack.bundles.service.bucket,
            key: stack.bundles.key,
            signingKeyFile: stack.bundles.signingKeyFile,
            revision: stack.bundles.initial.revision,
          },
        }
      : {}),
  };
  const tokenPrefix = config.oktaPort === 9000 ? '' : `OKTA_PORT=${stack.okta.port} `;
  process.stderr.write(
    [
      '',
      `  Okta stand-in   ${stack.okta.issuer}   (JWKS ${stack.okta.jwksUri})`,
      `  claims backend  ${stack.backend.url}`,
      `  local gateway   ${stack.gateway.url}   (stage "${stack.gateway.api.stage}", authorizer cache ${config.authorizerCacheTtlSeconds} s)`,
      `  member portal   ${stack.portal.origin}/   (sign in as alice … dan, password dev-<name>, e.g. dev-alice)`,
      ...(stack.bundles !== undefined
        ? [
            `  policy bundles  ${stack.bundles.url} on ${stack.bundles.service.endpoint}   (the functions poll it every ${stack.bundles.maxDelaySeconds} s at most; edits in ${config.policyDir === POLICY_DIR ? 'policies/' : config.policyDir} are published)`,
            `    publish by hand: npm run policy:publish -- --bucket ${stack.bundles.service.bucket} --endpoint ${stack.bundles.service.endpoint} --signing-key ${stack.bundles.signingKeyFile}`,
          ]
        : ['  policy          packaged policies/build/policy.wasm (LOCAL_BUNDLE_SERVICE=0: no bundle service, no hot reload)']),
      '',
      '  Try:',
      `    TOKEN=$(${tokenPrefix}npm run -s token -- alice) && curl ${stack.mtls ? `--cacert ${stack.mtls.caFile} --cert ${stack.mtls.member.certFile} --key ${stack.mtls.member.keyFile} ` : ''}-H "Authorization: Bearer $TOKEN" ${stack.gateway.url}/v1/claims/enrollee/1001`,
      ...(stack.mtls ? [`  mutual TLS: the gateway requires a client certificate from ${stack.mtls.caFile} (partner: ${stack.mtls.partner.certFile}); the portal cannot call it`] : []),
      '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  process.stdout.write(`LOCAL_STACK_READY ${JSON.stringify(ready)}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: shutting down`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // Like API Gateway's FlushStageAuthorizersCache: `kill -USR2 <pid>`.
  process.on('SIGUSR2', () => {
    stack.gateway.cache.flush();
    say('authorizer cache flushed');
  });
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const message = error instanceof LocalStackError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`[local] cannot start: ${message}\n`);
  process.exit(1);
});
