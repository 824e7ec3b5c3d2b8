#!/usr/bin/env node
// Entry point of the CDK CLI (cdk.json "app"):
//   npx cdk deploy -c oktaIssuer=... -c oktaAudience=... -c backendUrl=...
// The construct compiles policies/ (or -c policyDir=...) at synth, unless
// -c policyWasmFile=... points at a prebuilt policy, so a deploy never ships a
// stale policy.
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app';
import { CdkAppError } from './errors';

try {
  // No auto-synth: under the CDK CLI an App synthesises itself when the process
  // exits, which after a prop error would write the half-built stack (a broken
  // cdk.out and a stray template-validation warning). Synth only on success.
  const app = new App({ autoSynth: false });
  buildApp(app);
  app.synth();
} catch (err) {
  if (!(err instanceof CdkAppError)) throw err;
  // Configuration problems: one clear line, no stack trace.
  process.stderr.write(`${err.name}: ${err.message}\n`);
  process.exitCode = 1;
}
