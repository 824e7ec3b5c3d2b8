/**
 * The authorizer's introspection step (functions/authorizer/introspection-step.ts)
 * with the real token verifier and the real introspection client against the
 * stand-in's introspection service: which requests are introspected (mode
 * all / policy), `input.token.validation`, 401 for a revoked token, 503 when
 * introspection is down, and the per-product downgrade to local validation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createAuthorizer, UNAUTHORIZED, UNAVAILABLE, type AuthorizerHandler } from '../../functions/authorizer/authorizer';
import type { IntrospectionMode } from '../../functions/shared/config';
import { createIntrospector } from '../../functions/shared/introspection';
import { createTokenVerifier } from '../../functions/shared/token-verifier';
import { resultOf, scriptedEngine } from './support/engines';
import { GATEWAY_CLIENT, startIntrospectionServer, type IntrospectionServer } from './support/introspection-server';
import { AUDIENCE } from './support/jwt';
import { captureLogs, type Captured } from './support/logs';

const EVENTS = path.join(__dirname, '..', 'events');
const event = (token: string): APIGatewayRequestAuthorizerEvent =>
  JSON.parse(fs.readFileSync(path.join(EVENTS, 'authorizer-get-own-record.json'), 'utf8').replaceAll('__ACCESS_TOKEN__', token)) as APIGatewayRequestAuthorizerEvent;

let idp: IntrospectionServer;
beforeAll(async () => {
  idp = await startIntrospectionServer();
});
afterAll(() => idp.close());
beforeEach(() => idp.service.setAvailable(true));

type Requirement = Record<string, unknown> | 'none';

/** An engine that answers the introspection entrypoint with `requirement` and allows every decision. */
function engineWith(requirement: Requirement): ReturnType<typeof scriptedEngine> {
  return scriptedEngine((entrypoint) => {
    if (entrypoint === 'acme/authz/introspection') return requirement === 'none' ? [] : resultOf(requirement);
    return resultOf({ allow: true, reason: 'own_record' });
  });
}

function authorizer(engine: ReturnType<typeof scriptedEngine>, logs: Captured, mode: IntrospectionMode | 'off'): AuthorizerHandler {
  return createAuthorizer({
    config: { apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, requestEntrypoint: 'acme/authz/decision', apiProduct: undefined },
    verifier: createTokenVerifier({
      issuers: [idp.issuer], audiences: [AUDIENCE], jwksUris: [`${idp.issuer}/v1/keys`], algorithms: ['RS256'],
      clockSkewSeconds: 60, jwksMaxAgeSeconds: 900, jwksFetchTimeoutMs: 500,
    }),
    engine: Promise.resolve(engine),
    logger: logs.logger,
    decisions: logs.decisions,
    introspection: mode === 'off' ? undefined : {
      mode,
      entrypoint: 'acme/authz/introspection',
      introspector: createIntrospector({
        endpoint: new URL(idp.endpoint), clientId: GATEWAY_CLIENT.clientId, clientAuth: 'private_key_jwt',
        credentials: () => Promise.resolve({ kind: 'private_key', key: idp.gatewayKey, kid: undefined }),
        timeoutMs: 500, cacheMaxTtlSeconds: 0, cacheMaxEntries: 10,
      }),
    },
  });
}

async function thrown(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('resolved');
}

const decisionInput = (engine: ReturnType<typeof scriptedEngine>): Record<string, unknown> | undefined =>
  engine.calls.find((c) => c.entrypoint === 'acme/authz/decision')?.input;

describe('which validation the policy sees', () => {
  it('off (the default): local, and the issuer is never asked', async () => {
    const engine = engineWith({ required: true });
    const before = idp.service.status().introspections;
    const result = await authorizer(engine, captureLogs(), 'off')(event(idp.token()));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(decisionInput(engine)?.token).toMatchObject({ validation: 'local' });
    expect(idp.service.status().introspections).toBe(before);
  });

  it('all: every request is introspected, and the policy sees "introspected"', async () => {
    const engine = engineWith('none');
    const result = await authorizer(engine, captureLogs(), 'all')(event(idp.token()));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(decisionInput(engine)?.token).toMatchObject({ validation: 'introspected' });
    expect(engine.calls.map((c) => c.entrypoint)).toEqual(['acme/authz/decision']);
  });

  it('policy: not required → local, no introspection request', async () => {
    const engine = engineWith({ required: false });
    const before = idp.service.status().introspections;
    await authorizer(engine, captureLogs(), 'policy')(event(idp.token()));
    expect(decisionInput(engine)?.token).toMatchObject({ validation: 'local' });
    expect(idp.service.status().introspections).toBe(before);
    // The requirement is asked with the request input, validation still local.
    expect(engine.calls[0]).toMatchObject({ entrypoint: 'acme/authz/introspection', input: { method: 'GET', token: { validation: 'local' } } });
  });

  it('policy: required → introspected', async () => {
    const engine = engineWith({ required: true, on_unavailable: 'fail_closed' });
    await authorizer(engine, captureLogs(), 'policy')(event(idp.token()));
    expect(decisionInput(engine)?.token).toMatchObject({ validation: 'introspected' });
  });

  it.each<[string, Requirement]>([
    ['undefined', 'none'],
    ['not an object', { required: 'yes' }],
    ['an unknown on_unavailable', { required: true, on_unavailable: 'allow' }],
  ])('policy: a requirement that is %s is a Deny (fail closed), never a skipped introspection', async (_what, requirement) => {
    const engine = engineWith(requirement);
    const result = await authorizer(engine, captureLogs(), 'policy')(event(idp.token()));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(decisionInput(engine)).toBeUndefined();
  });
});

describe('refusals and failures', () => {
  it('a revoked token is 401 (token_inactive) and the decision policy never runs', async () => {
    const jwt = idp.token();
    await idp.revoke(jwt);
    const logs = captureLogs();
    const engine = engineWith({ required: true });
    expect(await thrown(authorizer(engine, logs, 'all')(event(jwt)))).toBe(UNAUTHORIZED);
    expect(decisionInput(engine)).toBeUndefined();
    expect(logs.summary()).toMatchObject({ type: 'decision', result: 'unauthorized', reason: 'token_inactive' });
    expect(logs.text()).not.toContain(jwt);
  });

  it('introspection down, fail_closed: 503 (Authorizer unavailable), logged as an error', async () => {
    idp.service.setAvailable(false);
    const logs = captureLogs();
    const jwt = idp.token();
    expect(await thrown(authorizer(engineWith({ required: true, on_unavailable: 'fail_closed' }), logs, 'policy')(event(jwt)))).toBe(UNAVAILABLE);
    expect(logs.parsed().find((l) => l.level === 'error')).toMatchObject({ reason: 'introspection_error' });
    expect(logs.text()).not.toContain(jwt);
  });

  it('introspection down in mode all: 503 even if the policy would allow a downgrade', async () => {
    idp.service.setAvailable(false);
    expect(await thrown(authorizer(engineWith({ required: true, on_unavailable: 'local' }), captureLogs(), 'all')(event(idp.token())))).toBe(UNAVAILABLE);
  });

  it('introspection down, on_unavailable local: the policy decides on local validation and the downgrade is logged', async () => {
    idp.service.setAvailable(false);
    const logs = captureLogs();
    const engine = engineWith({ required: true, on_unavailable: 'local' });
    const result = await authorizer(engine, logs, 'policy')(event(idp.token()));
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
    expect(decisionInput(engine)?.token).toMatchObject({ validation: 'local' });
    const warn = logs.parsed().find((l) => l.level === 'warn');
    expect(warn).toMatchObject({ reason: 'introspection_error', decisionId: result.context?.decisionId });
    expect(String(warn?.message)).toMatch(/DOWNGRADED/);
  });

  it('a revoked token is still 401 with on_unavailable local (a downgrade is only for an unavailable issuer)', async () => {
    const jwt = idp.token();
    await idp.revoke(jwt);
    expect(await thrown(authorizer(engineWith({ required: true, on_unavailable: 'local' }), captureLogs(), 'policy')(event(jwt)))).toBe(UNAUTHORIZED);
  });
});
