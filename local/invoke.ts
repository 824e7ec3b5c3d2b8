/**
 * `npm run invoke -- <authorizer|claims-proxy> <event.json> [--user alice | --token <jwt>] [--env KEY=VALUE ...]`
 *
 * Sample events (test/events/) carry the placeholder `__ACCESS_TOKEN__`
 * where the bearer token goes; it is replaced by a token for `--user`
 * (default alice) fetched over HTTP from the running Okta stand-in
 * (`npm start`), or by the `--token` given.
 *
 * Runs one real handler on one sample event (like `sam local invoke`) and
 * prints its result as JSON on stdout. A thrown error is printed as
 * `{"errorType", "errorMessage"}` (Lambda's shape) and exits 1. The
 * functions' environment defaults to the local stack's endpoints
 * (Okta stand-in on :9000, backend on :8081, policies/build/policy.wasm);
 * anything already in the environment or given with --env wins.
 */
import * as fs from 'node:fs';
import { LocalStackError, UsageError } from './errors';
import { defaultTokenEndpoint, requestToken } from './okta/token-client';
import { applyFunctionEnvironment, functionEnvironment, loadAuthorizerHandler, loadClaimsProxyHandler } from './functions-env';

const USAGE = 'usage: npm run invoke -- <authorizer|claims-proxy> <event.json> [--user alice | --token <jwt>] [--env KEY=VALUE ...]';
export const TOKEN_PLACEHOLDER = '__ACCESS_TOKEN__';

export interface InvokeArgs {
  readonly fn: 'authorizer' | 'claims-proxy';
  readonly eventFile: string;
  readonly env: Record<string, string>;
  readonly user: string;
  readonly token: string | undefined;
}

export function parseInvokeArgs(argv: readonly string[]): InvokeArgs {
  const positional: string[] = [];
  const env: Record<string, string> = {};
  let user = 'alice';
  let token: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--user' || a === '--token') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value\n${USAGE}`);
      if (a === '--user') user = v;
      else token = v;
    } else if (a === '--env') {
      const kv = argv[++i] ?? '';
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new UsageError(`--env needs KEY=VALUE\n${USAGE}`);
      env[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option ${a}\n${USAGE}`);
    } else {
      positional.push(a);
    }
  }
  const [fn, eventFile] = positional;
  if ((fn !== 'authorizer' && fn !== 'claims-proxy') || eventFile === undefined || positional.length !== 2) throw new UsageError(USAGE);
  return { fn, eventFile, env, user, token };
}

async function readEvent(file: string, args: InvokeArgs): Promise<unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (text.includes(TOKEN_PLACEHOLDER)) {
    const token = args.token ?? (await requestToken({ tokenEndpoint: defaultTokenEndpoint(), username: args.user })).accessToken;
    text = text.split(TOKEN_PLACEHOLDER).join(token);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

async function main(): Promise<number> {
  const args = parseInvokeArgs(process.argv.slice(2));
  for (const [k, v] of Object.entries(args.env)) process.env[k] = v;
  const event = await readEvent(args.eventFile, args);
  const oktaPort = process.env.OKTA_PORT && process.env.OKTA_PORT !== '0' ? process.env.OKTA_PORT : '9000';
  const backendPort = process.env.BACKEND_PORT && process.env.BACKEND_PORT !== '0' ? process.env.BACKEND_PORT : '8081';
  const issuer = `http://127.0.0.1:${oktaPort}/oauth2/default`;
  applyFunctionEnvironment(functionEnvironment({
    issuer, audience: 'api://default', jwksUri: `${issuer}/v1/keys`, backendUrl: `http://127.0.0.1:${backendPort}`,
  }));
  try {
    const result = args.fn === 'authorizer'
      ? await loadAuthorizerHandler()(event as Parameters<ReturnType<typeof loadAuthorizerHandler>>[0])
      : await loadClaimsProxyHandler()(event as Parameters<ReturnType<typeof loadClaimsProxyHandler>>[0]);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof LocalStackError) throw error;
    const e = error instanceof Error ? error : new Error(String(error));
    process.stdout.write(`${JSON.stringify({ errorType: e.name, errorMessage: e.message }, null, 2)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof LocalStackError ? error.message : String(error)}\n`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
