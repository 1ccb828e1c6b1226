import type { Page } from '@playwright/test';
import { expect, newPlayerPage, signUp, test } from './fixtures';

/** Creates a studio from the home page; Ada lands in it (a live room with her in it). */
async function createStudio(
  page: Page,
  name: string,
  visibility: 'Listed publicly' | 'Anyone with the link',
): Promise<string> {
  await page.goto('/');
  await page.getByLabel('Studio name').fill(name);
  await page.getByLabel(visibility).check();
  await page.getByRole('button', { name: 'Create studio' }).click();
  await expect(page.getByTestId('present-player')).toHaveCount(1);
  return new URL(page.url()).pathname;
}

test('the directory lists public studios, narrows by search, never shows an unlisted one, and counts who plays now', async ({
  browser,
  baseURL,
}) => {
  const ada = await newPlayerPage(browser, baseURL!);
  const bo = await newPlayerPage(browser, baseURL!);
  await signUp(ada, 'Ada', 'bass');
  // A word only this test's studios contain, so studios of other tests on the shared server stay out.
  const tag = `zq${Date.now().toString(36)}`;

  const jazzPath = await createStudio(ada, `Tide Jazz ${tag}`, 'Listed publicly');
  await ada.getByRole('link', { name: 'Studio settings' }).click();
  await ada.getByLabel('Genre').selectOption({ label: 'Jazz' });
  await ada.getByLabel('Instruments you play or are looking for').fill('Double bass, bass, Double Bass');
  await ada.getByRole('button', { name: 'Save settings' }).click();
  await expect(ada.getByText('"Double Bass" is listed twice.')).toBeVisible();
  await ada.getByLabel('Instruments you play or are looking for').fill('Double bass, Piano');
  await ada.getByRole('button', { name: 'Save settings' }).click();
  await expect(ada.getByRole('status')).toHaveText('Saved.');
  await createStudio(ada, `Rust Garage ${tag}`, 'Listed publicly');
  await createStudio(ada, `Hush Cellar ${tag}`, 'Anyone with the link');
  // Ada goes back to play in the jazz studio: one player in a live room on the relay.
  await ada.goto(jazzPath);
  await expect(ada.getByTestId('connection-status')).toHaveText(/Connected/);
  await expect(ada.getByTestId('present-player')).toHaveCount(1);

  await signUp(bo, 'Bo', 'drums');
  await bo.getByRole('link', { name: 'Studios', exact: true }).click();
  await expect(bo.getByRole('heading', { name: 'Public studios' })).toBeVisible();
  await bo.getByLabel('Name or description').fill(tag);
  await bo.getByRole('button', { name: 'Search' }).click();
  const cards = bo.getByTestId('directory-card');
  await expect(cards).toHaveCount(2);
  await expect(cards.nth(0)).toContainText(`Rust Garage ${tag}`);
  const jazz = cards.filter({ hasText: `Tide Jazz ${tag}` });
  await expect(jazz).toContainText('Jazz');
  await expect(jazz).toContainText('Double bass');
  await expect(jazz).toContainText('1 member');
  await expect(jazz.getByTestId('playing-now')).toHaveText('1 playing now');
  await expect(cards.filter({ hasText: 'Rust Garage' }).getByTestId('playing-now')).toHaveText(
    '0 playing now',
  );
  await expect(bo.getByText(`Hush Cellar ${tag}`)).toHaveCount(0);

  // Narrowing: genre, then instrument.
  await bo.getByLabel('Genre').selectOption({ label: 'Jazz' });
  await bo.getByRole('button', { name: 'Search' }).click();
  await expect(cards).toHaveCount(1);
  await expect(cards).toContainText(`Tide Jazz ${tag}`);
  await bo.getByLabel('Genre').selectOption({ label: 'Any genre' });
  await bo.getByLabel('Instrument', { exact: true }).fill('piano');
  await bo.getByRole('button', { name: 'Search' }).click();
  await expect(cards).toHaveCount(1);
  await expect(cards).toContainText(`Tide Jazz ${tag}`);

  // The unlisted studio, searched by its exact name: not there.
  await bo.getByLabel('Instrument', { exact: true }).fill('');
  await bo.getByLabel('Name or description').fill(`Hush Cellar ${tag}`);
  await bo.getByRole('button', { name: 'Search' }).click();
  await expect(bo.getByTestId('directory-empty')).toContainText('No public studio matches this search.');

  // Join through the public join flow.
  await bo.getByLabel('Name or description').fill(`Rust Garage ${tag}`);
  await bo.getByRole('button', { name: 'Search' }).click();
  await cards.getByRole('link', { name: 'Join' }).click();
  await bo.getByRole('button', { name: 'Join this studio' }).click();
  await expect(bo.getByTestId('present-player')).toHaveCount(1);
  await bo.goto(`/studios?q=${encodeURIComponent(`Rust Garage ${tag}`)}`);
  await expect(cards).toContainText('2 members');
  await expect(cards.getByRole('link', { name: 'Open' })).toBeVisible();
});
