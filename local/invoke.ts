/**
 * `npm run invoke -- <authorizer|claims-proxy> <event.json> [--env KEY=VALUE ...]`
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
import { applyFunctionEnvironment, functionEnvironment, loadAuthorizerHandler, loadClaimsProxyHandler } from './functions-env';

const USAGE = 'usage: npm run invoke -- <authorizer|claims-proxy> <event.json> [--env KEY=VALUE ...]';

export interface InvokeArgs {
  readonly fn: 'authorizer' | 'claims-proxy';
  readonly eventFile: string;
  readonly env: Record<string, string>;
}

export function parseInvokeArgs(argv: readonly string[]): InvokeArgs {
  const positional: string[] = [];
  const env: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--env') {
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
  return { fn, eventFile, env };
}

function readEvent(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

async function main(): Promise<number> {
  const args = parseInvokeArgs(process.argv.slice(2));
  const event = readEvent(args.eventFile);
  for (const [k, v] of Object.entries(args.env)) process.env[k] = v;
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
