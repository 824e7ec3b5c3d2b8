import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app';
import { AUTHORIZER_BUNDLE_BUDGET_BYTES, FunctionBundleSize, measureFunctionBundles } from './bundle-sizes';
import { EXAMPLE_CONTEXT } from './context-config';
import type { HandlerBundles } from './construct/handler-bundles';
import { REPO_ROOT } from './repo-paths';

export interface SynthesizeOptions {
  /** Context values, as given with `-c key=value`. */
  readonly context: Readonly<Record<string, string>>;
  /** Cloud assembly directory. @default cdk.out at the repository root */
  readonly outdir?: string;
  /** Fill missing oktaIssuer/oktaAudience/backendUrl with example values. @default true */
  readonly allowExampleTenant?: boolean;
  /** Prebuilt handler bundles. @default bundled from functions/ at synth */
  readonly handlerBundles?: HandlerBundles;
}

export interface SynthesizeResult {
  readonly stackName: string;
  readonly assemblyDir: string;
  readonly templateFile: string;
  /** Keys filled from EXAMPLE_CONTEXT (empty when a real tenant was given). */
  readonly exampleKeys: readonly string[];
  readonly bundles: readonly FunctionBundleSize[];
  readonly authorizerBundle: FunctionBundleSize;
  readonly claimsProxyBundle: FunctionBundleSize;
  readonly authorizerWithinBudget: boolean;
}

/**
 * Synthesise the app (the construct compiles the policy) with cdk-nag (throws on any finding)
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
  const outdir = path.resolve(options.outdir ?? path.join(REPO_ROOT, 'cdk.out'));
  const outdirExisted = fs.existsSync(outdir);
  const app = new App({ outdir, context: { ...context, 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true } });
  let stack: ReturnType<typeof buildApp>;
  try {
    stack = buildApp(app, options.handlerBundles ? { handlerBundles: options.handlerBundles } : {});
  } catch (err) {
    // The App creates its outdir up front: leave no empty assembly behind a failed synth.
    if (!outdirExisted) fs.rmSync(outdir, { recursive: true, force: true });
    throw err;
  }
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
    bundles,
    authorizerBundle,
    claimsProxyBundle: find('ClaimsProxy'),
    authorizerWithinBudget: authorizerBundle.totalBytes <= AUTHORIZER_BUNDLE_BUDGET_BYTES,
  };
}
