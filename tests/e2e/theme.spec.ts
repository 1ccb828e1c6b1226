import type { Page } from '@playwright/test';
import { expect, newPlayerPage, PASSWORD, signUp, test } from './fixtures';

const LIGHT_BG = 'rgb(245, 246, 250)';
const DARK_BG = 'rgb(16, 18, 25)';

function background(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
}

/**
 * Loads `path` with the app's JavaScript modules refused (its stylesheet still loads from the head):
 * whatever colours show then were chosen by the inline script in the head, i.e. before the first paint.
 */
async function coloursBeforeTheApp(page: Page, path: string): Promise<string> {
  await page.route('**/_app/**/*.js', (route) => route.abort());
  await page.goto(path);
  // Proof that no module ran: the layout's header never appeared.
  await expect(page.locator('header')).toHaveCount(0);
  const bg = await background(page);
  await page.unroute('**/_app/**/*.js');
  return bg;
}

test('the theme is chosen on /settings, kept in the account, and painted before the app loads', async ({
  browser,
  baseURL,
}) => {
  // Signed out, on a dark system: the choice stays in this browser.
  const guest = await browser.newContext({ baseURL, colorScheme: 'dark' });
  const guestPage = await guest.newPage();
  await guestPage.goto('/settings');
  await expect.poll(() => background(guestPage)).toBe(DARK_BG);
  await guestPage.getByLabel('Light').check();
  await expect.poll(() => background(guestPage)).toBe(LIGHT_BG);
  expect(await coloursBeforeTheApp(guestPage, '/')).toBe(LIGHT_BG);

  // An account on a dark system picks light: saved to the account.
  const page = await newPlayerPage(browser, baseURL!);
  await page.emulateMedia({ colorScheme: 'dark' });
  const email = await signUp(page, 'Lux', 'flute');
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByLabel('Follow the system')).toBeChecked();
  await page.getByLabel('Light').check();
  await expect.poll(() => background(page)).toBe(LIGHT_BG);

  // Another browser, dark system, nothing stored: logging in brings the account's light theme, and the
  // next page load paints light from the start.
  const other = await browser.newContext({ baseURL, colorScheme: 'dark' });
  const otherPage = await other.newPage();
  await otherPage.goto('/login');
  expect(await background(otherPage)).toBe(DARK_BG);
  await otherPage.getByLabel('Email').fill(email);
  await otherPage.getByLabel('Password').fill(PASSWORD);
  await otherPage.getByRole('button', { name: 'Log in' }).click();
  await expect(otherPage.getByRole('heading', { name: 'Hi Lux' })).toBeVisible();
  await expect.poll(() => background(otherPage)).toBe(LIGHT_BG);
  expect(await coloursBeforeTheApp(otherPage, '/settings')).toBe(LIGHT_BG);

  // Following the system changes with it, live.
  await otherPage.goto('/settings');
  await otherPage.getByLabel('Follow the system').check();
  await expect.poll(() => background(otherPage)).toBe(DARK_BG);
  await otherPage.emulateMedia({ colorScheme: 'light' });
  await expect.poll(() => background(otherPage)).toBe(LIGHT_BG);
  await otherPage.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(() => background(otherPage)).toBe(DARK_BG);
  expect(await coloursBeforeTheApp(otherPage, '/')).toBe(DARK_BG);
});
