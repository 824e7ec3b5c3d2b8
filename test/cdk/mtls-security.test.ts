/**
 * The construct's mtlsDomain, introspection and backendMtls props: what they
 * synthesise (custom domain with the S3 truststore, execute-api endpoint off,
 * INTROSPECTION_* / BACKEND_MTLS_* environment with secret ARNs only), the
 * grants (GetSecretValue on the named secret only, each function its own),
 * validation, and cdk-nag with everything on.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InvalidPropError, PolicyBuildError } from '../../cdk/errors';
import type { OpaAuthorizedApiProps } from '../../cdk/construct/props';
import { OpaAuthorizedApi } from '../../cdk/construct/opa-authorized-api';
import { makeTempPolicyBundle, synthWithoutBundling, testProps, type TempPolicyBundle } from './helpers';

const CERT_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const INTROSPECTION_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/introspection-AbCdEf';
const BACKEND_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/backend-mtls-GhIjKl';

let bundle: TempPolicyBundle;
beforeAll(() => {
  bundle = makeTempPolicyBundle();
});

/** A stack with the construct built by `props(stack)` (imports need a scope). */
function build(props: (scope: Stack) => Partial<OpaAuthorizedApiProps>): { stack: Stack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'SecurityStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  new OpaAuthorizedApi(stack, 'Api', testProps(bundle, props(stack)));
  return { stack, template: Template.fromStack(stack) };
}

const secret = (scope: Stack, id: string, arn: string): ISecret => Secret.fromSecretCompleteArn(scope, id, arn);

const everything = (scope: Stack): Partial<OpaAuthorizedApiProps> => ({
  mtlsDomain: {
    domainName: 'api.partners.acme.example',
    certificateArn: CERT_ARN,
    truststore: { bucket: Bucket.fromBucketName(scope, 'Truststore', 'acme-truststore'), key: 'partners/ca-bundle.pem', version: '3HL4kqtJlcpXroDTDmJ' },
  },
  introspection: { mode: 'policy', clientId: 'acme-api-gateway', credentials: secret(scope, 'IntrospectionSecret', INTROSPECTION_ARN), cacheTtl: Duration.seconds(10) },
  backendMtls: { credentials: secret(scope, 'BackendSecret', BACKEND_ARN) },
});

/** Every IAM statement granting secretsmanager:* in the template, by the role it is attached to. */
function secretStatements(template: Template): Array<{ roles: unknown; actions: unknown; resources: unknown }> {
  const out: Array<{ roles: unknown; actions: unknown; resources: unknown }> = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const props = policy.Properties as { Roles: unknown; PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } };
    for (const st of props.PolicyDocument.Statement) {
      if (JSON.stringify(st.Action).includes('secretsmanager')) out.push({ roles: props.Roles, actions: st.Action, resources: st.Resource });
    }
  }
  return out;
}

function functionEnv(template: Template, description: RegExp): Record<string, unknown> {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => description.test(String((f.Properties as { Description?: string }).Description)));
  expect(fns).toHaveLength(1);
  return ((fns[0]?.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables);
}

describe('defaults', () => {
  it('no custom domain, the execute-api endpoint on, no introspection or backend mTLS, no secret grants', () => {
    const { template } = synthWithoutBundling(testProps(bundle));
    template.resourceCountIs('AWS::ApiGateway::DomainName', 0);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: Match.absent() });
    expect(functionEnv(template, /authorizer/i)).not.toHaveProperty('INTROSPECTION_MODE');
    expect(functionEnv(template, /Claims proxy/)).not.toHaveProperty('BACKEND_MTLS_SECRET_ARN');
    expect(secretStatements(template)).toEqual([]);
  });
});

describe('with mtlsDomain, introspection and backendMtls', () => {
  let template: Template;
  let stack: Stack;
  beforeAll(() => {
    ({ template, stack } = build(everything));
  });

  it('puts the API on the custom domain with the S3 truststore (pinned version) and disables execute-api', () => {
    template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: 'api.partners.acme.example',
      RegionalCertificateArn: CERT_ARN,
      SecurityPolicy: 'TLS_1_2',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      MutualTlsAuthentication: { TruststoreUri: 's3://acme-truststore/partners/ca-bundle.pem', TruststoreVersion: '3HL4kqtJlcpXroDTDmJ' },
    });
    template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
  });

  it('gives the authorizer INTROSPECTION_* with the secret ARN only, and the proxy BACKEND_MTLS_SECRET_ARN', () => {
    expect(functionEnv(template, /authorizer/i)).toMatchObject({
      INTROSPECTION_MODE: 'policy',
      INTROSPECTION_CLIENT_ID: 'acme-api-gateway',
      INTROSPECTION_CLIENT_AUTH: 'private_key_jwt',
      INTROSPECTION_SECRET_ARN: INTROSPECTION_ARN,
      INTROSPECTION_ENDPOINT: 'https://acme.okta.com/oauth2/default/v1/introspect',
      INTROSPECTION_CACHE_TTL_SECONDS: '10',
      INTROSPECTION_TIMEOUT_MS: '1500',
    });
    expect(functionEnv(template, /Claims proxy/)).toMatchObject({ BACKEND_MTLS_SECRET_ARN: BACKEND_ARN });
    expect(functionEnv(template, /Claims proxy/)).not.toHaveProperty('INTROSPECTION_SECRET_ARN');
  });

  it('grants exactly secretsmanager:GetSecretValue on each function\'s own secret', () => {
    const statements = secretStatements(template);
    expect(statements).toHaveLength(2);
    for (const st of statements) expect(st.actions).toBe('secretsmanager:GetSecretValue');
    const resources = statements.map((s) => s.resources).sort();
    expect(resources).toEqual([BACKEND_ARN, INTROSPECTION_ARN]);
    const authorizerRole = statements.find((s) => s.resources === INTROSPECTION_ARN)?.roles;
    const proxyRole = statements.find((s) => s.resources === BACKEND_ARN)?.roles;
    expect(JSON.stringify(authorizerRole)).toMatch(/Authorizer/);
    expect(JSON.stringify(proxyRole)).toMatch(/ClaimsProxy/);
  });

  it('a secret referenced by name is granted with its 6-character suffix, not a wider pattern', () => {
    const { template: t } = build((scope) => ({
      introspection: { mode: 'all', clientId: 'gw', clientAuth: 'client_secret_basic', credentials: Secret.fromSecretNameV2(scope, 'ByName', 'acme/introspection') },
    }));
    const [st] = secretStatements(t);
    expect(JSON.stringify(st?.resources)).toMatch(/secret:acme\/introspection-\?\?\?\?\?\?/);
  });

  it('is cdk-nag clean', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });
});

describe('validation', () => {
  const fails = (props: (scope: Stack) => Partial<OpaAuthorizedApiProps>): string => {
    try {
      build(props);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPropError);
      return (error as InvalidPropError).prop;
    }
    throw new Error('accepted');
  };
  const domain = (scope: Stack, over: Record<string, unknown>) => ({
    mtlsDomain: { domainName: 'api.acme.example', certificateArn: CERT_ARN, truststore: { bucket: Bucket.fromBucketName(scope, 'B', 'acme-truststore'), key: 'ca.pem' }, ...over },
  }) as Partial<OpaAuthorizedApiProps>;
  const intro = (scope: Stack, over: Record<string, unknown>) => ({
    introspection: { mode: 'all', clientId: 'gw', credentials: secret(scope, 'S', INTROSPECTION_ARN), ...over },
  }) as Partial<OpaAuthorizedApiProps>;

  it.each<[string, (s: Stack) => Partial<OpaAuthorizedApiProps>, string]>([
    ['an upper-case or malformed domain name', (s) => domain(s, { domainName: 'API..acme' }), 'mtlsDomain'],
    ['a certificate ARN that is not ACM', (s) => domain(s, { certificateArn: 'arn:aws:iam::123456789012:server-certificate/x' }), 'mtlsDomain'],
    ['a truststore key with a leading slash', (s) => domain(s, { truststore: { bucket: Bucket.fromBucketName(s, 'B2', 'acme-truststore'), key: '/ca.pem' } }), 'mtlsDomain'],
    ['an unknown introspection mode', (s) => intro(s, { mode: 'sometimes' }), 'introspection'],
    ['a client secret passed as a string', (s) => intro(s, { credentials: 'plain-secret' }), 'introspection'],
    ['an http introspection endpoint', (s) => intro(s, { endpoint: 'http://okta.example/v1/introspect' }), 'introspection'],
    ['a cache TTL over 300 s', (s) => intro(s, { cacheTtl: Duration.minutes(10) }), 'introspection'],
    ['a timeout longer than the authorizer can wait', (s) => intro(s, { timeout: Duration.seconds(5) }), 'introspection'],
    ['backend mTLS with an http backend', (s) => ({ backendUrl: 'http://10.0.0.5', allowInsecureBackend: true, backendMtls: { credentials: secret(s, 'S', BACKEND_ARN) } }), 'backendMtls'],
  ])('refuses %s', (_what, props, prop) => {
    expect(fails(props)).toBe(prop);
  });
});

describe("introspection's policy mode and policyDirectory", () => {
  const REQUEST = 'package acme.authz\n\ndecision := {"allow": false, "reason": "closed"}\n';
  const RESPONSE = 'package acme.filter\n\nresponse := {"allow": true}\n';
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'intro-policy-'));
    fs.writeFileSync(path.join(dir, 'filter.rego'), RESPONSE);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const synth = (mode: 'policy' | 'all'): void => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'IntroStack', { env: { account: '123456789012', region: 'eu-west-1' } });
    new OpaAuthorizedApi(stack, 'Api', {
      ...testProps(bundle, { introspection: { mode, clientId: 'gw', credentials: secret(stack, 'S', INTROSPECTION_ARN) } }),
      policyBundle: undefined,
      policyDirectory: dir,
    });
  };

  it('builds the introspection entrypoint too: a policy without it stops the synth in policy mode only', () => {
    fs.writeFileSync(path.join(dir, 'authz.rego'), REQUEST);
    expect(() => synth('policy')).toThrow(PolicyBuildError);
    expect(() => synth('policy')).toThrow(/acme\/authz\/introspection/);
    expect(() => synth('all')).not.toThrow();
    fs.writeFileSync(path.join(dir, 'authz.rego'), `${REQUEST}\nintrospection := {"required": false}\n`);
    expect(() => synth('policy')).not.toThrow();
  });
});
