import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFromContext } from './context-config';
import type { OpaAuthorizedApiProps } from './construct/props';
import { OpaApiStack } from './stack';

/**
 * Add the stack configured from the app's context and the cdk-nag
 * AwsSolutions pack (a policy-validation plugin: any unacknowledged finding,
 * error or warning, makes `app.synth()` fail).
 */
export function buildApp(app: App, overrides: Partial<OpaAuthorizedApiProps> = {}): OpaApiStack {
  const config = configFromContext((key) => app.node.tryGetContext(key));
  const stack = new OpaApiStack(app, config.stackName, {
    stackName: config.stackName,
    description: 'API Gateway REST API protected by an Okta JWT + OPA (WebAssembly) Lambda authorizer',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    api: { ...config.props, ...overrides },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
