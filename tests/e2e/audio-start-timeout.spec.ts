import type { Browser } from '@playwright/test';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { expect, test } from './fixtures';

type Player = Awaited<ReturnType<typeof signUpUser>>;

/**
 * What Chromium does with no output device: the AudioContext stays "suspended" and resume() never
 * settles. The real getters and resume are kept on window so the test can "plug the speakers back in".
 */
const NO_OUTPUT_DEVICE = `
  (() => {
    const proto = BaseAudioContext.prototype;
    const state = Object.getOwnPropertyDescriptor(proto, 'state');
    const resume = AudioContext.prototype.resume;
    window.__plugSpeakersIn = () => {
      Object.defineProperty(proto, 'state', state);
      AudioContext.prototype.resume = resume;
    };
    Object.defineProperty(proto, 'state', { configurable: true, get: () => 'suspended' });
    AudioContext.prototype.resume = () => new Promise(() => {});
  })();
`;

async function openStudio(
  browser: Browser,
  baseURL: string,
  player: Player,
  slug: string,
  scripts: string[],
) {
  const context = await browser.newContext({ baseURL });
  await context.addInitScript(authInitScript(player));
  for (const script of scripts) await context.addInitScript(script);
  const page = await context.newPage();
  await page.goto(`/s/${slug}`);
  return page;
}

test('audio that cannot start says so, the studio keeps working, and Try again starts it', async ({
  browser,
  baseURL,
}) => {
  const [ada, bo] = await Promise.all([
    signUpUser(baseURL!, { name: 'Ada', instrument: 'bass' }),
    signUpUser(baseURL!, { name: 'Bo', instrument: 'drums' }),
  ]);
  const slug = `nodevice-${Date.now().toString(36)}`;
  await createStudio(baseURL!, ada, { name: 'No speakers', slug });
  await joinStudio(baseURL!, bo, slug);

  const adaPage = await openStudio(browser, baseURL!, ada, slug, [NO_OUTPUT_DEVICE]);
  await adaPage.getByRole('button', { name: 'Start audio' }).click();
  await expect(adaPage.getByRole('button', { name: 'Starting…' })).toBeDisabled();
  await expect(adaPage.getByRole('alert')).toHaveText(
    'Your browser could not start audio: no output device answered. Check that speakers or headphones ' +
      'are connected and not used exclusively by another app, then try again.',
  );
  await expect(adaPage.getByRole('button', { name: 'Try again' })).toBeEnabled();

  // The rest of the studio still works: Bo arrives and both see each other; Ada does not claim audio.
  const boPage = await openStudio(browser, baseURL!, bo, slug, []);
  await expect(adaPage.getByTestId('connection-status')).toHaveText(/Connected/);
  for (const page of [adaPage, boPage]) await expect(page.getByTestId('present-player')).toHaveCount(2);
  await expect(adaPage.getByLabel('Tempo (BPM)')).toBeVisible();

  // The failed start left nothing half-built: once the device answers, Try again starts audio.
  await adaPage.evaluate(() => (window as unknown as { __plugSpeakersIn: () => void }).__plugSpeakersIn());
  await adaPage.getByRole('button', { name: 'Try again' }).click();
  await expect(adaPage.getByTestId('audio-status')).toContainText('On');
  await expect(adaPage.getByRole('alert')).toHaveCount(0);
});
