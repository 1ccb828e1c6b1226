/**
 * The "done when", as one session on the real stack: three players in a studio start the
 * metronome and a backing track together, chat, and one hears their own reverb. Each part has its own
 * spec (metronome, backing-track, chat, effects) with the hostile cases; this one proves they work
 * together on one page at once.
 */
import type { Page } from '@playwright/test';
import { toneWav } from '../../bench/lib/tone-wav.mjs';
import { expect, test } from './fixtures';
import { openStudio, studioWith } from './sfu-support';

interface BenchWindow {
  __bandmesh: {
    clicks: Array<{ beat: number }>;
    trackStarts: unknown[];
    monitorPeak(): number;
  };
}

const clickCount = (page: Page) =>
  page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.clicks.filter((c) => c.beat >= 0).length);
const trackStarts = (page: Page) =>
  page.evaluate(() => (window as unknown as BenchWindow).__bandmesh.trackStarts.length);

/**
 * How much of 2 s the player's own monitor is sounding (peak above −40 dBFS), read every 20 ms. The
 * fake microphone beeps briefly; a reverb keeps the monitor ringing between the beeps.
 */
const monitorSounding = (page: Page) =>
  page.evaluate(async () => {
    let sounding = 0;
    for (let i = 0; i < 100; i++) {
      if ((window as unknown as BenchWindow).__bandmesh.monitorPeak() > 0.01) sounding++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return sounding / 100;
  });

test('three players start the metronome and a backing track together, chat, and one hears their own reverb', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(180_000);
  const { players, slug } = await studioWith(baseURL!, ['Ada', 'Bo', 'Cy'], 'jam');
  const pages: Page[] = [];
  for (const player of players) pages.push(await openStudio(browser, baseURL!, player, slug));
  for (const page of pages) await expect(page.getByTestId('present-player')).toHaveCount(3);
  const [ada, bo, cy] = pages as [Page, Page, Page];

  // Ada brings a backing track and counts the band in.
  await ada
    .getByTestId('backing-file')
    .setInputFiles({ name: 'groove.wav', mimeType: 'audio/wav', buffer: toneWav(30) });
  await ada.getByLabel('Title').fill('Groove in A');
  await ada.getByTestId('backing-upload').click();
  for (const page of pages) await expect(page.getByTestId('backing-list')).toContainText('Groove in A');
  await ada.getByLabel('Tempo (BPM)').fill('100');
  await ada.getByLabel('Tempo (BPM)').press('Enter');
  await ada.getByRole('button', { name: 'Start with count-in' }).click();
  await ada.getByRole('button', { name: 'Play Groove in A for everyone' }).click();
  for (const page of pages) {
    await expect(page.getByTestId('metronome-status')).toContainText('Playing · 100 BPM');
    await expect(page.getByTestId('backing-status')).toContainText('Playing: Groove in A · started by Ada');
    // Both render in this player's own worklet: clicks on the shared timeline, and the track's start.
    await expect.poll(() => clickCount(page), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => trackStarts(page), { timeout: 30_000 }).toBeGreaterThan(0);
  }

  // Bo talks over it in the chat; the others read it under his attested name.
  await bo.getByLabel('Message', { exact: true }).fill('Take it from the bridge');
  await bo.getByLabel('Message', { exact: true }).press('Enter');
  for (const page of [ada, cy]) {
    const message = page.getByTestId('chat-message').last();
    await expect(message.getByTestId('chat-text')).toHaveText('Take it from the bridge');
    await expect(message.getByTestId('chat-author')).toHaveText('Bo');
  }

  // Cy turns on a big reverb: her own monitor rings on between the microphone's beeps.
  const dry = await monitorSounding(cy);
  const effects = cy.getByTestId('effects-panel');
  await effects.getByTestId('effects-reverb-on').check();
  await effects.getByLabel('Amount').fill('1');
  await effects.getByLabel('Room size').fill('0.95');
  await expect
    .poll(() => monitorSounding(cy), { timeout: 20_000 })
    .toBeGreaterThan(Math.min(0.95, dry + 0.25));
  await expect(cy.getByRole('alert')).toHaveCount(0);
});
