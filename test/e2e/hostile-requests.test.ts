/**
 * Hostile requests against the real local stack (`npm start` as a child
 * process), per class: paths, methods, headers, encodings, bodies, cache and
 * logs. Each answer must follow DESIGN.md §7: a 401 when the token is bad, a
 * 403 (Deny) for a request that cannot be allowed exactly, never a 5xx for
 * something a client chose, never an error-level log line an anonymous caller
 * can trigger, and never a token in a log.
 */
import * as net from 'node:net';
import { call, userToken } from './helpers/acme-client';
import { startStackProcess, type StackProcess } from './helpers/stack-process';
import { rawRequest, type RawResponse } from '../local/helpers/http';
import { accessLogFormat } from '../../cdk/construct/access-log';

let stack: StackProcess;
let alice: string;

beforeAll(async () => {
  stack = await startStackProcess();
  alice = await userToken(stack, 'alice');
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

const OWN = '/v1/claims/enrollee/1001';

/** Parsed JSON log lines the stack printed since `from` (an offset into its output). */
function logLinesSince(from: number): Array<Record<string, unknown>> {
  return stack
    .output()
    .slice(from)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Run `fn`, then hand back what was logged meanwhile (after the gateway's line for the last request). */
async function logged<T>(fn: () => Promise<T>): Promise<{ value: T; lines: Array<Record<string, unknown>> }> {
  const from = stack.output().length;
  const value = await fn();
  // The gateway writes its line after the response; give the child a moment to flush.
  await new Promise((r) => setTimeout(r, 150));
  return { value, lines: logLinesSince(from) };
}

function expectNoErrorLogs(lines: Array<Record<string, unknown>>): void {
  expect(lines.filter((l) => l.level === 'error')).toEqual([]);
}

function expectNot5xx(res: RawResponse): void {
  expect(res.status).toBeLessThan(500);
}

describe('paths the authorizer cannot turn into an exact ARN', () => {
  test.each([
    ['a * in the path', `${OWN}*`],
    ['a * inside a segment', '/v1/claims/enrollee/100*'],
    ['an encoded ? in the path', `${OWN}%3F`],
    ['a path whose ARN is over 512 characters', `/v1/claims/enrollee/${'1'.repeat(460)}`],
  ])('%s: 401 without a token, 401 with a bad one, 403 with a good one; never 5xx, never an error log', async (_name, path) => {
    const { value, lines } = await logged(async () => ({
      none: await call(stack, 'GET', path, undefined),
      bad: await call(stack, 'GET', path, 'not.a.jwt'),
      good: await call(stack, 'GET', path, alice),
    }));
    expect(value.none.status).toBe(401);
    expect(value.bad.status).toBe(401);
    expect(value.good.status).toBe(403);
    expectNoErrorLogs(lines);
  });
});

describe('methods', () => {
  test.each(['M-SEARCH', 'PROPFIND', 'PURGE'])('%s (outside API Gateway\'s set): 401 without a token, 403 with one, never 5xx', async (method) => {
    const { value, lines } = await logged(async () => ({
      none: await call(stack, method, OWN, undefined),
      good: await call(stack, method, OWN, alice),
    }));
    expect(value.none.status).toBe(401);
    expect(value.good.status).toBe(403);
    expectNoErrorLogs(lines);
  });
});

describe('bodies', () => {
  test.each(['GET', 'HEAD'])('a %s with a body is answered as without one (body dropped), never a false 502', async (method) => {
    const without = await rawRequest(stack.gateway, method, OWN, { Authorization: `Bearer ${alice}` });
    const { value, lines } = await logged(() => rawRequest(stack.gateway, method, OWN, { Authorization: `Bearer ${alice}`, 'content-type': 'application/json', 'content-length': '15' }, '{"padding":"x"}'));
    expect(without.status).toBe(method === 'GET' ? 200 : 403);
    expect(value.status).toBe(without.status);
    expectNoErrorLogs(lines);
  });

  test('a body over the gateway limit is 413 before the authorizer', async () => {
    const res = await rawRequest(stack.gateway, 'POST', OWN, { Authorization: `Bearer ${alice}`, 'content-length': String(11 * 1024 * 1024) }, 'x');
    expect(res.status).toBe(413);
  });
});

describe('header and query names that collide with Object.prototype', () => {
  const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];

  test.each(NAMES)('a header named %s: the same answer as without it (200), no error log', async (name) => {
    const { value, lines } = await logged(() => call(stack, 'GET', OWN, alice, undefined, { [name]: 'x' }));
    expect(value.status).toBe(200);
    expectNoErrorLogs(lines);
  });

  test.each(NAMES)('a query parameter named %s (twice): 200, no error log', async (name) => {
    const { value, lines } = await logged(() => call(stack, 'GET', `${OWN}?${name}=1&${name}=2`, alice));
    expect(value.status).toBe(200);
    expectNoErrorLogs(lines);
  });

  test('without a token these names still get a plain 401', async () => {
    const res = await call(stack, 'GET', `${OWN}?constructor=1`, undefined, undefined, { constructor: 'x', toString: 'y' });
    expect(res.status).toBe(401);
  });
});

describe('token encodings: one token, one spelling', () => {
  test.each([
    ['= appended', (t: string) => `${t}=`],
    ['== appended', (t: string) => `${t}==`],
    ['= after the header part', (t: string) => t.replace('.', '=.')],
  ])('a genuine token re-spelt with %s is 401, and is not cached as a new identity', async (_n, respell) => {
    const res = await call(stack, 'GET', OWN, respell(alice));
    expect(res.status).toBe(401);
    expect((await call(stack, 'GET', OWN, alice)).status).toBe(200);
  });
});

describe('logs', () => {
  test('the deployed access-log format stays one JSON object with its own keys whatever a client puts in a value', () => {
    // What API Gateway generates or validates itself; every other $context
    // variable (User-Agent, path, principal, error messages...) is treated as
    // client-controlled, because API Gateway substitutes values unescaped.
    const generated: Record<string, string> = {
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', extendedRequestId: 'Ab1=', requestTime: '03/Dec/2026:10:00:00 +0000',
      'identity.sourceIp': '203.0.113.7', httpMethod: 'GET', resourcePath: '/{proxy+}', protocol: 'HTTP/1.1', status: '403',
      responseLength: '12', responseLatency: '5', 'authorizer.decisionId': 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', 'authorizer.status': '200',
      'authorizer.latency': '3', integrationStatus: '200', integrationLatency: '4', 'error.responseType': 'ACCESS_DENIED',
      'identity.apiKeyId': 'abc123', xrayTraceId: 'Root=1-5e1b4151-5ac6c58f5b5daa6532e4f2e4',
    };
    const hostile = ['","forged":"1', '\\"},{"forged":1,"x":"', 'a"b\\c\n{"forged":true}'];
    const format = accessLogFormat().toString();
    const keys = Object.keys(JSON.parse(format.replace(/\$context\.[A-Za-z.]+/g, 'x')) as object);
    for (const value of hostile) {
      const line = format.replace(/\$context\.([A-Za-z.]+)/g, (_m, name: string) => generated[name] ?? value);
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(keys);
      expect(JSON.stringify(parsed)).not.toContain('forged');
    }
    expect(keys).toContain('requestId');
  });

  test('no token appears in any log line of the stack, and a hostile User-Agent cannot forge a gateway log field', async () => {
    const { lines } = await logged(() => call(stack, 'GET', OWN, alice, undefined, { 'user-agent': '","level":"error","forged":"1' }));
    expect(lines.some((l) => 'forged' in l)).toBe(false);
    expectNoErrorLogs(lines);
    expect(stack.output()).not.toContain(alice.split('.')[2]);
  });
});

describe('requests Node refuses before the gateway code still leave a log line', () => {
  /** Send raw bytes and read the whole answer (the server closes the connection). */
  function rawExchange(bytes: string): Promise<string> {
    const { port } = new URL(stack.gateway);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let out = '';
      socket.on('data', (c: Buffer) => {
        out += c.toString('latin1');
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(out));
      socket.write(bytes);
    });
  }

  test.each([
    ['a header block over the size limit', `GET ${OWN} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`, 431],
    ['a malformed header line', `GET ${OWN} HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n`, 400],
    ['Content-Length together with Transfer-Encoding', `POST ${OWN} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ])('%s: %s... answered with its status and logged', async (_name, bytes, status) => {
    const { value, lines } = await logged(() => rawExchange(bytes as string));
    expect(value.startsWith(`HTTP/1.1 ${status as number} `)).toBe(true);
    const refusals = lines.filter((l) => l.component === 'gateway' && String(l.reason).startsWith('refused_by_http_parser:'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ status });
    expectNoErrorLogs(lines);
  });
});

describe('cache', () => {
  const gatewayLine = (lines: Array<Record<string, unknown>>): Record<string, unknown> | undefined => lines.find((l) => l.component === 'gateway');

  test('a cached Allow is replayed only for the same method and path; a Deny for a wildcard path never shadows the exact one', async () => {
    await call(stack, 'GET', OWN, alice);
    const again = await logged(() => call(stack, 'GET', OWN, alice));
    expect(again.value.status).toBe(200);
    expect(gatewayLine(again.lines)).toMatchObject({ authorizer: 'cache-hit' });

    const other = await logged(() => call(stack, 'GET', '/v1/claims/enrollee/2001', alice));
    expect(gatewayLine(other.lines)).toMatchObject({ authorizer: 'invoked' });
    expect((await call(stack, 'DELETE', OWN, alice)).status).toBe(403);

    expect((await call(stack, 'GET', '/v1/claims/enrollee/100*', alice)).status).toBe(403);
    expect((await call(stack, 'GET', OWN, alice)).status).toBe(200);
  });

  test('a re-spelt token is refused before the cache could key on it', async () => {
    const first = await logged(() => call(stack, 'GET', OWN, `${alice}=`));
    const second = await logged(() => call(stack, 'GET', OWN, `${alice}=`));
    expect([first.value.status, second.value.status]).toEqual([401, 401]);
    // Unauthorized answers are never cached: the authorizer refuses every attempt.
    expect(gatewayLine(second.lines)).toMatchObject({ authorizer: 'invoked', status: 401 });
  });
});
