/**
 * Start `local/start.ts` (the `npm start` entry) as a child process on
 * ephemeral ports, wait for its LOCAL_STACK_READY line, and stop it with
 * SIGTERM. The child's output is kept so tests can check what was logged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

export interface StackUrls {
  readonly issuer: string;
  readonly okta: string;
  readonly backend: string;
  readonly gateway: string;
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
      OKTA_PORT: '0', BACKEND_PORT: '0', GATEWAY_PORT: '0',
      LOCAL_KEYS_DIR: keysDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  child.stderr?.on('data', (c: Buffer) => { out += c.toString('utf8'); });
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
