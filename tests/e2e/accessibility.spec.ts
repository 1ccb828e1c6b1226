import type { Browser, Page } from '@playwright/test';
import { authInitScript, createStudio, joinStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { blockingViolations } from './axe-audit';
import { expect, test } from './fixtures';

type Player = Awaited<ReturnType<typeof signUpUser>>;
type Theme = 'light' | 'dark';

/** A browser following a light or dark system (the app's default theme follows it), signed in or not. */
async function openPage(browser: Browser, baseURL: string, theme: Theme, player?: Player): Promise<Page> {
  const context = await browser.newContext({ baseURL, colorScheme: theme });
  if (player) await context.addInitScript(authInitScript(player));
  return context.newPage();
}

/** Loads `path`, waits for what shows the page is ready, and returns axe's serious/critical findings. */
async function audit(page: Page, path: string, ready: (page: Page) => Promise<void>): Promise<string[]> {
  await page.goto(path);
  await ready(page);
  return blockingViolations(page, path);
}

/** Ready once the page's own heading shows (any wording: other pages are being translated). */
const heading = () => (page: Page) => expect(page.getByRole('heading', { level: 1 }).first()).toBeVisible();

for (const theme of ['light', 'dark'] as const) {
  test(`every page passes axe's serious and critical checks in the ${theme} theme`, async ({
    browser,
    baseURL,
  }) => {
    test.setTimeout(180_000);
    const [ada, bo] = await Promise.all([
      signUpUser(baseURL!, { name: 'Ada', instrument: 'bass' }),
      signUpUser(baseURL!, { name: 'Bo', instrument: 'drums' }),
    ]);
    const slug = `axe-${theme}-${Date.now().toString(36)}`;
    await createStudio(baseURL!, ada, { name: 'Axe jam', slug });
    await joinStudio(baseURL!, bo, slug);
    const found: string[] = [];

    const guest = await openPage(browser, baseURL!, theme);
    found.push(...(await audit(guest, '/', heading())));
    found.push(...(await audit(guest, '/login', heading())));
    found.push(...(await audit(guest, '/signup', heading())));
    found.push(...(await audit(guest, '/privacy', heading())));
    found.push(...(await audit(guest, '/invite?token=not-a-real-token', heading())));

    const page = await openPage(browser, baseURL!, theme, ada);
    found.push(...(await audit(page, '/', (p) => expect(p.getByTestId('signed-in-as')).toHaveText('Ada'))));
    found.push(...(await audit(page, '/studios', heading())));
    found.push(...(await audit(page, '/profile', heading())));
    found.push(...(await audit(page, '/settings', heading())));
    found.push(...(await audit(page, '/invite', heading())));
    found.push(...(await audit(page, '/no-such-page', heading())));
    found.push(...(await audit(page, `/s/${slug}/members`, heading())));
    found.push(...(await audit(page, `/s/${slug}/settings`, heading())));

    // The studio with two players, audio on for both: the mixer shows a strip (fader, pan, meter) per player.
    const boPage = await openPage(browser, baseURL!, theme, bo);
    await boPage.goto(`/s/${slug}`);
    await boPage.getByRole('button', { name: 'Start audio' }).click();
    found.push(
      ...(await audit(page, `/s/${slug}`, async (p) => {
        await p.getByRole('button', { name: 'Start audio' }).click();
        await expect(p.getByTestId('audio-status')).toContainText('On');
        await expect(p.getByTestId('present-player')).toHaveCount(2);
        await expect(boPage.getByTestId('audio-status')).toContainText('On');
      })),
    );

    // A muted and a soloed strip say so in words (not only by a pressed M or S), legibly in both themes.
    const strip = page.getByTestId('channel-strip');
    await page.getByRole('button', { name: 'Mute Bo' }).click();
    await expect(strip.getByTestId('strip-state')).toHaveText('Muted');
    found.push(...(await blockingViolations(page, `/s/${slug} (Bo muted)`)));
    await page.getByRole('button', { name: 'Mute Bo' }).click();
    await page.getByRole('button', { name: 'Solo Bo' }).click();
    await expect(strip.getByTestId('strip-state')).toHaveText('Solo');
    found.push(...(await blockingViolations(page, `/s/${slug} (Bo soloed)`)));

    expect(found, `axe found ${found.length} serious or critical problems:\n${found.join('\n')}\n`).toEqual(
      [],
    );
  });
}

test('the check reports what it finds, readably', async ({ page }) => {
  // Proof the audit can fail: an unlabelled field and grey-on-grey text put on a real page.
  await page.goto('/login');
  await heading()(page);
  await page.evaluate(() => {
    const main = document.querySelector('main')!;
    main.insertAdjacentHTML(
      'beforeend',
      '<input id="nameless"><p id="faint" style="color:#777;background:#888">hard to read</p>',
    );
  });
  const found = await blockingViolations(page, '/login');
  expect(found).toContainEqual(expect.stringMatching(/^\/login: label \(critical\): .* — #nameless: /));
  expect(found).toContainEqual(expect.stringMatching(/^\/login: color-contrast \(serious\): .* — #faint: /));
});
