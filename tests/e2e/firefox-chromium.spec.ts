import type { Page as PuppeteerPage } from 'puppeteer-core';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { launchFirefoxPlayer, type FirefoxPlayer } from './firefox-player';
import { expect, test } from './fixtures';

/**
 * A player in Chromium (Playwright, fake beeping microphone) and a player in Firefox ESR (puppeteer-core
 * over WebDriver BiDi, Firefox's fake tone, its own PulseAudio null sink) meet in one studio and hear
 * each other: each page's playback worklet decodes the other's frames at a level well above silence,
 * and each names the other's path. Firefox's tab froze right after "Start audio" in 4 of 24 runs
 * before the engine stopped reading its output timestamp (src/lib/audio/output-clock.ts); every page
 * call here fails after 20 s instead of hanging, so a freeze fails the test.
 */

interface Diagnostics {
  peerId: string;
  path: string;
  framesDecoded: number;
  peak: number;
}
interface BenchWindow {
  __bandmesh: { peerId: string; diagnostics(): Diagnostics[] };
}

/** A decoded stream this loud (peak, 0–1) is sound, not silence or concealment. */
const HEARD_PEAK = 0.05;

let firefox: FirefoxPlayer | null = null;
// Playwright hands hooks their fixtures first; this one needs only the test's outcome.
// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) await firefox?.printPageWarnings();
  await firefox?.dispose();
  firefox = null;
});

/** In the page: `peerId`'s decoded stream once it is louder than `min`, else null (both drivers poll it). */
function heardAbove([peerId, min]: readonly [string, number]): Diagnostics | null {
  const rows = (window as unknown as BenchWindow).__bandmesh.diagnostics();
  const row = rows.find((r) => r.peerId === peerId);
  return row && row.framesDecoded > 0 && row.peak > min ? row : null;
}

async function foxEnter(page: PuppeteerPage, url: string): Promise<void> {
  await page.goto(url);
  await page.locator('button::-p-text(Start audio)').click();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="audio-status"]')?.textContent?.includes('On'),
    { timeout: 15_000, polling: 200 },
  );
}

test('a Chromium and a Firefox player hear each other both ways', async ({ browser, baseURL }) => {
  // Two browsers and the stack on two shared cores: launching Firefox alone takes seconds.
  test.setTimeout(90_000);
  const [ada, fox] = await Promise.all([
    signUpUser(baseURL!, { name: 'Ada', instrument: 'bass' }),
    signUpUser(baseURL!, { name: 'Fox', instrument: 'fiddle' }),
  ]);
  const slug = `twobrowsers-${Date.now().toString(36)}`;
  await createStudio(baseURL!, ada, { name: 'Two browsers', slug });
  await joinStudio(baseURL!, fox, slug);

  const context = await browser.newContext({ baseURL });
  await context.addInitScript(authInitScript(ada));
  const adaPage = await context.newPage();
  await adaPage.goto(`/s/${slug}?bench=1`);
  await adaPage.getByRole('button', { name: 'Start audio' }).click();
  await expect(adaPage.getByTestId('audio-status')).toContainText('On');

  firefox = await launchFirefoxPlayer();
  const foxPage = await firefox.newPage();
  // Preload scripts also run in the tab's first about:blank, where localStorage throws SecurityError.
  await foxPage.evaluateOnNewDocument(`if (location.protocol.startsWith('http')) { ${authInitScript(fox)} }`);
  await foxEnter(foxPage, `${baseURL}/s/${slug}?bench=1`);

  const adaId = await adaPage.evaluate(() => (window as unknown as BenchWindow).__bandmesh.peerId);
  const foxId = await foxPage.evaluate(() => (window as unknown as BenchWindow).__bandmesh.peerId);

  // Both directions at once, each page polling its own playback worklet every 100 ms (the peak meter
  // holds a beep 300 ms): Fox hears Ada's beeps, Ada hears Fox's tone, decoded from the data channel.
  const [heardByFox, heardByAda] = await Promise.all([
    foxPage.waitForFunction(heardAbove, { timeout: 20_000, polling: 100 }, [adaId, HEARD_PEAK] as const),
    adaPage.waitForFunction(heardAbove, [foxId, HEARD_PEAK] as const, { timeout: 20_000, polling: 100 }),
  ]);
  const foxHears = (await heardByFox.jsonValue()) as Diagnostics;
  const adaHears = (await heardByAda.jsonValue()) as Diagnostics;
  expect(foxHears.path).toBe('data');
  expect(adaHears.path).toBe('data');

  // Each names how the other's audio reaches it.
  await expect(adaPage.getByTestId('audio-path')).toHaveText('Opus over data channel');
  await expect(adaPage.getByTestId('audio-route')).toHaveText('direct');
  const foxLabels = await foxPage.waitForFunction(
    () => {
      const path = document.querySelector('[data-testid="audio-path"]')?.textContent;
      const route = document.querySelector('[data-testid="audio-route"]')?.textContent;
      return path && route ? `${path} · ${route}` : null;
    },
    { timeout: 10_000, polling: 200 },
  );
  expect(await foxLabels.jsonValue()).toBe('Opus over data channel · direct');

  // Where the browser cannot choose the output device (AudioContext.setSinkId), the panel says where
  // the sound goes instead of offering a picker; Chromium can, and shows no such note.
  await expect(adaPage.getByTestId('output-note')).toHaveCount(0);
  const foxOutput = await foxPage.evaluate(() => ({
    canChoose: 'setSinkId' in AudioContext.prototype,
    note: document.querySelector('[data-testid="output-note"]')?.textContent ?? null,
  }));
  if (foxOutput.canChoose) expect(foxOutput.note).toBeNull();
  else expect(foxOutput.note).toMatch(/^Output: your system’s default/);

  // Still answering and decoding seconds on (the freeze came with the clock reads, four a second): 1200
  // more of Ada's frames, 3 s at 2.5 ms (a loaded sender moves to larger frames: then longer).
  await foxPage.waitForFunction(
    (id: string, past: number) => {
      const rows = (window as unknown as BenchWindow).__bandmesh.diagnostics();
      return (rows.find((r) => r.peerId === id)?.framesDecoded ?? 0) > past + 1200;
    },
    { timeout: 30_000, polling: 200 },
    adaId,
    foxHears.framesDecoded,
  );
});
