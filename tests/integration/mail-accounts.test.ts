/**
 * Mail, for real: a real PocketBase (verified-address rule on) sends through the real mail catcher over
 * SMTP; each test follows the token in the mail's link the way the app's /auth pages do. Hostile
 * clients: reused, forged and other users' tokens, a reset for an unknown address, a user who marks
 * themselves verified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStudioTicket } from '../../src/lib/pb/client';
import { start, type MailCatcher } from '../../scripts/lib/mail-catcher.mjs';
import { mailTo, nextMail, tokenFrom } from '../support/mail';
import {
  guestClient,
  rejection,
  runPocketBaseToExit,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
} from '../support/pocketbase';

const APP_URL = 'http://app.bandmesh.test';
let catcher: MailCatcher;
let server: RunningPocketBase;

beforeAll(async () => {
  catcher = await start({});
  server = await startPocketBase({
    env: {
      BANDMESH_REQUIRE_VERIFIED: 'true',
      BANDMESH_SMTP_HOST: '127.0.0.1',
      BANDMESH_SMTP_PORT: String(catcher.smtpPort),
      BANDMESH_MAIL_FROM: 'bandmesh@bandmesh.localhost',
      BANDMESH_APP_URL: APP_URL,
      // TURN is configured, so a withheld credential is the rule at work, not a missing server.
      BANDMESH_TURN_URLS: 'turn:127.0.0.1:3478',
      BANDMESH_TURN_SECRET: 'a-turn-secret-for-the-mail-tests',
    },
  });
});

afterAll(async () => {
  await server?.stop();
  await catcher?.stop();
});

async function verify(user: Awaited<ReturnType<typeof signUp>>): Promise<string> {
  const seen = (await mailTo(catcher.apiUrl, user.email)).length;
  await user.pb.collection('users').requestVerification(user.email);
  const mail = await nextMail(catcher.apiUrl, user.email, seen);
  expect(mail.subject).toBe('Confirm your email for Bandmesh');
  return tokenFrom(mail, APP_URL, 'verify');
}

describe('mail configuration', () => {
  it('refuses to start with mail settings a person must fix, naming the variable', () => {
    const args = ['serve', '--http=127.0.0.1:0', '--dir=/nonexistent-bandmesh'];
    const noSender = runPocketBaseToExit(args, { BANDMESH_SMTP_HOST: 'smtp.example.org' });
    expect(noSender.code).toBe(2);
    expect(noSender.output).toContain('BANDMESH_MAIL_FROM');
    const badRule = runPocketBaseToExit(args, { BANDMESH_REQUIRE_VERIFIED: 'sometimes' });
    expect(badRule.code).toBe(2);
    expect(badRule.output).toContain('BANDMESH_REQUIRE_VERIFIED="sometimes" must be true or false');
  });
});

describe('mail with the verified-address rule on', () => {
  it('tells the app, without a session, that this server wants a verified address', async () => {
    const response = await fetch(`${server.url}/api/bandmesh/mail-policy`);
    expect(await response.json()).toEqual({ requireVerified: true });
  });

  it('verifies an address through the link in the mail', async () => {
    const ada = await signUp(server.url, 'Ada');
    expect(ada.pb.authStore.record?.verified).toBe(false);
    const token = await verify(ada);
    await guestClient(server.url).collection('users').confirmVerification(token);
    await ada.pb.collection('users').authRefresh();
    expect(ada.pb.authStore.record?.verified).toBe(true);
  });

  it('lets only a verified user create studios and get TURN credentials, and says why', async () => {
    const owner = await signUp(server.url, 'Owner');
    const refused = await rejection(
      owner.pb.collection('studios').create({ name: 'Too soon', slug: 'mail-too-soon', owner: owner.id }),
    );
    expect(refused.status).toBe(403);
    expect(refused.message).toMatch(/Verify your email address/);

    await guestClient(server.url)
      .collection('users')
      .confirmVerification(await verify(owner));
    await owner.pb.collection('users').authRefresh();
    // An unlisted studio's address ends in a server-chosen suffix: use the one it got.
    const studio = await owner.pb
      .collection('studios')
      .create({ name: 'Verified', slug: 'mail-verified', owner: owner.id, visibility: 'unlisted' });
    const ownerTicket = await fetchStudioTicket(owner.pb, studio.slug);
    expect(ownerTicket.iceServers).toHaveLength(1);
    expect(ownerTicket.iceServers[0]!.credential).toBeTruthy();
    expect(ownerTicket.turnWithheld).toBeUndefined();

    // An unverified player may join and play over direct links, without TURN, and is told why.
    const guest = await signUp(server.url, 'Guest');
    await guest.pb.send(`/api/bandmesh/studios/${studio.slug}/join`, { method: 'POST' });
    const guestTicket = await fetchStudioTicket(guest.pb, studio.slug);
    expect(guestTicket.ticket).toBeTruthy();
    expect(guestTicket.iceServers).toEqual([]);
    expect(guestTicket.turnWithheld?.code).toBe('email-not-verified');
    expect(guestTicket.turnWithheld?.message).toMatch(/Verify your email address/);
  });

  it('does not let a user mark themselves verified', async () => {
    const mallory = await signUp(server.url, 'Mallory');
    const forged = await rejection(mallory.pb.collection('users').update(mallory.id, { verified: true }));
    expect(forged.status).toBe(400);
    expect(forged.response.data?.verified).toBeTruthy();
    await mallory.pb.collection('users').authRefresh();
    expect(mallory.pb.authStore.record?.verified).toBe(false);
    const refused = await rejection(
      mallory.pb.collection('studios').create({ name: 'Forged', slug: 'mail-forged', owner: mallory.id }),
    );
    expect(refused.status).toBe(403);
  });

  it('refuses a reused, a forged and a tampered verification token', async () => {
    const bo = await signUp(server.url, 'Bo');
    const token = await verify(bo);
    const users = guestClient(server.url).collection('users');
    await users.confirmVerification(token);
    // Reused: PocketBase accepts a second confirm of an already verified account as a no-op; it must
    // not verify anyone else. Forged and tampered tokens are refused outright.
    expect((await rejection(users.confirmVerification('not-a-token'))).status).toBe(400);
    const [h, p] = token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const other = await signUp(server.url, 'Other');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, id: other.id, email: other.email })).toString('base64url')}.${token.split('.')[2]}`;
    expect((await rejection(users.confirmVerification(forged))).status).toBe(400);
    await other.pb.collection('users').authRefresh();
    expect(other.pb.authStore.record?.verified).toBe(false);
  });

  it('resets a password by mail, once', async () => {
    const cy = await signUp(server.url, 'Cy');
    const users = guestClient(server.url).collection('users');
    await users.requestPasswordReset(cy.email);
    const mail = await nextMail(catcher.apiUrl, cy.email);
    expect(mail.subject).toBe('Choose a new Bandmesh password');
    const token = tokenFrom(mail, APP_URL, 'reset');
    await users.confirmPasswordReset(token, 'a-brand-new-password', 'a-brand-new-password');
    await guestClient(server.url).collection('users').authWithPassword(cy.email, 'a-brand-new-password');
    expect(
      (await rejection(guestClient(server.url).collection('users').authWithPassword(cy.email, cy.password)))
        .status,
    ).toBe(400);
    // Used: the password changed, so the token's signing key changed with it.
    const reused = await rejection(
      users.confirmPasswordReset(token, 'yet-another-password', 'yet-another-password'),
    );
    expect(reused.status).toBe(400);
  });

  it('answers a reset for an unknown address exactly as for a known one, and sends nothing', async () => {
    const known = await signUp(server.url, 'Known');
    const ask = (email: string) =>
      fetch(`${server.url}/api/collections/users/request-password-reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
    const unknownEmail = `nobody-${Date.now()}@bandmesh.test`;
    const [a, b] = [await ask(known.email), await ask(unknownEmail)];
    expect([a.status, await a.text()]).toEqual([b.status, await b.text()]);
    await nextMail(catcher.apiUrl, known.email);
    expect(await mailTo(catcher.apiUrl, unknownEmail)).toEqual([]);
  });

  it('changes an address by mail, only with the password of the account the token is for', async () => {
    const di = await signUp(server.url, 'Di');
    const eve = await signUp(server.url, 'Eve');
    const newEmail = `di-new-${Date.now()}@bandmesh.test`;
    await di.pb.collection('users').requestEmailChange(newEmail);
    const mail = await nextMail(catcher.apiUrl, newEmail);
    expect(mail.subject).toBe('Confirm your new email for Bandmesh');
    const token = tokenFrom(mail, APP_URL, 'email-change');
    const users = guestClient(server.url).collection('users');
    // Someone else who got hold of the link cannot confirm it with their own password.
    await eve.pb.collection('users').update(eve.id, {
      oldPassword: eve.password,
      password: 'eves-own-password',
      passwordConfirm: 'eves-own-password',
    });
    expect((await rejection(users.confirmEmailChange(token, 'eves-own-password'))).status).toBe(400);
    await users.confirmEmailChange(token, di.password);
    const relogged = await guestClient(server.url)
      .collection('users')
      .authWithPassword(newEmail, di.password);
    expect(relogged.record.email).toBe(newEmail);
    // Confirming by mail proves the new address, so it counts as verified.
    expect(relogged.record.verified).toBe(true);
    expect((await rejection(users.confirmEmailChange(token, di.password))).status).toBe(400);
  });

  // Last in this file: it shortens the reset link's lifetime on the shared server.
  it('refuses an expired reset link', async () => {
    const admin = await superuserClient(server.url);
    await admin.collections.update('users', { passwordResetToken: { duration: 10 } });
    const fay = await signUp(server.url, 'Fay');
    const users = guestClient(server.url).collection('users');
    await users.requestPasswordReset(fay.email);
    const token = tokenFrom(await nextMail(catcher.apiUrl, fay.email), APP_URL, 'reset');
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    // Wait until the token's own expiry (whole seconds) has passed, then one second more.
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 1100));
    const expired = await rejection(
      users.confirmPasswordReset(token, 'too-late-password', 'too-late-password'),
    );
    expect(expired.status).toBe(400);
    expect(Object.keys(expired.response.data ?? {})).toContain('token');
    await guestClient(server.url).collection('users').authWithPassword(fay.email, fay.password);
  }, 30_000);
});
