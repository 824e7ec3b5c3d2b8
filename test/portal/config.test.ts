/** The portal's config.json is checked before anything uses it: a bad file is an error on the page, not a login to the wrong place. */
import { ConfigError, parseConfig } from '../../portal/src/config';

const GOOD = { apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/', issuer: 'https://acme.okta.com/oauth2/default', clientId: '0oa1b2c3d4e5f6g7h8i9' };

test('a deployed configuration: trailing slashes dropped, default scopes', () => {
  expect(parseConfig(GOOD)).toEqual({
    apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
    issuer: 'https://acme.okta.com/oauth2/default',
    clientId: '0oa1b2c3d4e5f6g7h8i9',
    scopes: 'openid profile email claims:read claims:write',
  });
});

test('http only for loopback (the local stack)', () => {
  expect(parseConfig({ ...GOOD, apiUrl: 'http://127.0.0.1:3000', issuer: 'http://localhost:9000/oauth2/default' }).apiUrl).toBe('http://127.0.0.1:3000');
  expect(() => parseConfig({ ...GOOD, issuer: 'http://acme.okta.com/oauth2/default' })).toThrow(/issuer must be https/);
});

test.each([
  ['not an object', null, /JSON object/],
  ['no client id', { ...GOOD, clientId: undefined }, /clientId/],
  ['a client id with markup', { ...GOOD, clientId: '<script>' }, /clientId/],
  ['a javascript: api url', { ...GOOD, apiUrl: 'javascript:alert(1)' }, /apiUrl must be https/],
  ['an api url that is not a URL', { ...GOOD, apiUrl: 'claims' }, /apiUrl is not a URL/],
  ['scopes with a newline', { ...GOOD, scopes: 'openid\nprofile' }, /scopes/],
])('refused: %s', (_name, raw, message) => {
  expect(() => parseConfig(raw)).toThrow(ConfigError);
  expect(() => parseConfig(raw)).toThrow(message);
});
