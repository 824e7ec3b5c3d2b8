/**
 * The Acme member portal in a real browser (Debian's chromium driven by
 * puppeteer-core; nothing downloaded): the local stack on free ports, the
 * portal on its own origin, sign-in through the Okta stand-in's login page
 * (Authorization Code + PKCE), every record as the policies allow, a claim
 * for a dependant, sign-out. One screenshot per page in test-output/browser/.
 *
 * Without a browser the suite FAILS under CI=true and is skipped with a loud
 * message elsewhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import { REPO_ROOT, startStackProcess, type StackProcess } from '../e2e/helpers/stack-process';
import { findChromium, NO_BROWSER_MESSAGE } from './find-browser';

const chromium = findChromium();
const inCi = process.env.CI === 'true';
if (chromium === undefined && !inCi) {
  process.stderr.write(`\n\n!!! SKIPPING the browser tests (test/browser): ${NO_BROWSER_MESSAGE}\n\n`);
}
const suite = chromium === undefined && !inCi ? describe.skip : describe;

const OUT = path.join(REPO_ROOT, 'test-output', 'browser');
const TIMEOUT = 60_000;

suite('member portal in Chromium', () => {
  let stack: StackProcess;
  let browser: Browser;

  beforeAll(async () => {
    if (chromium === undefined) throw new Error(`CI=true requires the browser tests to run. ${NO_BROWSER_MESSAGE}`);
    fs.mkdirSync(OUT, { recursive: true });
    [stack, browser] = await Promise.all([
      startStackProcess({ LOCAL_QUIET: '1', LOCAL_WATCH: '0' }),
      puppeteer.launch({
        executablePath: chromium,
        headless: true,
        // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
        args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
      }),
    ]);
  }, TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
  }

  /** A fresh browser profile (no Okta session), signed in as `username` through the login page. */
  async function signIn(username: string, password = `dev-${username}`): Promise<{ context: BrowserContext; page: Page; tokens: Set<string> }> {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1000, height: 800 });
    const tokens = new Set<string>();
    page.on('request', (r) => {
      const auth = r.headers().authorization;
      if (auth?.startsWith('Bearer ')) tokens.add(auth.slice(7));
    });
    await page.goto(`${stack.portal}/`);
    await page.waitForSelector('#sign-in');
    await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
    expect(new URL(page.url()).origin).toBe(new URL(stack.issuer).origin);
    await page.waitForSelector('#username');
    await page.type('#username', username);
    await page.type('#password', password);
    await shot(page, `${username}-okta-login`);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await page.waitForSelector('#records[aria-busy=false]');
    expect(new URL(page.url()).origin).toBe(stack.portal);
    // The code and state are gone from the address bar.
    expect(new URL(page.url()).search).toBe('');
    return { context, page, tokens };
  }

  interface Card { member: string; outcome: string; ssn: string | null; decisionId: string | null; procedures: number; proceduresHidden: boolean; text: string }

  function cards(page: Page): Promise<Card[]> {
    return page.$$eval('[data-member]', (els) => els.map((el) => ({
      member: el.getAttribute('data-member') ?? '',
      outcome: el.getAttribute('data-outcome') ?? '',
      ssn: el.querySelector('[data-field=ssn]')?.textContent ?? null,
      decisionId: el.querySelector('[data-field=decision-id]')?.textContent ?? null,
      procedures: el.querySelectorAll('[data-field=procedure]').length,
      proceduresHidden: el.querySelector('[data-note=procedures-hidden]') !== null,
      text: el.textContent ?? '',
    })));
  }

  async function storedValues(page: Page): Promise<string> {
    return page.evaluate(() => {
      const all: string[] = [];
      for (const s of [window.localStorage, window.sessionStorage]) for (let i = 0; i < s.length; i++) all.push(`${s.key(i)}=${s.getItem(s.key(i) ?? '')}`);
      return all.join('\n');
    });
  }

  test('alice: her record masked, bob\'s and john\'s without procedures, jane\'s refused with a decision id; a claim for john; sign-out clears the tokens', async () => {
    const { context, page, tokens } = await signIn('alice');
    try {
      await shot(page, 'alice-family');
      const byId = new Map((await cards(page)).map((c) => [c.member, c]));
      expect([...byId.keys()]).toEqual(['1001', '1002', '1003', '1004']);
      expect(byId.get('1001')).toMatchObject({ outcome: 'ok', ssn: '***-**-6789', proceduresHidden: false });
      expect(byId.get('1001')?.procedures).toBeGreaterThan(0);
      expect(byId.get('1001')?.text).toContain('MRI left knee');
      for (const id of ['1002', '1003']) {
        expect(byId.get(id)).toMatchObject({ outcome: 'ok', ssn: 'Not shown', procedures: 0, proceduresHidden: true });
      }
      expect(byId.get('1002')?.text).not.toContain('Cardiac stress test');
      expect(byId.get('1004')).toMatchObject({ outcome: 'refused' });
      expect(byId.get('1004')?.decisionId).toMatch(/^[0-9a-f-]{16,}$/);
      expect(byId.get('1004')?.text).not.toContain('Jane');

      // Tokens only in memory: nothing in localStorage or sessionStorage.
      expect(tokens.size).toBe(1);
      const stored = await storedValues(page);
      expect(stored).not.toContain('eyJ');
      for (const t of tokens) expect(stored).not.toContain(t.slice(-16));

      // A claim for a dependant (a write route through CORS: preflight + POST).
      await page.select('#claim-member', '1003');
      await page.type('#claim-provider', 'Browser Test Clinic');
      await page.type('#claim-procedure', 'Sprained ankle');
      await page.click('#claim-form button[type=submit]');
      await page.waitForFunction(() => /Claim submitted for member #1003/.test(document.querySelector('#claim-result')?.textContent ?? ''));
      const john = (await cards(page)).find((c) => c.member === '1003');
      expect(john?.text).toContain('Browser Test Clinic');
      expect(john?.text).not.toContain('Sprained ankle'); // the response policy hides procedures of dependants
      await shot(page, 'alice-claim-submitted');

      // Sign out: tokens gone from the page, the Okta session ended.
      await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('#sign-out')]);
      await page.waitForSelector('#sign-in');
      expect(new URL(page.url()).origin).toBe(stack.portal);
      expect(await page.$('[data-member]')).toBeNull();
      expect(await storedValues(page)).not.toContain('eyJ');
      await shot(page, 'alice-signed-out');
      // Signing in again needs the password again (no silent sign-in from a leftover session).
      await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
      await page.waitForSelector('#password');
      expect(new URL(page.url()).origin).toBe(new URL(stack.issuer).origin);
    } finally {
      await context.close();
    }
  }, TIMEOUT);

  test('bob sees only his own record', async () => {
    const { context, page } = await signIn('bob');
    try {
      await shot(page, 'bob');
      const all = await cards(page);
      expect(all.map((c) => c.member)).toEqual(['1002']);
      expect(all[0]).toMatchObject({ outcome: 'ok', ssn: '***-**-7890' });
      expect(all[0]?.text).toContain('Cardiac stress test');
      expect(await page.$('#claim-form')).toBeNull();
    } finally {
      await context.close();
    }
  }, TIMEOUT);

  test('carol sees her family and none of alice\'s', async () => {
    const { context, page } = await signIn('carol');
    try {
      await shot(page, 'carol');
      const all = await cards(page);
      expect(all.map((c) => c.member)).toEqual(['2001', '2002']);
      expect(all.map((c) => c.outcome)).toEqual(['ok', 'ok']);
      expect(all[1]).toMatchObject({ ssn: 'Not shown', procedures: 0, proceduresHidden: true });
      const text = await page.$eval('main', (m) => m.textContent ?? '');
      for (const alices of ['Alice', 'Anders', '1001', '6789', 'MRI left knee']) expect(text).not.toContain(alices);
    } finally {
      await context.close();
    }
  }, TIMEOUT);

  test('a wrong password stays on the login page with an error', async () => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    try {
      await page.goto(`${stack.portal}/`);
      await page.waitForSelector('#sign-in');
      await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
      await page.type('#username', 'alice');
      await page.type('#password', 'dev-bob');
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      expect(await page.$eval('[role=alert]', (e) => e.textContent)).toContain('wrong password');
      await shot(page, 'okta-login-wrong-password');
    } finally {
      await context.close();
    }
  }, TIMEOUT);

  test('CORS in the browser: the portal reads a cross-origin 401; another origin cannot read the API', async () => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    try {
      await page.goto(`${stack.portal}/`);
      const fromPortal = await page.evaluate(async (api) => {
        const res = await fetch(`${api}/v1/claims/enrollee/1001`);
        return { status: res.status, body: await res.json() as Record<string, unknown>, challenge: res.headers.get('WWW-Authenticate') };
      }, stack.gateway);
      expect(fromPortal.status).toBe(401);
      expect(fromPortal.body.requestId).toEqual(expect.any(String));
      expect(fromPortal.challenge).toMatch(/^Bearer /);

      // The Okta stand-in's origin is not allowed by the gateway: the browser blocks the response.
      await page.goto(`${stack.okta}/health`);
      const fromElsewhere = await page.evaluate(async (api) => {
        try {
          await fetch(`${api}/v1/claims/enrollee/1001`, { headers: { Authorization: 'Bearer x' } });
          return 'readable';
        } catch (e) {
          return e instanceof TypeError ? 'blocked' : 'other error';
        }
      }, stack.gateway);
      expect(fromElsewhere).toBe('blocked');
    } finally {
      await context.close();
    }
  }, TIMEOUT);
});
