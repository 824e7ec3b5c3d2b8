/**
 * Start `local/start.ts` (the `npm start` entry) as a child process on
 * ephemeral ports, wait for its LOCAL_STACK_READY line, and stop it with
 * SIGTERM. The child's output is kept so callers can check what was logged.
 * Used by the e2e tests and bench/gateway.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..');
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

export interface StackUrls {
  readonly issuer: string;
  readonly okta: string;
  readonly backend: string;
  readonly gateway: string;
  readonly portal: string;
  /** The policy bundle service (absent with LOCAL_BUNDLE_SERVICE=0 or LOCAL_SKIP_POLICY_BUILD=1). */
  readonly bundleService?: {
    readonly endpoint: string;
    readonly bucket: string;
    readonly key: string;
    readonly signingKeyFile: string;
    readonly revision: string;
  };
}

export interface StackProcess extends StackUrls {
  readonly keysDir: string;
  readonly tokenEndpoint: string;
  /** Everything the stack printed so far (stdout + stderr). */
  output(): string;
  stop(): Promise<number | null>;
}

export async function startStackProcess(env: Record<string, string> = {}, timeoutMs = 60_000): Promise<StackProcess> {
  const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-local-keys-'));
  const child: ChildProcess = spawn(TSX, [path.join(REPO_ROOT, 'local', 'start.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      OKTA_PORT: '0', BACKEND_PORT: '0', GATEWAY_PORT: '0', PORTAL_PORT: '0', BUNDLE_PORT: '0',
      LOCAL_KEYS_DIR: keysDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // Bounded: a long load test must not grow this without limit.
  const keep = (c: Buffer): void => {
    out += c.toString('utf8');
    if (out.length > 4_000_000) out = out.slice(-2_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const urls = await new Promise<StackUrls>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = (): void => {
      const m = /LOCAL_STACK_READY (\{.*\})/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]) as StackUrls);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stack exited with ${code}:\n${out}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    ...urls,
    keysDir,
    tokenEndpoint: `${urls.issuer}/v1/token`,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      fs.rmSync(keysDir, { recursive: true, force: true });
      return code;
    },
  };
}
