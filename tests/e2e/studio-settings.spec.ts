import { expect, newPlayerPage, signUp, test } from './fixtures';

test('the owner renames a studio, makes it private, and deletes it after typing its name', async ({
  browser,
  baseURL,
}) => {
  const ada = await newPlayerPage(browser, baseURL!);
  await signUp(ada, 'Ada', 'bass');
  const name = `Open Stage ${Date.now().toString(36)}`;
  await ada.getByLabel('Studio name').fill(name);
  await ada.getByLabel('Listed publicly').check();
  await ada.getByRole('button', { name: 'Create studio' }).click();
  await expect(ada.getByTestId('present-player')).toHaveCount(1);
  const publicPath = new URL(ada.url()).pathname;

  // The studio's own Settings button, not the header's account settings.
  await ada.getByRole('main').getByRole('link', { name: 'Settings' }).click();
  await expect(ada.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await ada.getByLabel('Studio name').fill(`${name} II`);
  await ada.getByLabel('Invitation only').check();
  await expect(ada.getByText('The studio gets a new address with a random ending')).toBeVisible();
  await ada.getByLabel('Most players at once').fill('1');
  await ada.getByRole('button', { name: 'Save settings' }).click();
  await expect(ada.getByText('Choose a whole number from 2 to 64.')).toBeVisible();
  await ada.getByLabel('Most players at once').fill('8');
  await ada.getByRole('button', { name: 'Save settings' }).click();
  await expect(ada.getByRole('status')).toHaveText('Saved.');
  // Made private, it moved to an unguessable address; the page followed it.
  await expect(ada).toHaveURL(new RegExp(`${publicPath}-[a-z2-7]{12}/settings$`));
  const privatePath = new URL(ada.url()).pathname.replace(/\/settings$/, '');

  // Deleting needs the exact name.
  const remove = ada.getByRole('button', { name: 'Delete studio' });
  await expect(remove).toBeDisabled();
  await ada.getByLabel("Type the studio's name to confirm").fill(name);
  await expect(remove).toBeDisabled();
  await ada.getByLabel("Type the studio's name to confirm").fill(`${name} II`);
  await remove.click();
  await expect(ada.getByRole('heading', { name: 'Hi Ada' })).toBeVisible();
  for (const path of [privatePath, publicPath]) {
    await ada.goto(path);
    await expect(ada.getByRole('heading', { name: 'No studio here for you' })).toBeVisible();
  }
});

test('a member sees no settings (only the owner changes them), and the owner removes them', async ({
  browser,
  baseURL,
}) => {
  const ada = await newPlayerPage(browser, baseURL!);
  const bo = await newPlayerPage(browser, baseURL!);
  await signUp(ada, 'Ada', 'bass');
  await ada.getByLabel('Studio name').fill(`Shared ${Date.now().toString(36)}`);
  await ada.getByRole('button', { name: 'Create studio' }).click();
  await expect(ada.getByTestId('present-player')).toHaveCount(1);
  const path = new URL(ada.url()).pathname;

  await signUp(bo, 'Bo', 'drums');
  await bo.goto(path);
  await bo.getByRole('button', { name: 'Join this studio' }).click();
  await expect(bo.getByTestId('present-player')).not.toHaveCount(0);
  await expect(bo.getByRole('link', { name: 'Members' })).toBeVisible();
  await expect(bo.getByRole('main').getByRole('link', { name: 'Settings' })).toHaveCount(0);
  await bo.goto(`${path}/settings`);
  await expect(bo.getByText("Only the studio's owner can change its settings.")).toBeVisible();
  await expect(bo.getByRole('button', { name: 'Delete studio' })).toHaveCount(0);

  // The owner removes Bo, confirming in place first.
  await ada.getByRole('link', { name: 'Members' }).click();
  const boRow = ada.getByTestId('member').filter({ hasText: 'Bo' });
  await boRow.getByRole('button', { name: 'Remove' }).click();
  await boRow.getByRole('button', { name: 'Keep' }).click();
  await expect(ada.getByTestId('member')).toHaveCount(2);
  await boRow.getByRole('button', { name: 'Remove' }).click();
  await boRow.getByRole('button', { name: 'Yes, remove' }).click();
  await expect(ada.getByTestId('member')).toHaveCount(1);
  // An unlisted studio: with the link he may ask to join again, but he is no longer in it.
  await bo.goto(path);
  await expect(bo.getByRole('button', { name: 'Join this studio' })).toBeVisible();
});
