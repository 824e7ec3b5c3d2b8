/**
 * The JWKS fetcher on Node's http client (not the global fetch, for the cold
 * start): the body it returns, and each way a fetch fails closed — redirects
 * are not followed, a body that stalls after the headers times out, a body
 * over the cap is cut off, only http(s) URIs are fetched.
 */
import { JwksUnavailableError } from '../../functions/shared/errors';
import { JwksFetcher, MAX_JWKS_BYTES } from '../../functions/shared/jwks-fetcher';
import { startServer, type LocalServer } from './support/servers';

const JWKS = JSON.stringify({ keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] });
let server: LocalServer;

beforeAll(async () => {
  server = await startServer((req, res) => {
    if (req.url === '/keys') res.writeHead(200, { 'content-type': 'application/json' }).end(JWKS);
    else if (req.url === '/moved') res.writeHead(302, { location: '/keys' }).end();
    else if (req.url === '/stall') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys": [');
    } else if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"keys": [], "pad": "${'x'.repeat(MAX_JWKS_BYTES)}"}`);
    } else res.writeHead(404).end();
  });
});
afterAll(() => server.close());

async function failure(uri: string, timeoutMs = 2000): Promise<JwksUnavailableError> {
  const error = await new JwksFetcher(timeoutMs).fetch(uri).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JwksUnavailableError);
  return error as JwksUnavailableError;
}

test('returns the body of a 200', async () => {
  const body = await new JwksFetcher(2000).fetch(`${server.url}/keys`);
  expect(new TextDecoder().decode(body)).toBe(JWKS);
  expect(server.requests.at(-1)?.headers.accept).toBe('application/json');
});

test('a redirect is a failure and is not followed', async () => {
  const before = server.requests.filter((r) => r.url === '/keys').length;
  expect((await failure(`${server.url}/moved`)).message).toContain('answered 302');
  expect(server.requests.filter((r) => r.url === '/keys').length).toBe(before);
});

test('a body that stalls after the headers times out', async () => {
  expect((await failure(`${server.url}/stall`, 300)).message).toContain('timed out after 300 ms');
});

test('a body over the cap and a non-200 answer fail', async () => {
  expect((await failure(`${server.url}/big`)).message).toContain(`larger than ${MAX_JWKS_BYTES} bytes`);
  expect((await failure(`${server.url}/nothing`)).message).toContain('answered 404');
});

test('only http(s) URIs are fetched', async () => {
  expect((await failure('file:///etc/passwd')).message).toContain('file: is not http(s)');
  expect((await failure('not a uri')).message).toContain('not a URL');
});
