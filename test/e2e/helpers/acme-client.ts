/** Small helpers shared by the e2e suites: tokens over HTTP, calls through the gateway, backend request log. */
import { requestToken, type TokenRequest } from '../../../local/okta/token-client';
import { rawRequest, type RawResponse } from '../../local/helpers/http';
import type { StackProcess } from './stack-process';

export async function userToken(stack: StackProcess, username: string, extra: Partial<TokenRequest> = {}): Promise<string> {
  return (await requestToken({ tokenEndpoint: stack.tokenEndpoint, username, ...extra })).accessToken;
}

export async function serviceToken(stack: StackProcess, clientId: string): Promise<string> {
  return (await requestToken({ tokenEndpoint: stack.tokenEndpoint, clientId })).accessToken;
}

export function call(stack: StackProcess, method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const h: Record<string, string> = { ...headers };
  if (token !== undefined) h.Authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  return rawRequest(stack.gateway, method, path, h, payload);
}

export interface BackendSeen {
  method: string;
  path: string;
  headerNames: string[];
  authzSub: string | null;
}

export async function backendRequests(stack: StackProcess): Promise<BackendSeen[]> {
  const res = await fetch(`${stack.backend}/__local/requests`);
  return ((await res.json()) as { requests: BackendSeen[] }).requests;
}
