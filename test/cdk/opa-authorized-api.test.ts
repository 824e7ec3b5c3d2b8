import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { OpaAuthorizedApi } from '../../cdk/construct/opa-authorized-api';
import { Architecture, LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CDK_ROUTES } from '../../local/gateway/routes';
import { makeTempPolicyBundle, resourcesOfType, synthWithoutBundling, Synthesised, testProps, TempPolicyBundle } from './helpers';

const WEB_ACL_ARN = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/acme-api/0f1e2d3c-aaaa-bbbb-cccc-1234567890ab';

/** Replace API Gateway $context variables with sample values the way the gateway would. */
function renderTemplate(template: string): string {
  return template
    .replace(/\$context\.error\.messageString/g, '"Sample \\"quoted\\" message"')
    .replace(/\$context\.[A-Za-z.]+/g, 'sample');
}

function logicalIdOf(synth: Synthesised, type: string, pathPart: string): string {
  const resources = synth.template.toJSON().Resources as Record<string, { Type: string }>;
  const matches = Object.entries(resources).filter(([id, r]) => r.Type === type && id.includes(pathPart));
  if (matches.length !== 1) throw new Error(`expected one ${type} matching ${pathPart}, got ${matches.map(([id]) => id).join(', ')}`);
  return matches[0][0];
}

describe('OpaAuthorizedApi with default settings', () => {
  let bundle: TempPolicyBundle;
  let synth: Synthesised;
  let authorizerFnId: string;
  let proxyFnId: string;

  beforeAll(() => {
    bundle = makeTempPolicyBundle();
    synth = synthWithoutBundling(testProps(bundle));
    authorizerFnId = logicalIdOf(synth, 'AWS::Lambda::Function', 'Authorizer');
    proxyFnId = logicalIdOf(synth, 'AWS::Lambda::Function', 'ClaimsProxy');
  });

  test('the REQUEST authorizer caches per token, method and concrete path for 300 s', () => {
    synth.template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    synth.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization,context.httpMethod,context.path',
      AuthorizerResultTtlInSeconds: 300,
      AuthorizerUri: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ 'Fn::GetAtt': [authorizerFnId, 'Arn'] }])]) }),
    });
  });

  test('every method (root ANY and {proxy+} ANY) is protected by the authorizer and proxies to the claims proxy', () => {
    const methods = resourcesOfType(synth.template, 'AWS::ApiGateway::Method');
    expect(methods.map((m) => m.props.HttpMethod).sort()).toEqual(['ANY', 'ANY']);
    const authorizerId = logicalIdOf(synth, 'AWS::ApiGateway::Authorizer', 'RequestAuthorizer');
    for (const method of methods) {
      expect(method.props.AuthorizationType).toBe('CUSTOM');
      expect(method.props.AuthorizerId).toEqual({ Ref: authorizerId });
      expect(method.props.ApiKeyRequired).toBe(false);
      expect(JSON.stringify(method.props.Integration)).toContain(proxyFnId);
      expect((method.props.Integration as { Type: string }).Type).toBe('AWS_PROXY');
    }
    synth.template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
  });

  test('the deployed resource tree is exactly the one the local gateway emulates', () => {
    const resources = Object.fromEntries(resourcesOfType(synth.template, 'AWS::ApiGateway::Resource').map((r) => [r.id, r.props]));
    const deployed = resourcesOfType(synth.template, 'AWS::ApiGateway::Method').map((m) => {
      const ref = (m.props.ResourceId as { Ref?: string }).Ref;
      const resource = ref === undefined ? '/' : `/${String(resources[ref].PathPart)}`;
      return { resource, method: String(m.props.HttpMethod) };
    });
    const byResource = (a: { resource: string }, b: { resource: string }) => a.resource.localeCompare(b.resource);
    expect(deployed.sort(byResource)).toEqual([...CDK_ROUTES].sort(byResource));
  });

  test('401 responses carry an RFC 6750 Bearer challenge with invalid_token', () => {
    for (const type of ['UNAUTHORIZED', 'EXPIRED_TOKEN']) {
      synth.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: '401',
        ResponseParameters: Match.objectLike({
          'gatewayresponse.header.WWW-Authenticate': Match.stringLikeRegexp(`^'Bearer realm="[^"]+", error="invalid_token", error_description="[^"']+"'$`),
        }),
      });
    }
  });

  test('an authorizer Deny answers 403 with the decision id, an authorizer crash answers 503', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '403',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('\\$context\\.authorizer\\.decisionId') },
    });
    for (const type of ['AUTHORIZER_FAILURE', 'AUTHORIZER_CONFIGURATION_ERROR']) {
      synth.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: '503',
        ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Retry-After': "'1'" }),
      });
    }
  });

  test('the stack outputs are ApiUrl and PolicyRevision under those names, with no second endpoint output', () => {
    expect(Object.keys(synth.template.toJSON().Outputs as Record<string, unknown>).sort()).toEqual(['ApiUrl', 'PolicyRevision']);
  });

  test('every gateway response body (incl. DEFAULT_4XX/5XX) renders to JSON with the request id', () => {
    const responses = resourcesOfType(synth.template, 'AWS::ApiGateway::GatewayResponse');
    expect(responses.map((r) => r.props.ResponseType).sort()).toEqual(
      ['ACCESS_DENIED', 'AUTHORIZER_CONFIGURATION_ERROR', 'AUTHORIZER_FAILURE', 'DEFAULT_4XX', 'DEFAULT_5XX', 'EXPIRED_TOKEN', 'UNAUTHORIZED'],
    );
    for (const response of responses) {
      const body = (response.props.ResponseTemplates as Record<string, string>)['application/json'];
      const parsed = JSON.parse(renderTemplate(body)) as Record<string, unknown>;
      expect(parsed).toHaveProperty('requestId');
      expect(parsed).toHaveProperty('message');
      expect((response.props.ResponseParameters as Record<string, string>)['gatewayresponse.header.Cache-Control']).toBe("'no-store'");
    }
  });

  test('both functions run Node.js 22 on arm64 with the justified memory and timeouts', () => {
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('authorizer'),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 5,
    });
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Claims proxy'),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 5, // 3 s backend timeout + 2 s margin
    });
  });

  test('the authorizer gets the Okta and request-policy environment, the proxy the backend and response-policy environment', () => {
    const revision = crypto.createHash('sha256').update(fs.readFileSync(bundle.wasmFile)).digest('hex').slice(0, 12);
    const fns = Object.fromEntries(resourcesOfType(synth.template, 'AWS::Lambda::Function').map((f) => [f.id, f.props]));
    const envOf = (id: string) => (fns[id].Environment as { Variables: Record<string, string> }).Variables;
    expect(envOf(authorizerFnId)).toEqual({
      OKTA_ISSUER: 'https://acme.okta.com/oauth2/default',
      OKTA_AUDIENCE: 'api://default',
      OKTA_JWKS_URI: 'https://acme.okta.com/oauth2/default/v1/keys',
      POLICY_REQUEST_ENTRYPOINT: 'acme/authz/decision',
      POLICY_REVISION: revision,
      POLICY_DATA_PATH: 'data.json',
      API_KEY_HEADER: 'x-api-key',
      LOG_LEVEL: 'info',
    });
    expect(envOf(proxyFnId)).toEqual({
      BACKEND_URL: 'https://claims.acme.example',
      BACKEND_TIMEOUT_MS: '3000',
      POLICY_RESPONSE_ENTRYPOINT: 'acme/filter/response',
      POLICY_REVISION: revision,
      POLICY_DATA_PATH: 'data.json',
      API_KEY_HEADER: 'x-api-key',
      LOG_LEVEL: 'info',
    });
  });

  test('the stage throttles, traces, logs executions at INFO without request data, and writes JSON access logs', () => {
    const accessLogId = logicalIdOf(synth, 'AWS::Logs::LogGroup', 'AccessLogs');
    synth.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 100,
          ThrottlingBurstLimit: 200,
          LoggingLevel: 'INFO',
          DataTraceEnabled: false,
          MetricsEnabled: true,
        },
      ],
      AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': [accessLogId, 'Arn'] }, Format: Match.anyValue() },
    });
    const stage = resourcesOfType(synth.template, 'AWS::ApiGateway::Stage')[0];
    const format = (stage.props.AccessLogSetting as { Format: string }).Format;
    const line = JSON.parse(renderTemplate(format)) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(expect.arrayContaining(['requestId', 'sourceIp', 'httpMethod', 'resourcePath', 'status', 'decisionId', 'errorType']));
    // Never the token, the API key value or bodies.
    expect(format).not.toMatch(/Authorization|\$context\.identity\.apiKey"|requestOverride|\$input/i);
  });

  test('every log group has the retention, including the API Gateway execution log group', () => {
    const groups = resourcesOfType(synth.template, 'AWS::Logs::LogGroup');
    expect(groups).toHaveLength(4);
    for (const group of groups) expect(group.props.RetentionInDays).toBe(90);
    synth.template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: Match.anyValue() }, '/prod']] },
    });
  });

  test('function roles are least privilege: own log group only, X-Ray, no managed policies', () => {
    const roles = resourcesOfType(synth.template, 'AWS::IAM::Role').filter((r) => r.id.includes('Authorizer') || r.id.includes('ClaimsProxy'));
    expect(roles).toHaveLength(2);
    for (const role of roles) {
      expect(role.props.ManagedPolicyArns).toBeUndefined();
      expect(JSON.stringify(role.props.AssumeRolePolicyDocument)).toContain('lambda.amazonaws.com');
    }
    for (const [part, logPart] of [['AuthorizerRole', 'AuthorizerLogGroup'], ['ClaimsProxyRole', 'ClaimsProxyLogGroup']]) {
      const policy = resourcesOfType(synth.template, 'AWS::IAM::Policy').find((p) => p.id.includes(part));
      expect(policy).toBeDefined();
      const statements = (policy!.props.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
      expect(statements).toEqual([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logicalIdOf(synth, 'AWS::Logs::LogGroup', logPart), 'Arn'] },
        },
        { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Effect: 'Allow', Resource: '*' },
      ]);
    }
  });

  test('only API Gateway may invoke the functions, the authorizer only through this API\'s authorizers', () => {
    const permissions = resourcesOfType(synth.template, 'AWS::Lambda::Permission');
    expect(permissions.length).toBeGreaterThan(0);
    for (const permission of permissions) {
      expect(permission.props.Principal).toBe('apigateway.amazonaws.com');
      expect(permission.props.Action).toBe('lambda:InvokeFunction');
      expect(permission.props.SourceArn).toBeDefined();
    }
    const authorizerPermission = permissions.find((p) => JSON.stringify(p.props.FunctionName).includes(authorizerFnId));
    expect(JSON.stringify(authorizerPermission?.props.SourceArn)).toContain('/authorizers/');
  });

  test('without the optional features there is no resource policy, usage plan, API key or web ACL', () => {
    const api = resourcesOfType(synth.template, 'AWS::ApiGateway::RestApi')[0];
    expect(api.props.Policy).toBeUndefined();
    expect(api.props.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
    synth.template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    synth.template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    synth.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    synth.template.resourceCountIs('AWS::ApiGateway::Account', 1); // execution-logging role (cloudWatchRole default)
  });
});

describe('OpaAuthorizedApi locked down: API key, source IPs, no cache, WAF, no tracing', () => {
  let synth: Synthesised;

  beforeAll(() => {
    const bundle = makeTempPolicyBundle();
    synth = synthWithoutBundling(
      testProps(bundle, {
        apiKeyRequired: true,
        apiKeyQuota: { limit: 5000, period: Period.WEEK },
        allowedSourceIpRanges: ['203.0.113.0/24', '2001:db8::/32'],
        authorizerCacheTtl: Duration.seconds(0),
        tracingEnabled: false,
        logRetention: RetentionDays.ONE_YEAR,
        webAclArn: WEB_ACL_ARN,
        stageName: 'v1',
        backendTimeout: Duration.seconds(10),
        throttlingRateLimit: 25,
        throttlingBurstLimit: 50,
        cloudWatchRole: false,
        oktaAudience: ['api://claims', 'api://default'],
        logLevel: 'warn',
      }),
      'LockedDown',
    );
  });

  test('the API key header joins the identity sources and the cache is off', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      IdentitySource: 'method.request.header.Authorization,context.httpMethod,context.path,method.request.header.x-api-key',
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  test('every method requires the API key, and the usage plan carries the quota and stage throttle', () => {
    for (const method of resourcesOfType(synth.template, 'AWS::ApiGateway::Method')) {
      expect(method.props.ApiKeyRequired).toBe(true);
    }
    synth.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Quota: { Limit: 5000, Period: 'WEEK' },
      Throttle: { RateLimit: 25, BurstLimit: 50 },
      ApiStages: [Match.objectLike({ ApiId: { Ref: Match.anyValue() }, Stage: { Ref: Match.anyValue() } })],
    });
    synth.template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    const keys = resourcesOfType(synth.template, 'AWS::ApiGateway::ApiKey');
    expect(keys).toHaveLength(1);
    expect(keys[0].props.Value).toBeUndefined(); // generated by AWS, never in the template
    synth.template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' });
  });

  test('the resource policy denies every source outside the allowed ranges', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'execute-api:Invoke',
            Resource: 'execute-api:/*',
            Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } },
          },
        ],
      },
    });
  });

  test('the web ACL is associated with the stage', () => {
    synth.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: WEB_ACL_ARN,
      ResourceArn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('/stages/')])]) }),
    });
  });

  test('with tracing off neither the stage nor the functions trace, and no role gets X-Ray permissions', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'v1', TracingEnabled: false });
    for (const fn of resourcesOfType(synth.template, 'AWS::Lambda::Function')) {
      expect(fn.props.TracingConfig).not.toEqual({ Mode: 'Active' });
    }
    expect(JSON.stringify(resourcesOfType(synth.template, 'AWS::IAM::Policy'))).not.toContain('xray:');
  });

  test('settings flow into the functions and log groups', () => {
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Claims proxy'),
      Timeout: 12,
      Environment: { Variables: Match.objectLike({ BACKEND_TIMEOUT_MS: '10000', LOG_LEVEL: 'warn' }) },
    });
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('authorizer'),
      Environment: { Variables: Match.objectLike({ OKTA_AUDIENCE: 'api://claims,api://default' }) },
    });
    for (const group of resourcesOfType(synth.template, 'AWS::Logs::LogGroup')) expect(group.props.RetentionInDays).toBe(365);
    synth.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 25, ThrottlingBurstLimit: 50 })],
    });
    synth.template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});

describe('function sizing, architecture, log format and removal policy are props', () => {
  test('defaults: 512 MB each, authorizer 5 s, proxy backend timeout + 2 s, arm64, text logs, log groups retained', () => {
    const synth = synthWithoutBundling(testProps(makeTempPolicyBundle()));
    const fns = resourcesOfType(synth.template, 'AWS::Lambda::Function');
    const authorizer = fns.find((f) => String(f.props.Description).includes('authorizer'))!;
    const proxy = fns.find((f) => String(f.props.Description).includes('Claims proxy'))!;
    expect([authorizer.props.MemorySize, authorizer.props.Timeout]).toEqual([512, 5]);
    expect([proxy.props.MemorySize, proxy.props.Timeout]).toEqual([512, 5]);
    for (const fn of fns) {
      expect(fn.props.Architectures).toEqual(['arm64']);
      expect(fn.props.Runtime).toBe('nodejs22.x');
      expect(fn.props.Handler).toBe('index.handler');
      expect((fn.props.LoggingConfig as { LogFormat?: string }).LogFormat).toBe('Text');
    }
    const groups = (synth.template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>);
    const logGroups = Object.values(groups).filter((r) => r.Type === 'AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(4);
    for (const group of logGroups) expect(group.DeletionPolicy).toBe('Retain');
  });

  test('overrides reach each function and every log group', () => {
    const synth = synthWithoutBundling(testProps(makeTempPolicyBundle(), {
      authorizerMemorySize: 1024,
      authorizerTimeout: Duration.seconds(3),
      claimsProxyMemorySize: 256,
      claimsProxyTimeout: Duration.seconds(20),
      architecture: Architecture.X86_64,
      logFormat: LoggingFormat.JSON,
      removalPolicy: RemovalPolicy.DESTROY,
    }));
    const fns = resourcesOfType(synth.template, 'AWS::Lambda::Function');
    const authorizer = fns.find((f) => String(f.props.Description).includes('authorizer'))!;
    const proxy = fns.find((f) => String(f.props.Description).includes('Claims proxy'))!;
    expect([authorizer.props.MemorySize, authorizer.props.Timeout]).toEqual([1024, 3]);
    expect([proxy.props.MemorySize, proxy.props.Timeout]).toEqual([256, 20]);
    for (const fn of fns) {
      expect(fn.props.Architectures).toEqual(['x86_64']);
      expect((fn.props.LoggingConfig as { LogFormat?: string }).LogFormat).toBe('JSON');
    }
    const resources = synth.template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>;
    const logGroups = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(4);
    for (const group of logGroups) expect(group.DeletionPolicy).toBe('Delete');
  });

  test('what the construct creates is exposed, so a user can extend it', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Extended');
    const api = new OpaAuthorizedApi(stack, 'Api', testProps(makeTempPolicyBundle()));
    api.authorizerFunction.function.addEnvironment('TEAM_FLAG', 'on');
    api.api.root.addResource('status');
    new Alarm(stack, 'AuthorizerErrors', { metric: api.authorizerFunction.function.metricErrors(), threshold: 1, evaluationPeriods: 1 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('authorizer'),
      Environment: { Variables: Match.objectLike({ TEAM_FLAG: 'on', OKTA_ISSUER: 'https://acme.okta.com/oauth2/default' }) },
    });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'status' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Namespace: 'AWS/Lambda' });
  });
});

describe('redeployment', () => {
  test('changing the authorizer cache TTL creates a new stage deployment', () => {
    const bundle = makeTempPolicyBundle();
    const deploymentIds = [300, 60].map((ttl) => {
      const synth = synthWithoutBundling(testProps(bundle, { authorizerCacheTtl: Duration.seconds(ttl) }));
      const deployments = resourcesOfType(synth.template, 'AWS::ApiGateway::Deployment');
      expect(deployments).toHaveLength(1);
      return deployments[0].id;
    });
    expect(deploymentIds[0]).not.toBe(deploymentIds[1]);
  });
});
