/**
 * One incoming HTTP request as API Gateway sees it, and the two Lambda events
 * built from it: the REQUEST authorizer event (reference §1.1) and the REST
 * proxy integration event. The path stays exactly as received (percent
 * escapes included); API Gateway decodes query-string values.
 */
import type { APIGatewayEventClientCertificate, APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { nameMap } from '../../functions/shared/request-input';

export interface ApiIdentity {
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
  readonly domainName: string;
}

export interface GatewayRequest {
  readonly method: string;
  /** Path without the stage, as received (not decoded). */
  readonly path: string;
  readonly rawQuery: string;
  /** Header pairs in arrival order, names in their original casing. */
  readonly headerPairs: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly receivedAt: Date;
  /** Matched route: resource template and path parameters. */
  readonly resource: string;
  readonly resourceId: string;
  readonly pathParameters: Readonly<Record<string, string>> | null;
  /** The verified client certificate of a mutual-TLS connection (gateway on TLS), else absent. */
  readonly clientCert?: APIGatewayEventClientCertificate | null;
}

export function methodArn(api: ApiIdentity, method: string, path: string): string {
  return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/${method}${path}`;
}

function headerMaps(pairs: GatewayRequest['headerPairs']): { single: Record<string, string>; multi: Record<string, string[]> } {
  const single = nameMap<string>();
  const multi = nameMap<string[]>();
  for (const [name, value] of pairs) {
    // API Gateway keeps the last value in `headers` and all of them in `multiValueHeaders`.
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return { single, multi };
}

function queryMaps(rawQuery: string): { single: Record<string, string> | null; multi: Record<string, string[]> | null } {
  if (rawQuery === '') return { single: null, multi: null };
  const single = nameMap<string>();
  const multi = nameMap<string[]>();
  for (const [k, v] of new URLSearchParams(rawQuery)) {
    single[k] = v;
    (multi[k] ??= []).push(v);
  }
  return { single, multi };
}

export function headerValue(req: GatewayRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let found: string | undefined;
  for (const [k, v] of req.headerPairs) if (k.toLowerCase() === wanted) found = v;
  return found;
}

function userAgent(req: GatewayRequest): string | null {
  return headerValue(req, 'user-agent') ?? null;
}

function baseRequestContext(api: ApiIdentity, req: GatewayRequest) {
  return {
    accountId: api.accountId,
    apiId: api.apiId,
    domainName: api.domainName,
    domainPrefix: api.domainName.split('.')[0] ?? api.domainName,
    extendedRequestId: req.requestId,
    httpMethod: req.method,
    identity: {
      accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: req.clientCert ?? null,
      cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
      cognitoIdentityPoolId: null, principalOrgId: null, sourceIp: req.sourceIp, user: null,
      userAgent: userAgent(req), userArn: null,
    },
    path: `/${api.stage}${req.path}`,
    protocol: 'HTTP/1.1',
    requestId: req.requestId,
    requestTime: formatRequestTime(req.receivedAt),
    requestTimeEpoch: req.receivedAt.getTime(),
    resourceId: req.resourceId,
    resourcePath: req.resource,
    stage: api.stage,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** API Gateway's `requestTime` format: 23/Nov/2026:10:11:26 +0000. */
function formatRequestTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export function buildAuthorizerEvent(api: ApiIdentity, req: GatewayRequest): APIGatewayRequestAuthorizerEvent {
  const headers = headerMaps(req.headerPairs);
  const query = queryMaps(req.rawQuery);
  return {
    type: 'REQUEST',
    methodArn: methodArn(api, req.method, req.path),
    resource: req.resource,
    path: req.path,
    httpMethod: req.method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    pathParameters: req.pathParameters ? Object.assign(nameMap<string>(), req.pathParameters) : null,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    stageVariables: null,
    requestContext: baseRequestContext(api, req),
  } as APIGatewayRequestAuthorizerEvent;
}

function bodyOf(body: Buffer): { body: string | null; isBase64Encoded: boolean } {
  if (body.length === 0) return { body: null, isBase64Encoded: false };
  const text = body.toString('utf8');
  // Round-trips only for valid UTF-8; anything else goes base64 like a binary media type.
  if (Buffer.from(text, 'utf8').equals(body)) return { body: text, isBase64Encoded: false };
  return { body: body.toString('base64'), isBase64Encoded: true };
}

export function buildProxyEvent(
  api: ApiIdentity,
  req: GatewayRequest,
  authorizer: Record<string, string | number | null>,
): APIGatewayProxyEvent {
  const headers = headerMaps(req.headerPairs);
  const query = queryMaps(req.rawQuery);
  return {
    resource: req.resource,
    path: req.path,
    httpMethod: req.method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: req.pathParameters ? Object.assign(nameMap<string>(), req.pathParameters) : null,
    stageVariables: null,
    requestContext: { ...baseRequestContext(api, req), authorizer },
    ...bodyOf(req.body),
  } as APIGatewayProxyEvent;
}
