#!/usr/bin/env node
// Entry point of the CDK CLI (cdk.json "app"):
//   npx cdk deploy -c oktaIssuer=... -c oktaAudience=... -c backendUrl=...
// Builds policies/build/policy.wasm first (unless -c policyWasmFile=... points
// at a prebuilt bundle, or -c skipPolicyBuild=true), so a deploy never ships a
// stale policy.
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app';
import { configFromContext } from './context-config';
import { CdkAppError } from './errors';
import { buildPolicy } from './policy-build';

try {
  const app = new App();
  const config = configFromContext((key) => app.node.tryGetContext(key));
  const skip = String(app.node.tryGetContext('skipPolicyBuild') ?? 'false') === 'true';
  if (config.defaultPolicyLocation && !skip) buildPolicy();
  buildApp(app);
  app.synth();
} catch (err) {
  if (!(err instanceof CdkAppError)) throw err;
  // Configuration problems: one clear line, no stack trace.
  process.stderr.write(`${err.name}: ${err.message}\n`);
  process.exitCode = 1;
}
