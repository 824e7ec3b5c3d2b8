import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InvalidPropError } from '../../cdk/errors';
import { preflightHeaders, resolveCors, type CorsOptions } from '../../cdk/construct/cors';
import { makeTempPolicyBundle, resourcesOfType, synthWithoutBundling, testProps, type TempPolicyBundle } from './helpers';

const PORTAL = 'https://portal.acme.example';
const OTHER = 'https://admin.acme.example';

describe('CORS in the construct', () => {
  let bundle: TempPolicyBundle;
  beforeAll(() => {
    bundle = makeTempPolicyBundle();
  });

  test('without `cors`: no OPTIONS method and no CORS header anywhere', () => {
    const { template } = synthWithoutBundling(testProps(bundle));
    expect(resourcesOfType(template, 'AWS::ApiGateway::Method').map((m) => m.props.HttpMethod)).not.toContain('OPTIONS');
    expect(JSON.stringify(template.toJSON())).not.toMatch(/Access-Control|CORS_ALLOW/);
  });

  describe('one allowed origin', () => {
    const synth = () => synthWithoutBundling(testProps(bundle, { cors: { allowOrigins: [PORTAL] }, apiKeyRequired: true }));

    test('the preflight is a MOCK OPTIONS method on / and /{proxy+}: no authorizer, no API key, no backend', () => {
      const { template } = synth();
      const options = resourcesOfType(template, 'AWS::ApiGateway::Method').filter((m) => m.props.HttpMethod === 'OPTIONS');
      expect(options).toHaveLength(2);
      for (const m of options) {
        expect(m.props.AuthorizationType).toBe('NONE');
        expect(m.props.AuthorizerId).toBeUndefined();
        expect(m.props.ApiKeyRequired).toBe(false);
        const integration = m.props.Integration as { Type: string; IntegrationResponses: Array<{ StatusCode: string; ResponseTemplates: Record<string, string> }> };
        expect(integration.Type).toBe('MOCK');
        const vtl = integration.IntegrationResponses[0]?.ResponseTemplates['application/json'] ?? '';
        // The origin is echoed only under an exact comparison with the allowed one.
        expect(vtl).toContain(`#if("$!origin" == "${PORTAL}")`);
        expect(vtl).toContain('#set($context.responseOverride.header.Access-Control-Allow-Origin = "$origin")');
        expect(vtl).toContain('#set($context.responseOverride.header.Access-Control-Allow-Headers = "Authorization,Content-Type,x-api-key")');
        expect(vtl).toContain('#set($context.responseOverride.header.Access-Control-Max-Age = "600")');
      }
      // The root and proxy resources are the two preflight resources.
      const resourceIds = options.map((m) => JSON.stringify(m.props.ResourceId));
      expect(resourceIds.some((r) => r.includes('RootResourceId'))).toBe(true);
      expect(resourceIds.some((r) => r.includes('proxy'))).toBe(true);
    });

    test('every other method still uses the authorizer', () => {
      const { template } = synth();
      const others = resourcesOfType(template, 'AWS::ApiGateway::Method').filter((m) => m.props.HttpMethod !== 'OPTIONS');
      expect(others.length).toBeGreaterThan(0);
      for (const m of others) expect(m.props.AuthorizationType).toBe('CUSTOM');
    });

    test('every gateway response (401, 403, 503, 4xx incl. 429, 5xx) carries the static allowed origin', () => {
      const { template } = synth();
      const responses = resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse');
      expect(responses.map((r) => r.props.ResponseType)).toEqual(expect.arrayContaining(['UNAUTHORIZED', 'ACCESS_DENIED', 'AUTHORIZER_FAILURE', 'DEFAULT_4XX', 'DEFAULT_5XX']));
      for (const r of responses) {
        expect(r.props.ResponseParameters).toEqual(expect.objectContaining({
          'gatewayresponse.header.Access-Control-Allow-Origin': `'${PORTAL}'`,
          'gatewayresponse.header.Vary': "'Origin'",
          'gatewayresponse.header.Access-Control-Expose-Headers': "'WWW-Authenticate,Retry-After,x-amzn-RequestId'",
        }));
        // Never a reflected request header.
        expect(JSON.stringify(r.props.ResponseParameters)).not.toContain('method.request.header.Origin');
      }
    });

    test('the claims proxy gets the allowed origins in its environment', () => {
      const { template } = synth();
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Claims proxy'),
        Environment: { Variables: Match.objectLike({ CORS_ALLOW_ORIGINS: PORTAL, CORS_EXPOSE_HEADERS: 'WWW-Authenticate,Retry-After,x-amzn-RequestId' }) },
      });
    });

    test('cdk-nag: no finding with CORS on (its authorization rules skip OPTIONS)', () => {
      const { stack } = synth();
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    });
  });

  test('several origins: the preflight compares each; gateway responses carry no CORS header (static, cannot echo only allowed ones)', () => {
    const { template } = synthWithoutBundling(testProps(bundle, { cors: { allowOrigins: [PORTAL, OTHER] } }));
    const options = resourcesOfType(template, 'AWS::ApiGateway::Method').filter((m) => m.props.HttpMethod === 'OPTIONS');
    expect(JSON.stringify(options[0]?.props.Integration)).toContain(`#if(\\"$!origin\\" == \\"${PORTAL}\\" || \\"$!origin\\" == \\"${OTHER}\\")`);
    for (const r of resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse')) {
      expect(JSON.stringify(r.props.ResponseParameters)).not.toContain('Access-Control');
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CORS_ALLOW_ORIGINS: `${PORTAL},${OTHER}` }) },
    });
  });

  describe('validation', () => {
    const bad: Array<[string, CorsOptions, RegExp]> = [
      ['empty', { allowOrigins: [] }, /at least one/],
      ['* with credentials', { allowOrigins: ['*'], allowCredentials: true }, /allowCredentials/],
      ['* with others', { allowOrigins: ['*', PORTAL] }, /only entry/],
      ['trailing slash', { allowOrigins: [`${PORTAL}/`] }, /did you mean/],
      ['a path', { allowOrigins: [`${PORTAL}/app`] }, /did you mean/],
      ['upper case', { allowOrigins: ['https://Portal.acme.example'] }, /did you mean/],
      ['http not loopback', { allowOrigins: ['http://portal.acme.example'] }, /https/],
      ['a quote in the host', { allowOrigins: ["https://a'b.example"] }, /plain origin/],
      ['a dollar in the host', { allowOrigins: ['https://a$b.example'] }, /plain origin/],
      ['null origin', { allowOrigins: ['null'] }, /not an origin/],
      ['max age above the browser cap', { allowOrigins: [PORTAL], maxAge: Duration.hours(3) }, /maxAge|between 0 and 7200/],
      ['a header with a newline', { allowOrigins: [PORTAL], allowHeaders: ['X-A\nB'] }, /invalid value/],
      ['an unknown method', { allowOrigins: [PORTAL], allowMethods: ['TRACE'] }, /invalid value/],
    ];
    test.each(bad)('%s is refused with InvalidPropError', (_name, cors, message) => {
      expect(() => synthWithoutBundling(testProps(bundle, { cors }))).toThrow(InvalidPropError);
      expect(() => resolveCors(cors, undefined)).toThrow(message);
    });

    test('loopback http origins (local development) are allowed', () => {
      expect(resolveCors({ allowOrigins: ['http://127.0.0.1:8080', 'http://localhost:5173'] }, undefined).allowOrigins).toEqual(['http://127.0.0.1:8080', 'http://localhost:5173']);
    });
  });

  test('preflightHeaders: allowed origin echoed, anything else gets nothing', () => {
    const cors = resolveCors({ allowOrigins: [PORTAL], maxAge: Duration.minutes(2) }, undefined);
    expect(preflightHeaders(cors, PORTAL)).toEqual({
      'Access-Control-Allow-Origin': PORTAL,
      'Access-Control-Allow-Methods': 'GET,POST,PUT,DELETE,OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization,Content-Type',
      'Access-Control-Max-Age': '120',
      Vary: 'Origin',
    });
    for (const origin of [undefined, '', 'null', OTHER, `${PORTAL}.evil.example`, PORTAL.toUpperCase(), `${PORTAL}/`]) {
      expect(preflightHeaders(cors, origin)).toEqual({});
    }
  });
});
