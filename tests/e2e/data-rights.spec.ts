import { readFileSync } from 'node:fs';
import { expect, newPlayerPage, PASSWORD, signUp, test } from './fixtures';

test('a player downloads their data, then deletes the account with their password', async ({
  browser,
  baseURL,
}) => {
  const page = await newPlayerPage(browser, baseURL!);
  const email = await signUp(page, 'Ruth', 'trumpet');
  await page.getByRole('link', { name: 'Settings' }).click();

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download my data' }).click();
  const file = await downloading;
  expect(file.suggestedFilename()).toMatch(/^bandmesh-data-\d{4}-\d{2}-\d{2}\.json$/);
  const data = JSON.parse(readFileSync(await file.path(), 'utf8'));
  expect(data.account).toMatchObject({ email, name: 'Ruth', instruments: ['trumpet'] });

  await page.getByRole('button', { name: 'Delete my account…' }).click();
  await page.getByLabel('Your password, to confirm').fill('not my password');
  await page.getByRole('button', { name: 'Delete my account for good' }).click();
  await expect(page.getByTestId('delete-error')).toHaveText(
    'That password is not right, so your account has not been deleted.',
  );

  await page.getByLabel('Your password, to confirm').fill(PASSWORD);
  await page.getByRole('button', { name: 'Delete my account for good' }).click();
  await expect(page.getByTestId('account-deleted')).toBeVisible();
  await expect(page.getByTestId('signed-in-as')).toHaveCount(0);

  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');
});
