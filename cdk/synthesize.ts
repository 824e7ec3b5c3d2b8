import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app';
import { AUTHORIZER_BUNDLE_BUDGET_BYTES, FunctionBundleSize, measureFunctionBundles } from './bundle-sizes';
import { configFromContext, EXAMPLE_CONTEXT } from './context-config';
import { REPO_ROOT } from './construct/paths';
import type { HandlerEntries } from './construct/props';
import { buildPolicy } from './policy-build';

export interface SynthesizeOptions {
  /** Context values, as given with `-c key=value`. */
  readonly context: Readonly<Record<string, string>>;
  /** Cloud assembly directory. @default cdk.out at the repository root */
  readonly outdir?: string;
  /** Build policies/build/policy.wasm first (only when no policyWasmFile is given). @default true */
  readonly buildPolicy?: boolean;
  /** Fill missing oktaIssuer/oktaAudience/backendUrl with example values. @default true */
  readonly allowExampleTenant?: boolean;
  /** Handler entry files. @default functions/authorizer/handler.ts, functions/claims-proxy/handler.ts */
  readonly handlerEntries?: HandlerEntries;
}

export interface SynthesizeResult {
  readonly stackName: string;
  readonly assemblyDir: string;
  readonly templateFile: string;
  /** Keys filled from EXAMPLE_CONTEXT (empty when a real tenant was given). */
  readonly exampleKeys: readonly string[];
  readonly policyBuilt: boolean;
  readonly bundles: readonly FunctionBundleSize[];
  readonly authorizerBundle: FunctionBundleSize;
  readonly claimsProxyBundle: FunctionBundleSize;
  readonly authorizerWithinBudget: boolean;
}

/**
 * Build the policy, synthesise the app with cdk-nag (throws on any finding)
 * and measure the function bundles. Offline: no AWS credentials, no network.
 */
export function synthesize(options: SynthesizeOptions): SynthesizeResult {
  const exampleKeys: string[] = [];
  const context: Record<string, unknown> = { ...options.context };
  if (options.allowExampleTenant ?? true) {
    for (const [key, value] of Object.entries(EXAMPLE_CONTEXT)) {
      if (context[key] === undefined || context[key] === '') {
        context[key] = value;
        exampleKeys.push(key);
      }
    }
  }
  const config = configFromContext((key) => context[key]);
  let policyBuilt = false;
  if (config.defaultPolicyLocation && (options.buildPolicy ?? true)) {
    buildPolicy();
    policyBuilt = true;
  }

  const outdir = path.resolve(options.outdir ?? path.join(REPO_ROOT, 'cdk.out'));
  const app = new App({ outdir, context: { ...context, 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true } });
  const stack = buildApp(app, options.handlerEntries ? { handlerEntries: options.handlerEntries } : {});
  const assembly = app.synth();
  const artifact = assembly.getStackArtifact(stack.artifactId);
  const bundles = measureFunctionBundles(assembly.directory, artifact.template);
  const find = (part: string): FunctionBundleSize => {
    const found = bundles.find((b) => b.constructPath.includes(`/${part}/Function`));
    if (!found) throw new Error(`no ${part} function in the synthesised template`);
    return found;
  };
  const authorizerBundle = find('Authorizer');
  return {
    stackName: stack.stackName,
    assemblyDir: assembly.directory,
    templateFile: path.join(assembly.directory, artifact.templateFile),
    exampleKeys,
    policyBuilt,
    bundles,
    authorizerBundle,
    claimsProxyBundle: find('ClaimsProxy'),
    authorizerWithinBudget: authorizerBundle.totalBytes <= AUTHORIZER_BUNDLE_BUDGET_BYTES,
  };
}
