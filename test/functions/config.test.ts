/** Environment configuration: defaults, validation with the variable's name, safe URL rules. */
import { loadAuthorizerConfig, loadClaimsProxyConfig } from '../../functions/shared/config';
import { ConfigError } from '../../functions/shared/errors';

const base = { OKTA_ISSUER: 'https://acme.okta.com/oauth2/default', OKTA_AUDIENCE: 'api://default' };

describe('authorizer configuration', () => {
  it('defaults: Okta JWKS path, RS256, 60 s skew, 900 s JWKS age, 2 s fetch timeout, policy files next to the handler', () => {
    const c = loadAuthorizerConfig(base, '/var/task');
    expect(c.jwksUris).toEqual(['https://acme.okta.com/oauth2/default/v1/keys']);
    expect(c.algorithms).toEqual(['RS256']);
    expect(c.clockSkewSeconds).toBe(60);
    expect(c.jwksMaxAgeSeconds).toBe(900);
    expect(c.jwksFetchTimeoutMs).toBe(2000);
    expect(c.policy.wasmPath).toBe('/var/task/policy.wasm');
    expect(c.policy.dataPath).toBe('/var/task/data.json');
    expect(c.requestEntrypoint).toBe('acme/authz/decision');
    expect(c.apiKeyHeader).toBe('x-api-key');
  });

  it('comma-separated issuers and audiences, one JWKS URI per issuer', () => {
    const c = loadAuthorizerConfig({ ...base, OKTA_ISSUER: 'https://a.example/oauth2/x, https://b.example/oauth2/y', OKTA_AUDIENCE: 'api://a,api://b' }, '/t');
    expect(c.issuers).toEqual(['https://a.example/oauth2/x', 'https://b.example/oauth2/y']);
    expect(c.audiences).toEqual(['api://a', 'api://b']);
    expect(c.jwksUris).toEqual(['https://a.example/oauth2/x/v1/keys', 'https://b.example/oauth2/y/v1/keys']);
  });

  it.each([
    [{ OKTA_ISSUER: undefined }, 'OKTA_ISSUER'],
    [{ OKTA_AUDIENCE: '' }, 'OKTA_AUDIENCE'],
    [{ OKTA_ISSUER: 'http://acme.okta.com/oauth2/default' }, 'OKTA_ISSUER'],
    [{ OKTA_JWKS_URI: 'http://evil.example/keys' }, 'OKTA_JWKS_URI'],
    [{ JWT_ALGORITHMS: 'HS256' }, 'JWT_ALGORITHMS'],
    [{ JWT_ALGORITHMS: 'none' }, 'JWT_ALGORITHMS'],
    [{ JWT_CLOCK_SKEW_SECONDS: '-5' }, 'JWT_CLOCK_SKEW_SECONDS'],
    [{ JWKS_MAX_AGE_SECONDS: 'soon' }, 'JWKS_MAX_AGE_SECONDS'],
    [{ POLICY_REQUEST_ENTRYPOINT: 'data.acme.authz' }, 'POLICY_REQUEST_ENTRYPOINT'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
  ])('%j is refused naming %s', (env, name) => {
    expect(() => loadAuthorizerConfig({ ...base, ...env }, '/t')).toThrow(ConfigError);
    expect(() => loadAuthorizerConfig({ ...base, ...env }, '/t')).toThrow(name);
  });

  it('plain http is allowed for loopback only (local Okta stand-in)', () => {
    expect(loadAuthorizerConfig({ ...base, OKTA_ISSUER: 'http://127.0.0.1:9000/oauth2/default' }, '/t').jwksUris).toEqual(['http://127.0.0.1:9000/oauth2/default/v1/keys']);
  });
});

describe('claims proxy configuration', () => {
  it('requires BACKEND_URL and defaults the timeout (3 s) and response cap (1 MiB)', () => {
    expect(() => loadClaimsProxyConfig({}, '/t')).toThrow('BACKEND_URL');
    const c = loadClaimsProxyConfig({ BACKEND_URL: 'https://claims.internal.example/api' }, '/t');
    expect(c.backendTimeoutMs).toBe(3000);
    expect(c.maxResponseBytes).toBe(1_048_576);
    expect(c.responseEntrypoint).toBe('acme/filter/response');
  });

  it.each([
    ['https://svc:s3cr3t-pw@claims.internal.example/api'],
    ['http://svc:s3cr3t-pw@claims.internal.example'],
    ['not a url s3cr3t-pw'],
  ])('refuses %s without echoing it (logs would keep the secret)', (url) => {
    let caught: unknown;
    try {
      loadClaimsProxyConfig({ BACKEND_URL: url, BACKEND_ALLOW_HTTP: 'true' }, '/t');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain('BACKEND_URL');
    expect((caught as Error).message).not.toContain('s3cr3t-pw');
  });

  it('refuses an Okta JWKS URI with credentials', () => {
    expect(() => loadAuthorizerConfig({ ...base, OKTA_JWKS_URI: 'https://u:p@acme.okta.com/oauth2/default/v1/keys' }, '/t')).toThrow('OKTA_JWKS_URI must not carry credentials');
  });

  it('refuses a non-loopback http backend unless BACKEND_ALLOW_HTTP=true', () => {
    expect(() => loadClaimsProxyConfig({ BACKEND_URL: 'http://claims.internal.example' }, '/t')).toThrow(ConfigError);
    expect(loadClaimsProxyConfig({ BACKEND_URL: 'http://claims.internal.example', BACKEND_ALLOW_HTTP: 'true' }, '/t').backendUrl.host).toBe('claims.internal.example');
  });
});
