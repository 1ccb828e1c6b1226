import type { Browser, Page } from '@playwright/test';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { expect, test } from './fixtures';

type Player = Awaited<ReturnType<typeof signUpUser>>;
interface BenchWindow {
  __bandmesh: {
    peerId: string;
    diagnostics(): Array<{ peerId: string; framesReceived: number; peak: number; trackRms: number | null }>;
  };
}

async function openStudio(
  browser: Browser,
  baseURL: string,
  player: Player,
  slug: string,
  query = '',
): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  await context.addInitScript(authInitScript(player));
  const page = await context.newPage();
  await page.goto(`/s/${slug}?bench=1${query}`);
  await page.getByRole('button', { name: 'Start audio' }).click();
  await expect(page.getByTestId('audio-status')).toContainText('On');
  return page;
}

/** Frames `page` has received from the peer `peerId` so far (0 before the first). */
const framesFrom = (page: Page, peerId: string) =>
  page.evaluate(
    (id) =>
      (window as unknown as BenchWindow).__bandmesh.diagnostics().find((d) => d.peerId === id)
        ?.framesReceived ?? 0,
    peerId,
  );

/** The level (peak, 300 ms release) at which `page` hears `peerId`'s decoded stream now. */
const peakFrom = (page: Page, peerId: string) =>
  page.evaluate(
    (id) =>
      (window as unknown as BenchWindow).__bandmesh.diagnostics().find((d) => d.peerId === id)?.peak ?? 0,
    peerId,
  );

/**
 * The loudest `page` hears `peerId` over 1.5 s on the track path, read every 10 ms: the RMS of the
 * receiver's analyser window (no hold; the fake microphone's beeps are short). RMS, not peak: Opus
 * rebuilds a full-scale square beep with overshoots whose peak an EQ cut moves much less than its energy.
 */
const loudestFrom = (page: Page, peerId: string) =>
  page.evaluate(async (id) => {
    let loudest = 0;
    for (let i = 0; i < 150; i++) {
      const d = (window as unknown as BenchWindow).__bandmesh.diagnostics().find((x) => x.peerId === id);
      loudest = Math.max(loudest, d?.trackRms ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return loudest;
  }, peerId);

/** Waits until `page` has received at least `more` further frames from `peerId`. */
async function keepsReceiving(page: Page, peerId: string, more = 200) {
  const before = await framesFrom(page, peerId);
  await expect.poll(() => framesFrom(page, peerId), { timeout: 15_000 }).toBeGreaterThan(before + more);
}

test('a player turns on a preset and toggles effects; the other hears the change and keeps receiving; it is kept', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const [ada, bo] = await Promise.all(
    ['Ada', 'Bo'].map((name) => signUpUser(baseURL!, { name, instrument: 'voice' })),
  );
  const slug = `fx-${Date.now().toString(36)}`;
  await createStudio(baseURL!, ada!, { name: 'Effects', slug });
  await joinStudio(baseURL!, bo!, slug);
  const adaPage = await openStudio(browser, baseURL!, ada!, slug);
  const boPage = await openStudio(browser, baseURL!, bo!, slug);
  const adaId = await adaPage.evaluate(() => (window as unknown as BenchWindow).__bandmesh.peerId);
  await keepsReceiving(boPage, adaId);

  // How loud Bo hears Ada with every effect bypassed (the peak meter holds each beep for 300 ms).
  await expect.poll(() => peakFrom(boPage, adaId), { timeout: 15_000 }).toBeGreaterThan(0.1);
  let baseline = 0;
  for (let i = 0; i < 5; i++) baseline = Math.max(baseline, await peakFrom(boPage, adaId));
  const panel = adaPage.getByTestId('effects-panel');
  // Everything starts bypassed.
  for (const fx of ['gate', 'eq', 'compressor', 'reverb'])
    await expect(panel.getByTestId(`effects-${fx}-on`)).not.toBeChecked();

  await panel.getByRole('button', { name: 'Voice' }).click();
  await expect(panel.getByRole('button', { name: 'Voice' })).toHaveAttribute('aria-pressed', 'true');
  for (const fx of ['gate', 'eq', 'compressor', 'reverb'])
    await expect(panel.getByTestId(`effects-${fx}-on`)).toBeChecked();
  await expect(panel.getByLabel('Ratio')).toHaveValue('3');
  await keepsReceiving(boPage, adaId);

  // Bypass the compressor: its controls go inactive, the preset is no longer the one shown, audio flows.
  await panel.getByTestId('effects-compressor-on').uncheck();
  await expect(panel.getByLabel('Ratio')).toBeDisabled();
  await expect(panel.getByRole('button', { name: 'Voice' })).toHaveAttribute('aria-pressed', 'false');
  await keepsReceiving(boPage, adaId);

  // The effects act on what is sent: the EQ cut to −15 dB in all three bands brings the (full-scale
  // square) beep Bo hears from Ada well down while frames keep coming; bypassing it brings it back.
  // Between the bell and the shelves the cut is shallower, so the beep's harmonics there keep its
  // peak higher than the setting: the worst measured was −7.5 dB, so the check asks for half (−6 dB).
  for (const band of ['Low', 'Mid', 'High']) await panel.getByLabel(band, { exact: true }).fill('-15');
  await panel.getByLabel('Mid frequency').fill('1000');
  await expect(panel.getByTestId('effects-eq').locator('output').first()).toHaveText('-15.0 dB');
  await expect.poll(() => peakFrom(boPage, adaId), { timeout: 15_000 }).toBeLessThan(baseline / 2);
  await keepsReceiving(boPage, adaId);
  await panel.getByTestId('effects-eq-on').uncheck();
  await expect.poll(() => peakFrom(boPage, adaId), { timeout: 15_000 }).toBeGreaterThan(baseline / 2);
  await panel.getByTestId('effects-eq-on').check();
  await panel.getByLabel('Mid frequency').fill('2000');
  await expect(panel.getByTestId('effects-eq').locator('output').nth(2)).toHaveText('2000 Hz');
  // No error shown on the page.
  await expect(adaPage.getByRole('alert')).toHaveCount(0);

  // Saved for Ada: after a reload (audio off again) the settings are as she left them.
  await adaPage.reload();
  await expect(panel.getByTestId('effects-gate-on')).toBeChecked();
  await expect(panel.getByTestId('effects-eq-lowDb')).toHaveValue('-15');
  await expect(panel.getByTestId('effects-compressor-on')).not.toBeChecked();
  await expect(panel.getByLabel('Mid frequency')).toHaveValue('2000');
  // Bo's own effects are his: still all bypassed.
  await expect(boPage.getByTestId('effects-gate-on')).not.toBeChecked();
});

test('on the WebRTC track path the peer hears the effects too, and the raw microphone once they are off', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const [ada, bo] = await Promise.all(
    ['Ada', 'Bo'].map((name) => signUpUser(baseURL!, { name, instrument: 'voice' })),
  );
  const slug = `fx-track-${Date.now().toString(36)}`;
  await createStudio(baseURL!, ada!, { name: 'Effects on tracks', slug });
  await joinStudio(baseURL!, bo!, slug);
  // Both players force the fallback path: a WebRTC audio track per pair, no data-channel frames.
  const adaPage = await openStudio(browser, baseURL!, ada!, slug, '&transport=track');
  const boPage = await openStudio(browser, baseURL!, bo!, slug, '&transport=track');
  const adaId = await adaPage.evaluate(() => (window as unknown as BenchWindow).__bandmesh.peerId);
  await expect(boPage.getByTestId('audio-path')).toHaveText('WebRTC audio track');

  await expect.poll(() => loudestFrom(boPage, adaId), { timeout: 30_000 }).toBeGreaterThan(0.05);
  const baseline = await loudestFrom(boPage, adaId);

  // A hard compressor (−60 dB threshold, 20:1, fastest attack, no make-up) on Ada's channel: her track
  // now carries it, and the beep's energy Bo hears falls far below a quarter.
  const panel = adaPage.getByTestId('effects-panel');
  await panel.getByTestId('effects-compressor-on').check();
  await panel.getByTestId('effects-compressor-thresholdDb').fill('-60');
  await panel.getByTestId('effects-compressor-ratio').fill('20');
  await panel.getByTestId('effects-compressor-attackMs').fill('0.1');
  await panel.getByTestId('effects-compressor-makeupDb').fill('0');
  await expect.poll(() => loudestFrom(boPage, adaId), { timeout: 20_000 }).toBeLessThan(baseline / 4);
  // Bypassed again: the microphone's own track goes back out and Bo hears Ada as loud as before.
  await panel.getByTestId('effects-compressor-on').uncheck();
  await expect.poll(() => loudestFrom(boPage, adaId), { timeout: 20_000 }).toBeGreaterThan(baseline / 2);
  await expect(adaPage.getByRole('alert')).toHaveCount(0);
});
