import type { Browser, Page } from '@playwright/test';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { blockingViolations } from './axe-audit';
import { expect, test } from './fixtures';

/**
 * The studio page as a musician uses it: the band as cards, their own input (gain, meter, "Mute me",
 * the clipping warning), the Advanced settings closed, and the keyboard shortcuts with their dialog.
 * Two real players with Chromium's fake microphone (a loud beep).
 */
type Player = Awaited<ReturnType<typeof signUpUser>>;

async function openStudio(browser: Browser, baseURL: string, player: Player, slug: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  await context.addInitScript(authInitScript(player));
  const page = await context.newPage();
  await page.goto(`/s/${slug}`);
  await page.getByRole('button', { name: 'Start audio' }).click();
  await expect(page.getByTestId('audio-status')).toContainText('On');
  return page;
}

/** A key pressed with nothing focused (as after a click on the page's background). */
async function pressOnPage(page: Page, key: string) {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press(key);
}

const card = (page: Page, name: string) => page.getByTestId('present-player').filter({ hasText: name });
/** How loud `name` arrives in this page's mix (the meter's 0..1 value). */
const levelOf = async (page: Page, name: string) =>
  Number(await page.getByRole('meter', { name: `${name} level` }).getAttribute('aria-valuenow'));

test('the band, your input, Mute me, the clipping warning and the keyboard shortcuts', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const [ada, bo] = await Promise.all([
    signUpUser(baseURL!, { name: 'Ada', instrument: 'bass' }),
    signUpUser(baseURL!, { name: 'Bo', instrument: 'drums' }),
  ]);
  const slug = `page-${Date.now().toString(36)}`;
  await createStudio(baseURL!, ada, { name: 'Page', slug });
  await joinStudio(baseURL!, bo, slug);
  const adaPage = await openStudio(browser, baseURL!, ada, slug);
  const boPage = await openStudio(browser, baseURL!, bo, slug);

  // One card per player: Ada's holds her input, Bo's holds his strip and a delay LED; nobody twice.
  await expect(adaPage.getByTestId('present-player')).toHaveCount(2);
  await expect(card(adaPage, 'Ada').getByTestId('input-card')).toHaveCount(1);
  await expect(card(adaPage, 'Ada').getByTestId('channel-strip')).toHaveCount(0);
  await expect(card(adaPage, 'Bo').getByRole('region', { name: 'Bo channel' })).toHaveCount(1);
  await expect(card(adaPage, 'Bo').getByTestId('latency-badge')).toHaveText(/\d+ ms/);
  await expect(adaPage.getByTestId('channel-strip')).toHaveCount(1);

  // The transport's settings wait behind "Advanced", closed; the A key opens and closes it.
  const frameSize = adaPage.getByLabel('Frame size');
  await expect(frameSize).toBeHidden();
  await adaPage.getByText('Advanced', { exact: true }).click();
  await expect(frameSize).toBeVisible();
  // The defaults (the frame size may already have grown: a loaded machine steps it up by itself).
  await expect(adaPage.getByLabel('Codec')).toHaveValue('opus');
  await expect(adaPage.getByLabel('Path')).toHaveValue('auto');
  // axe reads only what is shown: check every control in Advanced, and later the muted card and the dialog.
  const found = await blockingViolations(adaPage, 'studio (Advanced open)');
  await pressOnPage(adaPage, 'a');
  await expect(frameSize).toBeHidden();
  await pressOnPage(adaPage, 'a');
  await expect(frameSize).toBeVisible();

  // Input gain and meter carry visible labels; a loud input says "You're clipping" and then stops.
  await expect(
    adaPage.getByTestId('input-card').getByText('Input gain', { exact: true }).first(),
  ).toBeVisible();
  await expect(adaPage.getByRole('meter', { name: 'Input level' })).toBeVisible();
  const clipping = adaPage.getByTestId('clipping');
  await adaPage.getByLabel('Input gain').fill('24');
  await expect(clipping).toHaveText('You’re clipping: turn your input gain down.');
  await adaPage.getByLabel('Input gain').fill('-24');
  await expect(clipping).toHaveText('');

  // Bo hears Ada; M mutes her for him (and her own meter falls silent); M again brings her back.
  await adaPage.getByLabel('Input gain').fill('0');
  await expect.poll(() => levelOf(boPage, 'Ada')).toBeGreaterThan(0);
  const muteMe = adaPage.getByRole('button', { name: 'Mute me' });
  await pressOnPage(adaPage, 'm');
  await expect(muteMe).toHaveAttribute('aria-pressed', 'true');
  await expect(adaPage.getByTestId('muted-note')).toHaveText('You are muted: nobody hears you.');
  found.push(...(await blockingViolations(adaPage, 'studio (muted)')));
  await expect.poll(() => levelOf(boPage, 'Ada')).toBe(0);
  await expect(adaPage.getByRole('meter', { name: 'Input level' })).toHaveAttribute('aria-valuenow', '0');
  await muteMe.click();
  await expect(muteMe).toHaveAttribute('aria-pressed', 'false');
  await expect.poll(() => levelOf(boPage, 'Ada')).toBeGreaterThan(0);

  // Keys typed in a field, or with a modifier, are not shortcuts.
  const message = adaPage.getByLabel('Message', { exact: true });
  await message.press('m');
  await expect(message).toHaveValue('m');
  for (const key of ['Control+m', 'Alt+m', 'Shift+M']) {
    await pressOnPage(adaPage, key);
    await expect(muteMe, key).toHaveAttribute('aria-pressed', 'false');
  }

  // C hides and shows the chat; T starts and stops the metronome (Ada owns the studio).
  await pressOnPage(adaPage, 'c');
  await expect(adaPage.getByRole('button', { name: 'Show' })).toHaveAttribute('aria-expanded', 'false');
  await pressOnPage(adaPage, 'c');
  await expect(adaPage.getByRole('button', { name: 'Hide' })).toHaveAttribute('aria-expanded', 'true');
  await pressOnPage(adaPage, 't');
  await expect(adaPage.getByTestId('metronome-status')).toContainText('Playing');
  await pressOnPage(adaPage, 't');
  await expect(adaPage.getByTestId('metronome-status')).toContainText('Stopped');
  // Bo is a member in a studio where engineers control the metronome: his T is refused, in words.
  await pressOnPage(boPage, 't');
  await expect(boPage.getByRole('alert')).toContainText(
    'Only an engineer or the studio owner can control the metronome in this studio.',
  );
  await expect(adaPage.getByTestId('metronome-status')).toContainText('Stopped');

  // The list: a modal dialog from the button (focus returns to it) or from "?"; Tab stays inside.
  const opener = adaPage.getByRole('button', { name: 'Keyboard shortcuts' });
  const dialog = adaPage.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await opener.click();
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Mute or unmute yourself');
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
  found.push(...(await blockingViolations(adaPage, 'studio (shortcuts dialog)')));
  await adaPage.keyboard.press('Tab');
  await adaPage.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
  // Shortcuts sleep while the list is open.
  await adaPage.keyboard.press('m');
  await expect(muteMe).toHaveAttribute('aria-pressed', 'false');
  await adaPage.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();
  await pressOnPage(adaPage, '?');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();

  expect(found, `axe found ${found.length} serious or critical problems:\n${found.join('\n')}\n`).toEqual([]);
});
