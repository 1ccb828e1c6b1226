import { expect, newPlayerPage, PASSWORD, signUp, test } from './fixtures';

test('sign-up and log-in explain what is wrong, inline', async ({ browser, baseURL }) => {
  const page = await newPlayerPage(browser, baseURL!);
  const email = await signUp(page, 'Eve', 'violin');
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);

  // Wrong password.
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');

  // Email taken, weak password.
  await page.goto('/signup');
  await page.getByLabel('Name').fill('Eve again');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByText(/at least 10 characters/).first()).toBeVisible();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByText('An account with this email already exists', { exact: false })).toBeVisible();

  // The right password works, and the home page lists nothing yet.
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Hi Eve' })).toBeVisible();
});

test('a studio address that is taken is explained', async ({ browser, baseURL }) => {
  const page = await newPlayerPage(browser, baseURL!);
  await signUp(page, 'Finn', 'guitar');
  const slug = `taken-${Date.now().toString(36)}`;
  await page.getByLabel('Studio name').fill('First');
  await page.getByLabel('Address').fill(slug);
  // Only a public studio keeps the address asked for; others get a random ending.
  await page.getByLabel('Listed publicly').check();
  await page.getByRole('button', { name: 'Create studio' }).click();
  await expect(page).toHaveURL(new RegExp(`/s/${slug}$`));

  await page.goto('/');
  await page.getByLabel('Studio name').fill('Second');
  await page.getByLabel('Address').fill(slug);
  await page.getByLabel('Listed publicly').check();
  await page.getByRole('button', { name: 'Create studio' }).click();
  await expect(page.getByText('That address is taken by another studio')).toBeVisible();
  // And the first one is listed among mine (the first list; being public, it is also listed below).
  await expect(page.getByRole('link', { name: 'First' }).first()).toBeVisible();
});
