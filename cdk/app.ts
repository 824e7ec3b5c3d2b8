#!/usr/bin/env node
// Entry point of the CDK CLI (cdk.json "app"): `npx cdk deploy -c oktaIssuer=... -c oktaAudience=... -c backendUrl=...`.
// Deploys need the policy built first (`npm run policy:build`, or `npm run synth` which builds it).
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app';

const app = new App();
buildApp(app);
app.synth();
