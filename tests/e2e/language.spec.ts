import type { Page } from '@playwright/test';
import { expect, PASSWORD, signUp, test, uniqueEmail } from './fixtures';

/**
 * Loads `path` with the app's JavaScript modules refused: the `lang` then on <html> was set by the
 * inline script in the head, i.e. before the first paint.
 */
async function langBeforeTheApp(page: Page, path: string): Promise<string | null> {
  await page.route('**/_app/**/*.js', (route) => route.abort());
  await page.goto(path);
  // Proof that no module ran: the layout's header never appeared.
  await expect(page.locator('header')).toHaveCount(0);
  const lang = await page.locator('html').getAttribute('lang');
  await page.unroute('**/_app/**/*.js');
  return lang;
}

test('a player switches the app to French on /settings; it stays French after a reload, and back', async ({
  browser,
  baseURL,
}) => {
  const context = await browser.newContext({ baseURL, locale: 'en-US' });
  const page = await context.newPage();
  const email = await signUp(page, 'Mireille', 'accordion');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByLabel('English')).toBeChecked();

  await page.getByLabel('Français').check();
  // At once, without a reload: the header, the settings page, <html lang>.
  await expect(page.getByRole('heading', { name: 'Réglages', level: 1 })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Se déconnecter' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Apparence' })).toBeVisible();
  await expect(page.getByLabel('Suivre le système')).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');

  await page.getByTestId('signed-in-as').click();
  await expect(page.getByRole('heading', { name: 'Votre profil' })).toBeVisible();
  await expect(page.getByLabel('Ville')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Enregistrer le profil' })).toBeVisible();

  // Saved to the account, then a reload: French before any module runs, and in the app.
  await expect
    .poll(() =>
      page.evaluate(
        () => JSON.parse(localStorage.getItem('pocketbase_auth') ?? 'null')?.record?.preferences?.language,
      ),
    )
    .toBe('fr');
  expect(await langBeforeTheApp(page, '/profile')).toBe('fr');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Votre profil' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');

  // Another browser whose language is English: logging in brings the account's French along.
  const other = await browser.newContext({ baseURL, locale: 'en-US' });
  const otherPage = await other.newPage();
  await otherPage.goto('/login');
  await otherPage.getByLabel('Email').fill(email);
  await otherPage.getByLabel('Password').fill(PASSWORD);
  await otherPage.getByRole('button', { name: 'Log in' }).click();
  await expect(otherPage.getByRole('heading', { name: 'Bonjour Mireille' })).toBeVisible();
  await expect(otherPage.locator('html')).toHaveAttribute('lang', 'fr');

  // Switching back.
  await page.getByRole('link', { name: 'Réglages' }).click();
  await page.getByLabel('English').check();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  expect(await langBeforeTheApp(page, '/settings')).toBe('en');
});

test('a visitor whose browser speaks French sees French from the first paint, and signs up in French', async ({
  browser,
  baseURL,
}) => {
  const context = await browser.newContext({ baseURL, locale: 'fr-FR' });
  const page = await context.newPage();
  expect(await langBeforeTheApp(page, '/')).toBe('fr');
  await page.goto('/');
  await expect(
    page.getByRole('heading', { name: 'Jouez ensemble, en direct, depuis votre navigateur.' }),
  ).toBeVisible();
  await page.getByRole('link', { name: 'S’inscrire' }).click();
  await expect(page.getByRole('heading', { name: 'Créez votre compte' })).toBeVisible();
  // A wrong form is refused in French, field by field.
  await page.getByRole('button', { name: 'S’inscrire' }).click();
  await expect(page.getByText('Dites au groupe comment vous vous appelez.')).toBeVisible();
  // Signing up sends the language along, so the verification mail already goes out in French.
  await page.getByLabel('Nom').fill('Inès');
  await page.getByLabel('E-mail').fill(uniqueEmail('ines'));
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'S’inscrire' }).click();
  await expect(page.getByTestId('signed-in-as')).toHaveText('Inès');
  expect(
    await page.evaluate(
      () => JSON.parse(localStorage.getItem('pocketbase_auth') ?? 'null')?.record?.preferences?.language,
    ),
  ).toBe('fr');
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  // Choosing English here, signed out, is kept in this browser.
  await page.goto('/settings');
  await page.getByLabel('English').check();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  expect(await langBeforeTheApp(page, '/')).toBe('en');
});
