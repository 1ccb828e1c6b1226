import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBenchBuild } from '../../scripts/lib/bench-build.mjs';
import { startStack } from '../../scripts/lib/stack.mjs';
import { freePort } from '../support/ports';
import { expect, PASSWORD, signUp, test } from './fixtures';

/**
 * The owner invites a friend by email from the members page; the friend reads the mail in the local
 * inbox `npm start` runs, signs up with that address, confirms it through the second mail, accepts,
 * and is in the studio. Its own stack, because the shared one does not export its inbox.
 */
test.describe('invitations by email', () => {
  let stack: Awaited<ReturnType<typeof startStack>> | null = null;
  let dataDir = '';

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    dataDir = mkdtempSync(join(tmpdir(), 'bandmesh-e2e-invite-mail-'));
    stack = await startStack({
      httpPort: await freePort(),
      relayPort: await freePort(),
      dataDir,
      publicDir: await ensureBenchBuild(),
      // The owner creates a studio without confirming first; the friend's invitation still needs a
      // confirmed address (that rule is the invitation's own).
      env: { BANDMESH_REQUIRE_VERIFIED: 'false' },
      quiet: !process.env.BANDMESH_E2E_VERBOSE,
    });
  });

  test.afterAll(async () => {
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('the owner invites a new friend by email; the friend signs up with it, confirms it and joins', async ({
    browser,
  }) => {
    const { url, inboxUrl } = stack!;
    const owner = await (await browser.newContext({ baseURL: url })).newPage();
    const friend = await (await browser.newContext({ baseURL: url })).newPage();
    const address = `lou-${Date.now().toString(36)}@example.test`;

    // Ada creates an invitation-only studio and mails an invitation from its members page.
    await signUp(owner, 'Ada', 'bass');
    const name = `Mail Room ${Date.now().toString(36)}`;
    await owner.getByLabel('Studio name').fill(name);
    await owner.getByLabel('Invitation only').check();
    await owner.getByRole('button', { name: 'Create studio' }).click();
    await expect(owner.getByTestId('present-player')).toHaveCount(1);
    const studioPath = new URL(owner.url()).pathname;
    await owner.getByRole('link', { name: 'Members' }).click();
    await owner.getByLabel('Email addresses').fill(address);
    await owner.getByRole('button', { name: 'Send invitations' }).click();
    await expect(owner.getByTestId('email-invite-sent')).toHaveText(`Invitation sent to ${address}.`);
    await expect(owner.getByTestId('pending-email-invite')).toHaveCount(1);
    await expect(owner.getByTestId('pending-email-invite')).toContainText(address);
    // A bad address is explained in words, and nothing else changes.
    await owner.getByLabel('Email addresses').fill('lou@example');
    await owner.getByRole('button', { name: 'Send invitations' }).click();
    await expect(owner.getByRole('alert')).toContainText('"lou@example" is not an email address');
    await expect(owner.getByTestId('pending-email-invite')).toHaveCount(1);

    // Lou reads the mail in the inbox and follows its link.
    const inbox = await friend.context().newPage();
    await inbox.goto(inboxUrl!);
    await inbox.getByRole('link', { name: `Ada invites you to ${name} on Bandmesh` }).click();
    const link = await inbox
      .getByRole('link', { name: new RegExp(`^${url}/invite\\?token=`) })
      .first()
      .getAttribute('href');
    expect(link).toBeTruthy();
    await friend.goto(link!);
    await expect(friend.getByRole('heading', { name: 'You are invited to a studio' })).toBeVisible();
    await friend.getByRole('link', { name: 'Create an account' }).click();
    await friend.getByLabel('Name').fill('Lou');
    await friend.getByLabel('Instrument').fill('trumpet');
    await friend.getByLabel('Email').fill(address);
    await friend.getByLabel('Password').fill(PASSWORD);
    await friend.getByRole('button', { name: 'Sign up' }).click();

    // Back on the invitation: asked to confirm the address first; joining now is refused in words.
    await expect(friend.getByTestId('invite-confirm-first')).toContainText(address);
    await friend.getByRole('button', { name: `Join ${name}` }).click();
    await expect(friend.getByRole('alert')).toContainText('Confirm your email address first');

    // The app asks for that mail right after sign-up: reload the inbox until it has arrived.
    const confirmMail = inbox
      .getByRole('listitem')
      .filter({ hasText: address })
      .getByRole('link', { name: 'Confirm your email for Bandmesh' });
    await expect(async () => {
      await inbox.goto(inboxUrl!);
      await expect(confirmMail).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await confirmMail.click();
    await inbox
      .getByRole('link', { name: new RegExp(`^${url}/auth/verify\\?token=`) })
      .first()
      .click();
    await expect(inbox.getByRole('heading', { name: 'Your email is verified' })).toBeVisible();

    await friend.goto(link!);
    await expect(friend.getByTestId('invite-summary')).toHaveText('Ada invites you to join as a member.');
    await expect(friend.getByTestId('invite-confirm-first')).toHaveCount(0);
    await friend.getByRole('button', { name: `Join ${name}` }).click();
    await expect(friend).toHaveURL(studioPath);
    await expect(friend.getByTestId('present-player').filter({ hasText: '(you)' })).toContainText('member');

    // The invitation was for one person: it no longer waits, and Lou is a member.
    await owner.reload();
    await expect(owner.getByTestId('member')).toHaveCount(2);
    await expect(owner.getByTestId('pending-email-invite')).toHaveCount(0);
  });
});
