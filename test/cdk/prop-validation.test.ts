import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { OpaAuthorizedApi } from '../../cdk/construct/opa-authorized-api';
import type { OpaAuthorizedApiProps } from '../../cdk/construct/props';
import { InvalidPropError, PolicyBuildError } from '../../cdk/errors';
import { makeTempPolicyBundle, testProps, TempPolicyBundle } from './helpers';

let bundle: TempPolicyBundle;
beforeAll(() => {
  bundle = makeTempPolicyBundle();
});

function construct(overrides: Partial<OpaAuthorizedApiProps>): void {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  new OpaAuthorizedApi(new Stack(app, 'S'), 'Api', testProps(bundle, overrides));
}

/** The constructor throws InvalidPropError naming `prop`, with a message matching `reason`. */
function expectRejected(overrides: Partial<OpaAuthorizedApiProps>, prop: string, reason: RegExp): void {
  let caught: unknown;
  try {
    construct(overrides);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InvalidPropError);
  const error = caught as InvalidPropError;
  expect(error.prop).toBe(prop);
  expect(error.message).toContain(`"${prop}"`);
  expect(error.message).toMatch(reason);
}

/** The constructor throws PolicyBuildError; returns its message. */
function buildErrorOf(overrides: Partial<OpaAuthorizedApiProps>): string {
  let caught: unknown;
  try {
    construct(overrides);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(PolicyBuildError);
  return (caught as PolicyBuildError).message;
}

describe('prop validation names the offending prop', () => {
  test('valid props construct without error', () => {
    expect(() => construct({})).not.toThrow();
  });

  test.each<[string, Partial<OpaAuthorizedApiProps>, string, RegExp]>([
    ['issuer over http', { oktaIssuer: 'http://acme.okta.com/oauth2/default' }, 'oktaIssuer', /https/],
    ['issuer with trailing slash', { oktaIssuer: 'https://acme.okta.com/oauth2/default/' }, 'oktaIssuer', /must not end with "\/"/],
    ['issuer not a URL', { oktaIssuer: 'acme.okta.com' }, 'oktaIssuer', /not an absolute URL/],
    ['empty issuer', { oktaIssuer: '' }, 'oktaIssuer', /required/],
    ['no audience', { oktaAudience: [] }, 'oktaAudience', /required/],
    ['audience with a comma', { oktaAudience: 'api://a,api://b' }, 'oktaAudience', /without commas/],
    ['JWKS over http', { oktaJwksUri: 'http://acme.okta.com/keys' }, 'oktaJwksUri', /https/],
    ['backend over http', { backendUrl: 'http://backend.internal' }, 'backendUrl', /https/],
    ['backend with credentials', { backendUrl: 'https://user:pw@backend.example' }, 'backendUrl', /credentials/],
    ['backend with a query', { backendUrl: 'https://backend.example/?x=1' }, 'backendUrl', /query string/],
    ['backend timeout above 25 s', { backendTimeout: Duration.seconds(30) }, 'backendTimeout', /29 s/],
    ['backend timeout below 100 ms', { backendTimeout: Duration.millis(50) }, 'backendTimeout', /between/],
    ['cache TTL above 1 h', { authorizerCacheTtl: Duration.hours(2) }, 'authorizerCacheTtl', /3600/],
    ['cache TTL with milliseconds', { authorizerCacheTtl: Duration.millis(1500) }, 'authorizerCacheTtl', /whole number of seconds/],
    ['zero rate limit', { throttlingRateLimit: 0 }, 'throttlingRateLimit', /positive/],
    ['fractional burst', { throttlingBurstLimit: 2.5 }, 'throttlingBurstLimit', /positive integer/],
    ['quota without API key', { apiKeyQuota: { limit: 10, period: Period.DAY } }, 'apiKeyQuota', /apiKeyRequired is false/],
    ['zero quota', { apiKeyRequired: true, apiKeyQuota: { limit: 0, period: Period.DAY } }, 'apiKeyQuota', /positive integer/],
    ['empty source IP list', { allowedSourceIpRanges: [] }, 'allowedSourceIpRanges', /block every caller/],
    ['bare IP without prefix', { allowedSourceIpRanges: ['203.0.113.7'] }, 'allowedSourceIpRanges', /not a CIDR/],
    ['IPv4 prefix too long', { allowedSourceIpRanges: ['203.0.113.0/33'] }, 'allowedSourceIpRanges', /not a CIDR/],
    ['bad request entrypoint', { requestEntrypoint: 'data.acme.authz' }, 'requestEntrypoint', /policy path/],
    ['bad response entrypoint', { responseEntrypoint: '/acme/filter' }, 'responseEntrypoint', /policy path/],
    ['bad stage name', { stageName: 'prod stage' }, 'stageName', /letters, digits/],
    ['unknown log level', { logLevel: 'trace' as never }, 'logLevel', /debug, info, warn, error/],
    ['global (CloudFront) web ACL', { webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1' }, 'webAclArn', /regional/],
    ['authorizer memory below Lambda\'s 128 MB', { authorizerMemorySize: 64 }, 'authorizerMemorySize', /between 128 and 10240/],
    ['fractional claims-proxy memory', { claimsProxyMemorySize: 512.5 }, 'claimsProxyMemorySize', /integer/],
    ['authorizer timeout above 29 s', { authorizerTimeout: Duration.seconds(30) }, 'authorizerTimeout', /between 1 s and 29 s/],
    ['authorizer timeout below 1 s', { authorizerTimeout: Duration.millis(500) }, 'authorizerTimeout', /between 1 s and 29 s/],
    ['claims-proxy timeout not above the backend timeout', { backendTimeout: Duration.seconds(5), claimsProxyTimeout: Duration.seconds(5) }, 'claimsProxyTimeout', /exceed backendTimeout/],
    ['claims-proxy timeout above 29 s', { claimsProxyTimeout: Duration.seconds(30) }, 'claimsProxyTimeout', /at most 29 s/],
    ['unknown log format', { logFormat: 'XML' as never }, 'logFormat', /TEXT or LoggingFormat.JSON/],
    ['missing handler bundle', { handlerBundles: { authorizer: '/nonexistent/handler', claimsProxy: '/nonexistent/handler' } }, 'handlerBundles.authorizer', /no index\.js/],
  ])('%s', (_name, overrides, prop, reason) => {
    expectRejected(overrides, prop, reason);
  });

  test('an http backend is accepted only with allowInsecureBackend, which tells the claims proxy too', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const api = new OpaAuthorizedApi(new Stack(app, 'S'), 'Api', testProps(bundle, { backendUrl: 'http://backend.internal:8080', allowInsecureBackend: true }));
    const template = Template.fromStack(Stack.of(api));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BACKEND_URL: 'http://backend.internal:8080', BACKEND_ALLOW_HTTP: 'true' }) },
    });
  });

  test('a policy is required: a Rego folder or a built bundle, never both', () => {
    expectRejected({ policyBundle: undefined }, 'policyDirectory', /is required/);
    expectRejected({ policyDirectory: bundle.dir }, 'policyDirectory', /not both/);
    expectRejected({ policyBundle: undefined, policyDirectory: path.join(bundle.dir, 'nope') }, 'policyDirectory', /not a directory/);
  });

  test('a Rego folder that does not compile stops the synth with the compiler\'s file:line:col', () => {
    const dir = fs.mkdtempSync(path.join(bundle.dir, 'rego-'));
    fs.writeFileSync(path.join(dir, 'authz.rego'), 'package acme.authz\n\ndecision := {"allow": x}\n');
    const message = buildErrorOf({ policyBundle: undefined, policyDirectory: dir });
    expect(message).toMatch(/authz\.rego:3:\d+/);
    expect(message).toMatch(/var x is unsafe/);
  });

  test('a Rego folder is compiled for exactly the construct\'s two entrypoints, and its data.json ships with it', () => {
    const dir = fs.mkdtempSync(path.join(bundle.dir, 'rego-'));
    fs.writeFileSync(path.join(dir, 'policy.rego'), 'package team.api\n\nrequest := {"allow": false}\n\nresponse := {"allow": false}\n');
    fs.writeFileSync(path.join(dir, 'data.json'), '{"team": {"owners": ["ops"]}}');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const api = new OpaAuthorizedApi(new Stack(app, 'S'), 'Api', testProps(bundle, {
      policyBundle: undefined,
      policyDirectory: dir,
      requestEntrypoint: 'team/api/request',
      responseEntrypoint: 'team/api/response',
    }));
    expect(api.config.policyBundle.dataFile).toBe(path.join(dir, 'data.json'));
    const wasm = fs.readFileSync(api.config.policyBundle.wasmFile);
    expect(wasm.subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    // The entrypoint names are in the module's plan; a third one is not.
    expect(wasm.includes(Buffer.from('team/api/request'))).toBe(true);
    expect(wasm.includes(Buffer.from('team/api/response'))).toBe(true);
    // With the default entrypoints, which this folder does not define: an error, not an empty policy.
    expect(buildErrorOf({ policyBundle: undefined, policyDirectory: dir })).toMatch(/acme\/authz\/decision/);
  });

  test('a missing policy wasm is rejected and the message says how to build it', () => {
    expectRejected({ policyBundle: { wasmFile: path.join(bundle.dir, 'missing.wasm') } }, 'policyBundle.wasmFile', /rego-wasm build/);
  });

  test('a policy file that is not WebAssembly is rejected', () => {
    const notWasm = path.join(bundle.dir, 'not.wasm');
    fs.writeFileSync(notWasm, 'package acme.authz\n');
    expectRejected({ policyBundle: { wasmFile: notWasm } }, 'policyBundle.wasmFile', /not a WebAssembly module/);
  });

  test('a data file that is not a JSON object is rejected', () => {
    const badJson = path.join(bundle.dir, 'bad.json');
    fs.writeFileSync(badJson, '{"routes": [');
    expectRejected({ policyBundle: { wasmFile: bundle.wasmFile, dataFile: badJson } }, 'policyBundle.dataFile', /not a readable JSON file/);
    const array = path.join(bundle.dir, 'array.json');
    fs.writeFileSync(array, '[1, 2]');
    expectRejected({ policyBundle: { wasmFile: bundle.wasmFile, dataFile: array } }, 'policyBundle.dataFile', /JSON object/);
  });
});
