/**
 * The portal's runtime configuration, `config.json` next to `index.html`:
 * the same bundle runs against the local stack (`npm start` writes it) and
 * a deployed one (you write it; see portal/README.md).
 */
export interface PortalConfig {
  /** The API's invoke URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/prod`. */
  readonly apiUrl: string;
  /** The Okta authorization server, e.g. `https://acme.okta.com/oauth2/default`. */
  readonly issuer: string;
  /** The Okta SPA app's client id. */
  readonly clientId: string;
  /** Scopes to request. */
  readonly scopes: string;
}

export class ConfigError extends Error {}

function url(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new ConfigError(`config.json: ${name} must be a string`);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`config.json: ${name} is not a URL`);
  }
  const loopback = parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost';
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) throw new ConfigError(`config.json: ${name} must be https`);
  return value.replace(/\/+$/, '');
}

export function parseConfig(raw: unknown): PortalConfig {
  if (typeof raw !== 'object' || raw === null) throw new ConfigError('config.json must be a JSON object');
  const r = raw as Record<string, unknown>;
  if (typeof r.clientId !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(r.clientId)) throw new ConfigError('config.json: clientId is missing or malformed');
  const scopes = r.scopes === undefined ? 'openid profile email claims:read claims:write' : r.scopes;
  if (typeof scopes !== 'string' || !/^[A-Za-z0-9:._ -]{1,512}$/.test(scopes)) throw new ConfigError('config.json: scopes must be a space-separated string');
  return { apiUrl: url('apiUrl', r.apiUrl), issuer: url('issuer', r.issuer), clientId: r.clientId, scopes };
}

export async function loadConfig(): Promise<PortalConfig> {
  const res = await fetch('config.json', { cache: 'no-store' });
  if (!res.ok) throw new ConfigError(`config.json: HTTP ${res.status}`);
  return parseConfig(await res.json());
}
