import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { forceMode, live, openStudio, settledOn, studioWith } from './sfu-support';

interface BenchWindow {
  __bandmesh: { clicks: Array<{ beat: number; sharedMs: number }> };
}

/**
 * Beats (bar one on) whose click this page's worklet rendered. How closely the players agree is
 * bench:metronome's figure, not this test's.
 */
const clicks = (page: Page) =>
  page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.clicks.filter((c) => c.beat >= 0));

test('in a room on the relay SFU (no direct links) every player clicks on the owner’s timeline, placed through the relay’s clock', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(150_000);
  const { players, slug, studioId } = await studioWith(baseURL!, ['Ada', 'Bo', 'Cy'], 'click-sfu');
  const ada = await openStudio(browser, baseURL!, players[0]!, slug);
  await forceMode(studioId, 'sfu');
  await settledOn([ada], 'sfu');
  const bo = await openStudio(browser, baseURL!, players[1]!, slug);
  const cy = await openStudio(browser, baseURL!, players[2]!, slug);
  const pages = [ada, bo, cy];
  await settledOn(pages, 'sfu');
  // No mesh: each page's one peer connection is to the relay, so no direct link measures a clock.
  for (const page of pages) expect((await live(page)).pcs).toBe(1);
  for (const page of pages) await expect(page.getByTestId('present-player')).toHaveCount(3);

  await ada.getByRole('button', { name: 'Start with count-in' }).click();
  for (const page of pages) {
    await expect(page.getByTestId('metronome-status')).toContainText('Playing');
    // Every player knows Ada's clock (through the relay's): none plays on its own clock ("syncing").
    await expect(page.getByTestId('metronome-status')).not.toContainText('syncing', { timeout: 30_000 });
    // Three beats at least (a stalled audio device may skip one: the test counts, it does not time).
    await expect.poll(async () => (await clicks(page)).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
  }
  await ada.getByRole('button', { name: 'Stop click' }).click();
  for (const page of [bo, cy]) await expect(page.getByTestId('metronome-status')).toContainText('Stopped');
});
