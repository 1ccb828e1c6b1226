import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { firefoxPath, firefoxPrefs } from '../../scripts/lib/firefox.mjs';
import { startPulseAudio } from '../../scripts/lib/pulseaudio.mjs';

/**
 * Firefox ESR as a second kind of player, next to Playwright's Chromium: Debian's binary driven over
 * WebDriver BiDi (puppeteer-core), playing into a PulseAudio server of its own (pulseaudio.mjs).
 * One owner: dispose() closes the browser (killing it if a frozen tab keeps it from closing), then
 * stops PulseAudio; it is idempotent.
 */
export interface FirefoxPlayer {
  browser: Browser;
  /** A page whose console warnings and errors are kept for `printPageWarnings`. */
  newPage(): Promise<Page>;
  /** After a failure: each page's audio diagnostics (if it still answers) and its warnings. */
  printPageWarnings(): Promise<void>;
  dispose(): Promise<void>;
}

/** A protocol call unanswered this long fails: a frozen tab must fail the test, not hang it. */
const PROTOCOL_TIMEOUT_MS = 20_000;
const CLOSE_GRACE_MS = 5_000;

export async function launchFirefoxPlayer(): Promise<FirefoxPlayer> {
  const pulse = await startPulseAudio();
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: firefoxPath,
      headless: true,
      protocolTimeout: PROTOCOL_TIMEOUT_MS,
      env: { ...process.env, PULSE_SERVER: pulse.server },
      extraPrefsFirefox: firefoxPrefs,
    });
  } catch (error) {
    await pulse.dispose();
    throw error;
  }
  let disposing: Promise<void> | null = null;
  const pages: Array<{ page: Page; lines: string[] }> = [];
  return {
    browser,
    newPage: async () => {
      const page = await browser.newPage();
      const lines: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'warn' || m.type() === 'error') lines.push(`[${m.type()}] ${m.text()}`);
      });
      page.on('pageerror', (e) => lines.push(`[pageerror] ${e instanceof Error ? e.message : String(e)}`));
      pages.push({ page, lines });
      return page;
    },
    printPageWarnings: async () => {
      for (const [i, { page, lines }] of pages.entries()) {
        const diagnostics = await Promise.race([
          page
            .evaluate(() => {
              const hooks = (window as unknown as { __bandmesh?: { diagnostics?: () => unknown } })
                .__bandmesh;
              // The input meter tells a silent microphone from a send path that lost it.
              const input = document
                .querySelector('[data-testid="audio-panel"] [data-testid="meter"]')
                ?.getAttribute('aria-valuenow');
              return `input level ${input ?? 'none'}; ${hooks?.diagnostics ? JSON.stringify(hooks.diagnostics()) : ''}`;
            })
            .catch((e: unknown) => `unavailable: ${String(e)}`),
          new Promise<string>((resolve) => setTimeout(() => resolve('no answer in 5 s (frozen?)'), 5_000)),
        ]);
        console.log(`firefox page ${i} audio diagnostics: ${diagnostics}`);
        for (const line of lines.slice(-40)) console.log(`  ${line}`);
      }
    },
    dispose: () =>
      (disposing ??= (async () => {
        const closed = browser.close().then(
          () => true,
          () => false,
        );
        const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), CLOSE_GRACE_MS));
        if (!(await Promise.race([closed, timedOut]))) browser.process()?.kill('SIGKILL');
        await pulse.dispose();
      })()),
  };
}
