import type { Page } from '@playwright/test';
import { authInitScript, createStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
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

test('a French-speaking player finds the studio, its audio, mixer, chat and the directory in French', async ({
  browser,
  baseURL,
}) => {
  test.setTimeout(60_000);
  const player = await signUpUser(baseURL!, { name: 'Inès', instrument: 'accordéon' });
  const slug = `bal-${Date.now().toString(36)}`;
  // createStudio sends every field given to PocketBase; its type names only the common ones.
  const studio = { name: 'Bal musette', slug, genre: 'classical' };
  await createStudio(baseURL!, player, studio);
  const context = await browser.newContext({ baseURL, locale: 'fr-FR' });
  await context.addInitScript(authInitScript(player));
  const page = await context.newPage();

  await page.goto(`/s/${slug}`);
  await expect(page.getByRole('heading', { name: 'Bal musette' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Dans le studio' })).toBeVisible();
  await expect(page.getByTestId('connection-status')).toHaveText('Connecté');
  await expect(page.getByTestId('mixer')).toContainText('Votre mix');
  await expect(page.getByTestId('mixer')).toContainText('Personne d’autre n’est encore là.');
  await expect(page.getByRole('heading', { name: 'Discussion' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Métronome' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Effets' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Enregistrement' })).toBeVisible();
  await expect(page.getByTestId('record-hint')).toHaveText('Démarrez l’audio pour enregistrer.');
  await expect(page.getByTestId('no-takes')).toHaveText(
    'Pas encore de prise. Appuyez sur Enregistrer pour enregistrer le bœuf.',
  );

  await page.getByRole('button', { name: 'Démarrer l’audio' }).click();
  await expect(page.getByTestId('audio-status')).toContainText('Actif');
  await expect(page.getByRole('button', { name: 'Couper l’audio' })).toBeVisible();
  await expect(page.getByRole('slider', { name: 'Gain d’entrée' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Me couper' })).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByRole('button', { name: 'Raccourcis clavier' })).toBeVisible();

  // The chat answers in French too, and its own message shows with a French time.
  await page.getByPlaceholder('Écrire au studio').fill('Bonsoir !');
  await page.getByRole('button', { name: 'Envoyer', exact: true }).click();
  await expect(page.getByTestId('chat-text')).toHaveText('Bonsoir !');

  // The directory: heading, filters, the card's counts and genre.
  await page.goto(`/studios?q=${encodeURIComponent('Bal musette')}`);
  await expect(page.getByRole('heading', { name: 'Studios publics', level: 1 })).toBeVisible();
  await expect(page.getByLabel('Nom ou description')).toHaveValue('Bal musette');
  await expect(page.getByRole('button', { name: 'Chercher' })).toBeVisible();
  const card = page.getByTestId('directory-card').filter({ hasText: 'Bal musette' });
  await expect(card).toContainText('1 membre');
  await expect(card).toContainText('Classique');
  await expect(card.getByRole('link', { name: 'Ouvrir' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
});
