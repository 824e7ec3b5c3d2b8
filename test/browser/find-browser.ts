/**
 * Where the browser tests find Chromium: `CHROMIUM_PATH` (or
 * `PUPPETEER_EXECUTABLE_PATH`), else Debian's `chromium` (installed by
 * scripts/install-system-deps.sh) or another Chromium/Chrome on PATH. No
 * browser is ever downloaded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.CHROMIUM_PATH ?? env.PUPPETEER_EXECUTABLE_PATH;
  if (explicit !== undefined && explicit !== '') return executable(explicit) ? explicit : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter((d) => d !== '')) {
    for (const name of CANDIDATES) {
      const file = path.join(dir, name);
      if (executable(file)) return file;
    }
  }
  return undefined;
}

export const NO_BROWSER_MESSAGE =
  'No Chromium found for the browser tests (set CHROMIUM_PATH, or run scripts/install-system-deps.sh, which installs Debian\'s chromium with apt-get).';
