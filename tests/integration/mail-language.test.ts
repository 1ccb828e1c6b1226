/**
 * Mails in the user's language, for real: a real PocketBase sends through the real mail catcher. A user
 * whose preferences.language is "fr" gets the verification, reset and email-change mails in French,
 * with a working link; everyone else, including users who write odd values there, gets English.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type MailCatcher } from '../../scripts/lib/mail-catcher.mjs';
import { mailTo, nextMail, tokenFrom } from '../support/mail';
import {
  guestClient,
  rejection,
  signUp,
  startPocketBase,
  type RunningPocketBase,
} from '../support/pocketbase';

const APP_URL = 'http://app.bandmesh.test';
let catcher: MailCatcher;
let server: RunningPocketBase;

beforeAll(async () => {
  catcher = await start({});
  server = await startPocketBase({
    env: {
      BANDMESH_SMTP_HOST: '127.0.0.1',
      BANDMESH_SMTP_PORT: String(catcher.smtpPort),
      BANDMESH_MAIL_FROM: 'bandmesh@bandmesh.localhost',
      BANDMESH_APP_URL: APP_URL,
      // This suite asks for many mails from one address; rate limits have their own suite.
      BANDMESH_RATE_LIMITS: 'off',
    },
  });
});

afterAll(async () => {
  await server?.stop();
  await catcher?.stop();
});

async function speaking(name: string, preferences: unknown) {
  const user = await signUp(server.url, name);
  await user.pb.collection('users').update(user.id, { preferences });
  return user;
}

async function resetMail(email: string) {
  const seen = (await mailTo(catcher.apiUrl, email)).length;
  await guestClient(server.url).collection('users').requestPasswordReset(email);
  return nextMail(catcher.apiUrl, email, seen);
}

describe('mails in the user language', () => {
  it('sends a French user the reset mail in French, with a link that works', async () => {
    const zoe = await speaking('Zoé <b>', { language: 'fr', theme: 'dark' });
    const mail = await resetMail(zoe.email);
    expect(mail.subject).toBe('Choisissez un nouveau mot de passe Bandmesh');
    // The name is escaped as in PocketBase's own templates.
    expect(mail.html).toContain('Bonjour Zoé &lt;b&gt;,');
    expect(mail.html).toContain('Choisir un nouveau mot de passe');
    expect(mail.html).not.toContain('Choose a new password');
    const users = guestClient(server.url).collection('users');
    await users.confirmPasswordReset(
      tokenFrom(mail, APP_URL, 'reset'),
      'nouveau-mot-de-passe',
      'nouveau-mot-de-passe',
    );
    await guestClient(server.url).collection('users').authWithPassword(zoe.email, 'nouveau-mot-de-passe');
  });

  it('sends an English user the reset mail in English', async () => {
    const ann = await speaking('Ann', { language: 'en' });
    const mail = await resetMail(ann.email);
    expect(mail.subject).toBe('Choose a new Bandmesh password');
    expect(mail.html).toContain('Hi Ann,');
    tokenFrom(mail, APP_URL, 'reset');
  });

  it('sends the verification and email-change mails in French too', async () => {
    const leo = await speaking('Léo', { language: 'fr' });
    let seen = (await mailTo(catcher.apiUrl, leo.email)).length;
    await leo.pb.collection('users').requestVerification(leo.email);
    const verification = await nextMail(catcher.apiUrl, leo.email, seen);
    expect(verification.subject).toBe('Confirmez votre adresse e-mail pour Bandmesh');
    await guestClient(server.url)
      .collection('users')
      .confirmVerification(tokenFrom(verification, APP_URL, 'verify'));

    const newEmail = `nouveau-${leo.email}`;
    seen = (await mailTo(catcher.apiUrl, newEmail)).length;
    await leo.pb.collection('users').requestEmailChange(newEmail);
    const change = await nextMail(catcher.apiUrl, newEmail, seen);
    expect(change.subject).toBe('Confirmez votre nouvelle adresse e-mail pour Bandmesh');
    expect(change.html).toContain('Confirmer ma nouvelle adresse');
    await guestClient(server.url)
      .collection('users')
      .confirmEmailChange(tokenFrom(change, APP_URL, 'email-change'), leo.password);
  });

  it('sends the first mail in the language given at sign-up, as the app does', async () => {
    const email = `inscrite-${process.pid}@bandmesh.test`;
    const password = 'correct-horse-battery';
    const pb = guestClient(server.url);
    await pb.collection('users').create({
      email,
      password,
      passwordConfirm: password,
      name: 'Inès',
      preferences: { language: 'fr' },
    });
    const seen = (await mailTo(catcher.apiUrl, email)).length;
    await pb.collection('users').requestVerification(email);
    expect((await nextMail(catcher.apiUrl, email, seen)).subject).toBe(
      'Confirmez votre adresse e-mail pour Bandmesh',
    );
  });

  it('sends English to a user who wrote something odd as their language, and keeps serving', async () => {
    for (const [i, language] of ['FR', 'fr-CA<script>', ['fr'], { fr: true }, 'x'.repeat(4000)].entries()) {
      const odd = await speaking(`Odd${i}`, { language });
      const mail = await resetMail(odd.email);
      expect(mail.subject).toBe('Choose a new Bandmesh password');
    }
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
  });

  it('does not let one user choose the language of another', async () => {
    const eve = await signUp(server.url, 'Eve');
    const bob = await speaking('Bob', { language: 'en' });
    const forged = await rejection(
      eve.pb.collection('users').update(bob.id, { preferences: { language: 'fr' } }),
    );
    expect(forged.status).toBe(404);
    expect((await resetMail(bob.email)).subject).toBe('Choose a new Bandmesh password');
  });
});
