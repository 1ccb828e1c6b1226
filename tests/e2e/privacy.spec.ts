import { expect, test } from './fixtures';

test('the privacy page is linked from sign-up and from every page footer', async ({ page }) => {
  await page.goto('/signup');
  await page.getByRole('link', { name: 'What is stored, and for how long' }).click();
  await expect(page).toHaveURL(/\/privacy$/);
  await expect(page.getByRole('heading', { name: 'Privacy on this Bandmesh server' })).toBeVisible();
  await expect(page.getByText(/PocketBase deletes them\s+after 7 days at most/)).toBeVisible();

  await page.goto('/login');
  await page.getByRole('contentinfo').getByRole('link', { name: 'Privacy' }).click();
  await expect(page).toHaveURL(/\/privacy$/);
  await page.getByRole('link', { name: 'Settings → Your data → Download my data' }).click();
  await expect(page).toHaveURL(/\/settings$/);
});
