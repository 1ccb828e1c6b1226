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
  newPage(): Promise<Page>;
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
  return {
    browser,
    newPage: () => browser.newPage(),
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
