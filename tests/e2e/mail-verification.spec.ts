import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBenchBuild } from '../../scripts/lib/bench-build.mjs';
import { startStack } from '../../scripts/lib/stack.mjs';
import { authInitScript, createStudio, signUpUser } from '../../scripts/lib/pb-rest.mjs';
import { nextMail, tokenFrom } from '../support/mail';
import { freePort } from '../support/ports';
import { expect, PASSWORD, test } from './fixtures';

/**
 * A new player signs up in the browser, finds the mail in the local inbox `npm start` runs, follows its
 * link, and only then may create a studio. This spec runs a stack of its own because the shared one
 * turns the verified-address rule off (global-setup.ts); here it is on, as `npm start` has it.
 */
test.describe('mail verification', () => {
  let stack: Awaited<ReturnType<typeof startStack>> | null = null;
  let dataDir = '';

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    dataDir = mkdtempSync(join(tmpdir(), 'bandmesh-e2e-mail-'));
    stack = await startStack({
      httpPort: await freePort(),
      relayPort: await freePort(),
      dataDir,
      publicDir: await ensureBenchBuild(),
      quiet: !process.env.BANDMESH_E2E_VERBOSE,
    });
  });

  test.afterAll(async () => {
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('sign up, open the mail in the local inbox, follow the link, create a studio', async ({ browser }) => {
    const { url, inboxUrl } = stack!;
    expect(inboxUrl).toBeTruthy();
    const context = await browser.newContext({ baseURL: url });
    const page = await context.newPage();
    const email = `mia-${Date.now().toString(36)}@example.test`;

    await page.goto('/signup');
    await page.getByLabel('Name').fill('Mia');
    await page.getByLabel('Instrument').fill('cello');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    const banner = page.getByTestId('verify-banner');
    await expect(banner).toContainText('Check your inbox');
    await expect(banner).toContainText(email);
    await expect(page.getByTestId('verify-to-create')).toContainText('Verify your email to create a studio');
    await expect(page.getByRole('button', { name: 'Create studio' })).toHaveCount(0);

    // The catcher's inbox, as a person would read it.
    const inbox = await context.newPage();
    // PocketBase sends the mail in the background: reload the inbox until it has arrived.
    const confirmMail = inbox.getByRole('link', { name: 'Confirm your email for Bandmesh' });
    await expect(async () => {
      await inbox.goto(inboxUrl!);
      await expect(confirmMail).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await confirmMail.click();
    await expect(inbox.getByText(email).first()).toBeVisible();
    await inbox.getByRole('link', { name: new RegExp(`^${url}/auth/verify\\?token=`) }).click();
    await expect(inbox.getByRole('heading', { name: 'Your email is verified' })).toBeVisible();
    await expect(inbox.getByTestId('verify-banner')).toHaveCount(0);

    await page.reload();
    await expect(page.getByTestId('verify-banner')).toHaveCount(0);
    const slug = `mail-${Date.now().toString(36)}`;
    await page.getByLabel('Studio name').fill('Verified at last');
    await page.getByLabel('Address').fill(slug);
    await page.getByRole('button', { name: 'Create studio' }).click();
    // An unlisted studio (the form's default): the server adds a random ending to the address.
    await expect(page).toHaveURL(new RegExp(`/s/${slug}-[a-z0-9]+$`));
  });

  test('an unverified player joins a studio and is told why there is no TURN relay', async ({ browser }) => {
    const { url, mailApiUrl } = stack!;
    // The owner verifies through the same mail, over REST.
    const owner = await signUpUser(url, { name: 'Owner', instrument: 'piano' });
    await fetch(`${url}/api/collections/users/request-verification`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: owner.email }),
    });
    const token = tokenFrom(await nextMail(mailApiUrl!, owner.email), url, 'verify');
    const confirmed = await fetch(`${url}/api/collections/users/confirm-verification`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(confirmed.status).toBe(204);
    const slug = `turn-${Date.now().toString(36)}`;
    await createStudio(url, owner, { name: 'Open jam', slug });

    const guest = await signUpUser(url, { name: 'Guest', instrument: 'flute' });
    const context = await browser.newContext({ baseURL: url });
    await context.addInitScript(authInitScript(guest));
    const page = await context.newPage();
    await page.goto(`/s/${slug}`);
    await page.getByRole('button', { name: 'Join this studio' }).click();
    await expect(page.getByTestId('turn-withheld')).toContainText(
      "Verify your email address to connect through this server's TURN relay",
    );
  });

  test('forgot password: the link in the mail sets a new one; a new email moves by mail too', async ({
    browser,
  }) => {
    const { url, mailApiUrl } = stack!;
    const player = await signUpUser(url, { name: 'Remy', instrument: 'oud' });
    const page = await (await browser.newContext({ baseURL: url })).newPage();
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(player.email);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await expect(page.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();

    await page.goto(
      `/auth/reset?token=${tokenFrom(await nextMail(mailApiUrl!, player.email), url, 'reset')}`,
    );
    await page.getByLabel('New password', { exact: true }).fill('my-new-password-42');
    await page.getByLabel('New password, again').fill('my-new-password-42');
    await page.getByRole('button', { name: 'Save my new password' }).click();
    await expect(page.getByRole('heading', { name: 'Password changed' })).toBeVisible();
    await page.getByRole('link', { name: 'Log in' }).last().click();
    await page.getByLabel('Email').fill(player.email);
    await page.getByLabel('Password').fill('my-new-password-42');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByTestId('signed-in-as')).toHaveText('Remy');

    const newEmail = `remy-new-${Date.now().toString(36)}@example.test`;
    await page.goto('/auth/email-change');
    await page.getByLabel('New email').fill(newEmail);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await expect(page.getByRole('heading', { name: 'Check the new inbox' })).toBeVisible();
    await page.goto(
      `/auth/email-change?token=${tokenFrom(await nextMail(mailApiUrl!, newEmail), url, 'email-change')}`,
    );
    await page.getByLabel('Password').fill('not-my-password');
    await page.getByRole('button', { name: 'Confirm my new email' }).click();
    await expect(page.getByRole('alert')).toHaveText('That is not the password of this account.');
    await page.getByLabel('Password').fill('my-new-password-42');
    await page.getByRole('button', { name: 'Confirm my new email' }).click();
    await expect(page.getByRole('heading', { name: 'Your email is changed' })).toBeVisible();
  });
});
