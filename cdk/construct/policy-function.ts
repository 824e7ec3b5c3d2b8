import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LOCK_FILE, REPO_ROOT } from './paths';
import type { PolicyBundleLocation } from './props';

/** The OPA SDK's CommonJS entry, resolved from rego-wasm (whose dependency it is) the way its code resolves it. */
const OPA_SDK_CJS_ENTRY = require.resolve('@open-policy-agent/opa-wasm', { paths: [path.dirname(require.resolve('rego-wasm/package.json'))] });

/** File names the handlers expect next to their bundled `index.js` (the contract's defaults). */
export const BUNDLED_WASM_NAME = 'policy.wasm';
export const BUNDLED_DATA_NAME = 'data.json';

export interface PolicyFunctionProps {
  readonly entry: string;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly logRetention: RetentionDays;
  readonly tracingEnabled: boolean;
  readonly policyBundle: PolicyBundleLocation;
}

/**
 * A Node.js 22 / arm64 Lambda bundled locally with esbuild (never Docker),
 * shipping the policy bundle next to the handler, with its own least-privilege
 * role (write to its own log group, plus X-Ray when tracing) and its own log
 * group with retention.
 */
export class PolicyFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PolicyFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Explicit role instead of AWSLambdaBasicExecutionRole (which may write to any log group).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: write own logs${props.tracingEnabled ? ' and X-Ray traces' : ''}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      // Node.js 22 (LTS) matches the esbuild target below and the versions the
      // project's toolchain is tested on; arm64 is cheaper per ms and at least
      // as fast for the CPU-bound work here (RS256 verify, Wasm evaluation).
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracingEnabled ? Tracing.ACTIVE : Tracing.DISABLED,
      environment: props.environment,
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        keepNames: true,
        sourceMap: false,
        externalModules: ['@aws-sdk/*'],
        // The project is CommonJS, so at run time (tsx, jest, node) the OPA SDK
        // resolves to its "require" entry; esbuild would pick the "import"
        // entry for an import statement, which lacks loadPolicySync. Pin the
        // bundle to the same entry the code runs with everywhere else.
        esbuildArgs: { '--alias:@open-policy-agent/opa-wasm': OPA_SDK_CJS_ENTRY },
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => copyPolicyBundleCommands(props.policyBundle, outputDir),
        },
      },
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

/** Shell-quote one argument for the POSIX shell CDK runs local bundling hooks in. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Commands run after esbuild: copy policy.wasm (and data.json) next to the
 * bundled handler. Uses node rather than `cp` so the command is the same on
 * every platform with a POSIX shell.
 */
export function copyPolicyBundleCommands(bundle: PolicyBundleLocation, outputDir: string): string[] {
  const copy = (from: string, name: string): string =>
    `node -e ${shellQuote('require("fs").copyFileSync(process.argv[1], process.argv[2])')} ${shellQuote(path.resolve(from))} ${shellQuote(path.join(outputDir, name))}`;
  const commands = [copy(bundle.wasmFile, BUNDLED_WASM_NAME)];
  if (bundle.dataFile !== undefined) commands.push(copy(bundle.dataFile, BUNDLED_DATA_NAME));
  return commands;
}
