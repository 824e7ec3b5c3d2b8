import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import {
  ApiKey,
  ApiKeySourceType,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestAuthorizer,
  RequestValidator,
  RestApi,
  UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { AnyPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { APIGATEWAY_AUTHORIZER_CHANGE_DEPLOYMENT_LOGICAL_ID } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { accessLogFormat } from './access-log';
import { addPreflight, corsFunctionEnvironment } from './cors';
import { addGatewayResponses } from './gateway-responses';
import { API_KEY_HEADER, authorizerIdentitySources } from './identity-sources';
import { grantBundleRead, PolicyBucket, bundleUrl, policyBundleEnvironment } from './policy-bundles';
import { PolicyFunction } from './policy-function';
import { BUNDLED_DATA_NAME } from './policy-source';
import type { OpaAuthorizedApiProps } from './props';
import { resolveProps, ResolvedApiConfig } from './validate-props';
import { addMtlsDomain, backendMtlsEnvironment, grantSecretValue, introspectionEnvironment } from './mtls-domain';
import type { DomainName } from 'aws-cdk-lib/aws-apigateway';


/**
 * A REST API protected by an Okta-JWT + OPA (Wasm) REQUEST authorizer whose
 * integration is the claims proxy (forward to the backend, filter the
 * response with a second policy). See cdk/README.md for the design.
 */
export class OpaAuthorizedApi extends Construct {
  readonly api: RestApi;
  readonly authorizer: RequestAuthorizer;
  readonly authorizerFunction: PolicyFunction;
  readonly claimsProxyFunction: PolicyFunction;
  readonly accessLogGroup: LogGroup;
  readonly executionLogGroup: LogGroup;
  readonly usagePlan?: UsagePlan;
  readonly apiKey?: ApiKey;
  /** First 12 hex digits of the policy wasm's sha256 (POLICY_REVISION). */
  readonly policyRevision: string;
  /** The configuration in force, defaults applied. */
  readonly config: ResolvedApiConfig;
  /** The custom domain with mutual TLS (prop mtlsDomain). */
  readonly mtlsDomain?: DomainName;
  /** The policy bucket, when a `{ kind: 'bucket' }` source asked the construct to create it. */
  readonly policyBucket?: Bucket;
  /** Where the policy bucket's server access logs go (with `policyBucket`). */
  readonly policyBucketAccessLogs?: Bucket;
  /** What the functions poll (`s3://bucket/key` or an https URL); undefined = the packaged policy. */
  readonly policyBundleUrl?: string;
  /** The shadow (candidate) bundle the functions evaluate beside the enforced one. */
  readonly shadowBundleUrl?: string;

  constructor(scope: Construct, id: string, props: OpaAuthorizedApiProps) {
    super(scope, id);
    // A changed authorizer (TTL, identity sources, function) must create a new
    // stage deployment, or the stage keeps serving the old settings. Set here
    // (before any child exists) so it holds whatever the app's cdk.json says.
    this.node.setContext(APIGATEWAY_AUTHORIZER_CHANGE_DEPLOYMENT_LOGICAL_ID, true);
    const config = resolveProps(props);
    this.config = config;
    this.policyRevision = crypto
      .createHash('sha256')
      .update(fs.readFileSync(config.policyBundle.wasmFile))
      .digest('hex')
      .slice(0, 12);

    if (config.policyBundles.createsBucket) {
      const created = new PolicyBucket(this, 'PolicyBucket', { bundles: config.policyBundles, removalPolicy: config.removalPolicy });
      this.policyBucket = created.bucket;
      this.policyBucketAccessLogs = created.accessLogsBucket;
    }
    this.policyBundleUrl = bundleUrl(config.policyBundles.source, this.policyBucket);
    this.shadowBundleUrl = config.policyBundles.shadow === undefined ? undefined : bundleUrl(config.policyBundles.shadow, this.policyBucket);

    const shared: Record<string, string> = {
      // The packaged policy's revision (also the fallback's); a remote bundle's comes from its .manifest.
      POLICY_REVISION: this.policyRevision,
      API_KEY_HEADER,
      LOG_LEVEL: config.logLevel,
      // Named explicitly when the bundle has data: a packaging mistake that
      // loses data.json then fails the cold start closed instead of running
      // the policy on an empty data document.
      ...(config.policyBundle.dataFile !== undefined ? { POLICY_DATA_PATH: BUNDLED_DATA_NAME } : {}),
      ...policyBundleEnvironment(config.policyBundles, this.policyBucket),
    };

    this.authorizerFunction = new PolicyFunction(this, 'Authorizer', {
      handlerBundle: config.handlerBundles.authorizer,
      description: 'Okta JWT + OPA request policy REQUEST authorizer',
      memorySize: config.authorizerMemorySize,
      timeout: config.authorizerTimeout,
      architecture: config.architecture,
      logRetention: config.logRetention,
      logFormat: config.logFormat,
      removalPolicy: config.removalPolicy,
      tracingEnabled: config.tracingEnabled,
      policyBundle: config.policyBundle,
      environment: {
        ...shared,
        OKTA_ISSUER: config.oktaIssuer,
        OKTA_AUDIENCE: config.oktaAudiences.join(','),
        OKTA_JWKS_URI: config.oktaJwksUri,
        POLICY_REQUEST_ENTRYPOINT: config.requestEntrypoint,
        ...introspectionEnvironment(config.security),
      },
    });

    this.claimsProxyFunction = new PolicyFunction(this, 'ClaimsProxy', {
      handlerBundle: config.handlerBundles.claimsProxy,
      description: 'Claims proxy: forwards to the backend and filters the response with the OPA response policy',
      memorySize: config.claimsProxyMemorySize,
      timeout: config.claimsProxyTimeout,
      architecture: config.architecture,
      logRetention: config.logRetention,
      logFormat: config.logFormat,
      removalPolicy: config.removalPolicy,
      tracingEnabled: config.tracingEnabled,
      policyBundle: config.policyBundle,
      environment: {
        ...shared,
        BACKEND_URL: config.backendUrl,
        BACKEND_TIMEOUT_MS: String(config.backendTimeout.toMilliseconds()),
        POLICY_RESPONSE_ENTRYPOINT: config.responseEntrypoint,
        // The claims proxy refuses a non-loopback http:// backend unless told explicitly.
        ...(config.allowInsecureBackend ? { BACKEND_ALLOW_HTTP: 'true' } : {}),
        ...corsFunctionEnvironment(config.cors),
        ...backendMtlsEnvironment(config.security),
      },
    });
    if (config.security.introspection) grantSecretValue(this.authorizerFunction.function, config.security.introspection.credentials);
    if (config.security.backendMtls) grantSecretValue(this.claimsProxyFunction.function, config.security.backendMtls.credentials);

    for (const fn of [this.authorizerFunction, this.claimsProxyFunction]) grantBundleRead(fn.role, config.policyBundles, this.policyBucket);

    const identitySources = authorizerIdentitySources(config.apiKeyRequired);
    this.authorizer = new RequestAuthorizer(this, 'RequestAuthorizer', {
      handler: this.authorizerFunction.function,
      identitySources,
      resultsCacheTtl: config.authorizerCacheTtl,
    });

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });

    this.api = new RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-${id}`,
      description: 'REST API protected by an Okta JWT + OPA policy authorizer',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      apiKeySourceType: ApiKeySourceType.HEADER,
      cloudWatchRole: config.cloudWatchRole,
      policy: sourceIpPolicy(config.allowedSourceIpRanges),
      // With mutual TLS on the custom domain, the default endpoint would be a way around the client certificate.
      disableExecuteApiEndpoint: config.security.mtlsDomain !== undefined ? true : undefined,
      // On the API (not only the proxy resource) so the root ANY method is protected too.
      defaultMethodOptions: {
        authorizationType: AuthorizationType.CUSTOM,
        authorizer: this.authorizer,
        apiKeyRequired: config.apiKeyRequired,
      },
      deployOptions: {
        stageName: config.stageName,
        tracingEnabled: config.tracingEnabled,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.INFO,
        // Never log request/response bodies or headers (tokens, claims).
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: accessLogFormat(),
        throttlingRateLimit: config.throttlingRateLimit,
        throttlingBurstLimit: config.throttlingBurstLimit,
      },
    });

    // API Gateway writes execution logs to this fixed name; creating it here
    // gives it a retention (API Gateway would create it with none).
    this.executionLogGroup = new LogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${config.stageName}`,
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.api.deploymentStage.node.addDependency(this.executionLogGroup);

    // Body validation has no models to check yet (request bodies are the
    // backend's contract); declare models on the methods to have the gateway
    // reject malformed bodies before they reach the Lambdas.
    const requestValidator = new RequestValidator(this, 'RequestValidator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    const integration = new LambdaIntegration(this.claimsProxyFunction.function, { proxy: true });
    this.api.root.addMethod('ANY', integration, { requestValidator });
    const proxy = this.api.root.addProxy({ anyMethod: false });
    proxy.addMethod('ANY', integration, { requestValidator });

    if (config.cors !== undefined) {
      // Preflights carry no Authorization header: API Gateway answers them itself (MOCK), before any authorizer.
      // (cdk-nag's authorization rules do not apply to OPTIONS methods.)
      for (const resource of [this.api.root, proxy]) addPreflight(resource, config.cors);
    }
    addGatewayResponses(this.api, 'api', config.cors);
    if (config.security.mtlsDomain) this.mtlsDomain = addMtlsDomain(this, this.api, config.security.mtlsDomain);

    if (config.apiKeyRequired) {
      const apiKey = new ApiKey(this, 'ApiKey', {
        description: 'API key for the OPA-protected API (value generated by AWS; read it with `aws apigateway get-api-key --include-value`)',
      });
      this.apiKey = apiKey;
      this.usagePlan = this.api.addUsagePlan('UsagePlan', {
        description: 'Quota and throttling for API-key holders',
        quota: { limit: config.apiKeyQuota.limit, period: config.apiKeyQuota.period },
        throttle: { rateLimit: config.throttlingRateLimit, burstLimit: config.throttlingBurstLimit },
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      this.usagePlan.addApiKey(apiKey);
      new CfnOutput(this, 'ApiKeyId', { value: apiKey.keyId, description: 'Id of the API key (not its value)' });
    }

    if (config.webAclArn !== undefined) {
      new CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: config.webAclArn,
      });
    } else {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF web ACL is passed (prop webAclArn): WAF rules and their cost are owned per environment by the platform team. ' +
          'Stage throttling, the optional source-IP resource policy and the Lambda authorizer still apply to every request.',
      });
    }

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers authenticate with Okta access tokens, verified (signature, issuer, audience, expiry) by the Lambda REQUEST ' +
        'authorizer before the OPA policy runs; Cognito user pools are not used.',
    });
    if (config.cloudWatchRole) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level API Gateway CloudWatch role needs exactly the AWS-managed AmazonAPIGatewayPushToCloudWatchLogs policy; ' +
          'it is the role AWS documents for execution logging and is assumable only by apigateway.amazonaws.com.',
      });
    }

    // RestApi adds its own `Endpoint` output; the stack names the URL once (ApiUrl).
    this.api.node.tryRemoveChild('Endpoint');
  }
}

/** Resource policy for `allowedSourceIpRanges`: allow invoke, deny anyone outside the ranges. */
function sourceIpPolicy(ranges: readonly string[] | undefined): PolicyDocument | undefined {
  if (ranges === undefined) return undefined;
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { NotIpAddress: { 'aws:SourceIp': [...ranges] } },
      }),
    ],
  });
}
