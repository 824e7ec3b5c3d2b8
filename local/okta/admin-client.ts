/**
 * Talk to the running stand-in's LOCAL-ONLY admin endpoint (local/okta/server.ts
 * ADMIN_PATH): key rotation steps, JWKS and introspection outage switches, JWKS fetch count.
 * Shared by `npm run rotate-keys` and the tests.
 */
import { LocalStackError } from '../errors';
import { ADMIN_HEADER, ADMIN_PATH, type KeyAction, type OktaAdminStatus } from './server';

/** The admin endpoint is unreachable or refused the step (`status` 0 = unreachable). */
export class OktaAdminError extends LocalStackError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function admin(oktaBase: string, method: 'GET' | 'POST', route: string): Promise<OktaAdminStatus> {
  const url = `${oktaBase.replace(/\/+$/, '')}${ADMIN_PATH}${route}`;
  let res: Response;
  try {
    res = await fetch(url, { method, headers: { [ADMIN_HEADER]: '1', accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new OktaAdminError(0, `cannot reach ${url} (is "npm start" running?): ${(error as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    const desc = typeof body.error_description === 'string' ? body.error_description : `HTTP ${res.status}`;
    throw new OktaAdminError(res.status, desc);
  }
  return body as unknown as OktaAdminStatus;
}

export const oktaStatus = (oktaBase: string): Promise<OktaAdminStatus> => admin(oktaBase, 'GET', '/keys');
export const oktaKeys = (oktaBase: string, action: KeyAction): Promise<OktaAdminStatus> => admin(oktaBase, 'POST', `/keys/${action}`);
export const oktaJwksAvailable = (oktaBase: string, available: boolean): Promise<OktaAdminStatus> => admin(oktaBase, 'POST', available ? '/jwks/up' : '/jwks/down');
export const oktaIntrospectionAvailable = (oktaBase: string, available: boolean): Promise<OktaAdminStatus> =>
  admin(oktaBase, 'POST', available ? '/introspection/up' : '/introspection/down');

/** http://127.0.0.1:{OKTA_PORT or 9000} */
export function defaultOktaBase(env: NodeJS.ProcessEnv = process.env): string {
  const port = env.OKTA_PORT && env.OKTA_PORT !== '0' ? env.OKTA_PORT : '9000';
  return `http://127.0.0.1:${port}`;
}
