import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';

/**
 * Every test talks to the stack that global-setup started, and closes the browser contexts it opened.
 * Playwright closes only the contexts it creates itself (the `context` and `page` fixtures); ours come
 * from `browser.newContext()` and would live on in the worker's browser. A studio page left open keeps
 * its audio running (AudioContext, worklets, the Opus Worker, peer links), so on a 2-core machine the
 * pages of earlier tests took the CPU the next test's audio needs (the audio specs' intermittent
 * failure; see audio-net.ts for what a starved sender did to its listeners).
 */
export const test = base.extend<{ closeContexts: void }>({
  // eslint-disable-next-line no-empty-pattern
  baseURL: async ({}, use) => {
    const url = process.env.BANDMESH_E2E_URL;
    if (!url) throw new Error('BANDMESH_E2E_URL is not set: global-setup did not start the stack');
    await use(url);
  },
  closeContexts: [
    async ({ browser }, use, testInfo) => {
      const before = new Set(browser.contexts());
      await use();
      const opened = browser.contexts().filter((c) => !before.has(c));
      // A failed run on CI leaves only its output: the pages' own warnings say what went wrong inside
      // (BANDMESH_E2E_PAGE_LOGS=1 prints them for passing runs too).
      const failed = testInfo.status !== testInfo.expectedStatus;
      if (failed || process.env.BANDMESH_E2E_PAGE_LOGS) await printPageWarnings(opened);
      await Promise.all(opened.map((c) => c.close()));
    },
    { auto: true },
  ],
});
export { expect };

async function printPageWarnings(contexts: BrowserContext[]): Promise<void> {
  await printPagesWarnings(contexts.flatMap((c) => c.pages()));
}

/** Prints each page's console warnings and errors (and, when the page has them, its audio diagnostics). */
export async function printPagesWarnings(pages: Page[]): Promise<void> {
  for (const [i, page] of pages.entries()) {
    const diagnostics = await page
      .evaluate(() => {
        const hooks = (window as unknown as { __bandmesh?: { diagnostics?: () => unknown } }).__bandmesh;
        return hooks?.diagnostics ? JSON.stringify(hooks.diagnostics()) : null;
      })
      .catch(() => null);
    if (diagnostics) console.log(`page ${i} audio diagnostics: ${diagnostics}`);
    const messages = await page.consoleMessages().catch(() => []);
    const warnings = messages.filter((m) => m.type() === 'warning' || m.type() === 'error');
    const errors = await page.pageErrors().catch(() => []);
    if (warnings.length === 0 && errors.length === 0) continue;
    console.log(`page ${i} (${page.url()}) console warnings and errors:`);
    for (const m of warnings.slice(-40)) console.log(`  [${m.type()}] ${m.text()}`);
    for (const e of errors.slice(-10)) console.log(`  [pageerror] ${e.message}`);
  }
}

let counter = 0;

/** A unique email per call, so tests never collide on the shared server. */
export function uniqueEmail(name: string): string {
  return `${name.toLowerCase()}-${Date.now().toString(36)}-${counter++}@example.test`;
}

export const PASSWORD = 'correct horse battery';

/** Signs a new player up through the real form, in a page of its own context. */
export async function signUp(page: Page, name: string, instrument: string, next?: string): Promise<string> {
  const email = uniqueEmail(name);
  await page.goto(next ? `/signup?next=${encodeURIComponent(next)}` : '/signup');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Instrument').fill(instrument);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText(name);
  return email;
}

export async function newPlayerPage(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  return context.newPage();
}
