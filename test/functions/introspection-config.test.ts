/** INTROSPECTION_* configuration (functions/shared/config.ts): off by default, credentials never from environment values. */
import { loadAuthorizerConfig } from '../../functions/shared/config';
import { ConfigError } from '../../functions/shared/errors';

const BASE = { OKTA_ISSUER: 'https://acme.okta.com/oauth2/default', OKTA_AUDIENCE: 'api://default' };
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/introspection-AbCdEf';
const load = (env: Record<string, string>) => loadAuthorizerConfig({ ...BASE, ...env }, '/handler');

function configError(env: Record<string, string>): string {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('introspection configuration', () => {
  it('is off unless INTROSPECTION_MODE says policy or all', () => {
    expect(load({}).introspection).toBeUndefined();
    expect(load({ INTROSPECTION_MODE: 'off' }).introspection).toBeUndefined();
    expect(configError({ INTROSPECTION_MODE: 'sometimes' })).toMatch(/INTROSPECTION_MODE/);
  });

  it('defaults: Okta endpoint of the issuer, private_key_jwt, 1.5 s timeout, 30 s cache, the policy entrypoint', () => {
    expect(load({ INTROSPECTION_MODE: 'policy', INTROSPECTION_CLIENT_ID: 'acme-api-gateway', INTROSPECTION_SECRET_ARN: ARN }).introspection).toEqual({
      mode: 'policy',
      endpoint: new URL('https://acme.okta.com/oauth2/default/v1/introspect'),
      clientId: 'acme-api-gateway',
      clientAuth: 'private_key_jwt',
      credentials: { kind: 'secrets_manager', secretArn: ARN },
      timeoutMs: 1500,
      cacheMaxTtlSeconds: 30,
      cacheMaxEntries: 10_000,
      entrypoint: 'acme/authz/introspection',
    });
  });

  it('needs a client id and a credential source; a secret value in the environment is not one', () => {
    expect(configError({ INTROSPECTION_MODE: 'all', INTROSPECTION_SECRET_ARN: ARN })).toMatch(/INTROSPECTION_CLIENT_ID/);
    const msg = configError({ INTROSPECTION_MODE: 'all', INTROSPECTION_CLIENT_ID: 'c', INTROSPECTION_CLIENT_SECRET: 'plain-secret' });
    expect(msg).toMatch(/INTROSPECTION_SECRET_ARN is required/);
    expect(msg).not.toContain('plain-secret');
    expect(configError({ INTROSPECTION_MODE: 'all', INTROSPECTION_CLIENT_ID: 'c', INTROSPECTION_SECRET_ARN: 'my-secret-value' })).toMatch(/not a Secrets Manager secret ARN/);
  });

  it('a credentials file is for the local stack: refused inside Lambda', () => {
    const env = { INTROSPECTION_MODE: 'all', INTROSPECTION_CLIENT_ID: 'c', INTROSPECTION_CREDENTIALS_FILE: 'creds.json' };
    expect(load(env).introspection?.credentials).toEqual({ kind: 'file', path: expect.stringMatching(/creds\.json$/) });
    expect(configError({ ...env, AWS_LAMBDA_FUNCTION_NAME: 'authorizer' })).toMatch(/local stack only/);
    expect(configError({ ...env, INTROSPECTION_SECRET_ARN: ARN })).toMatch(/not both/);
  });

  it('validates the method, the endpoint and the bounds', () => {
    const ok = { INTROSPECTION_MODE: 'all', INTROSPECTION_CLIENT_ID: 'c', INTROSPECTION_SECRET_ARN: ARN };
    expect(configError({ ...ok, INTROSPECTION_CLIENT_AUTH: 'none' })).toMatch(/INTROSPECTION_CLIENT_AUTH/);
    expect(configError({ ...ok, INTROSPECTION_ENDPOINT: 'http://okta.example/v1/introspect' })).toMatch(/https/);
    expect(configError({ ...ok, INTROSPECTION_CACHE_TTL_SECONDS: '3600' })).toMatch(/between 0 and 300/);
    expect(load({ ...ok, INTROSPECTION_CACHE_TTL_SECONDS: '0' }).introspection?.cacheMaxTtlSeconds).toBe(0);
    expect(configError({ ...ok, OKTA_ISSUER: 'https://a.okta.com/oauth2/default,https://b.okta.com/oauth2/default' })).toMatch(/INTROSPECTION_ENDPOINT is required/);
  });
});
