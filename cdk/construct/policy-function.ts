import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { PolicyBundleLocation } from './props';
import { stageFunctionCode } from './policy-source';

export interface PolicyFunctionProps {
  /** Directory with the bundled handler (`index.js` exporting `handler`). */
  readonly handlerBundle: string;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly architecture: Architecture;
  readonly logRetention: RetentionDays;
  readonly logFormat: LoggingFormat;
  readonly removalPolicy: RemovalPolicy;
  readonly tracingEnabled: boolean;
  readonly policyBundle: PolicyBundleLocation;
}

/**
 * A Node.js 22 Lambda running a prebuilt handler bundle with the policy
 * bundle next to it (`policy.wasm`, `data.json`), with its own least-privilege
 * role (write to its own log group, plus X-Ray when tracing) and its own log
 * group with retention.
 */
export class PolicyFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PolicyFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    // Explicit role instead of AWSLambdaBasicExecutionRole (which may write to any log group).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: write own logs${props.tracingEnabled ? ' and X-Ray traces' : ''}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new LambdaFunction(this, 'Function', {
      code: Code.fromAsset(stageFunctionCode(props.handlerBundle, props.policyBundle)),
      handler: 'index.handler',
      description: props.description,
      // Node.js 22 (LTS) matches the handlers' esbuild target and the versions
      // the project's toolchain is tested on.
      runtime: Runtime.NODEJS_22_X,
      architecture: props.architecture,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: props.logFormat,
      tracing: props.tracingEnabled ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: props.environment,
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x on purpose: the bundles are built with esbuild target node22 and the toolchain ' +
        '(OPA Wasm SDK, aws-jwt-verify) is tested on Node 20/22; moving to nodejs24.x is a reviewed one-line change.',
    });
    if (props.tracingEnabled) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only xray:PutTraceSegments and xray:PutTelemetryRecords use Resource "*" (added by tracing: ACTIVE); ' +
          'X-Ray supports no resource-level permissions for these actions. Log permissions are scoped to the function\'s own log group.',
      });
    }
  }
}
