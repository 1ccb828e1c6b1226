import { expect, newPlayerPage, test } from './fixtures';

test('an unknown address says so, in the app, and leads back home', async ({ browser, baseURL }) => {
  const page = await newPlayerPage(browser, baseURL!);
  await page.goto('/no-such-page/here');
  await expect(page.getByRole('heading', { name: "This page isn't here" })).toBeVisible();
  await expect(page.getByTestId('error-page')).toContainText('/no-such-page/here');
  await expect(page).toHaveTitle(/Page not found/);
  await page.getByRole('link', { name: 'Back to your studios' }).click();
  await expect(page).toHaveURL(`${baseURL}/`);
});
