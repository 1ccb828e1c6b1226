/**
 * Invitations by email against the real PocketBase build and the real mail catcher: the mail carries a
 * link that admits exactly the verified account of the invited address, once. Hostile clients: a
 * member or an engineer inviting beyond their role, a stranger, a CRLF header in an address, a
 * thousand addresses, the wrong or an unverified account holding the link, a revoked or used link.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crowdRateLimitsEnv } from '../../scripts/lib/crowd-rate-limits.mjs';
import { start, type MailCatcher } from '../../scripts/lib/mail-catcher.mjs';
import { bandmeshError, createPocketBaseClient, joinStudio } from '../../src/lib/pb/client';
import type { StudiosRecord } from '../../src/lib/pb/types';
import { mailTo, nextMail, tokenFrom, type CaughtMail } from '../support/mail';
import { freePort } from '../support/ports';
import {
  guestClient,
  rejection,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';

const APP_URL = 'http://app.bandmesh.test';
let catcher: MailCatcher;
let server: RunningPocketBase;

function mailEnv(): Record<string, string> {
  return {
    BANDMESH_REQUIRE_VERIFIED: 'false',
    BANDMESH_SMTP_HOST: '127.0.0.1',
    BANDMESH_SMTP_PORT: String(catcher.smtpPort),
    BANDMESH_MAIL_FROM: 'bandmesh@bandmesh.localhost',
    BANDMESH_APP_URL: APP_URL,
  };
}

beforeAll(async () => {
  catcher = await start({});
  const crowd = crowdRateLimitsEnv().BANDMESH_RATE_LIMIT_RULES;
  server = await startPocketBase({
    env: {
      ...mailEnv(),
      BANDMESH_RATE_LIMIT_RULES: `${crowd},verification=1000/60,email-invitations=1000/60`,
    },
  });
});

afterAll(async () => {
  await server?.stop();
  await catcher?.stop();
});

let counter = 0;
/** A fresh address nobody uses yet. */
function freshAddress(name: string): string {
  counter += 1;
  return `${name}-${process.pid}-${counter}@friends.test`;
}

interface Created {
  id: string;
  role: string;
  email: string;
  maxUses: number;
  uses: number;
  revoked: boolean;
  token?: string;
}

function inviteByEmail(user: TestUser, slug: string, body: Record<string, unknown>) {
  return user.pb.send<{ invitations: Created[] }>(`/api/bandmesh/studios/${slug}/email-invitations`, {
    method: 'POST',
    body,
    requestKey: null,
  });
}
function accept(user: TestUser, token: string) {
  return user.pb.send<{ joined: boolean; role: string; isMember: boolean }>(
    '/api/bandmesh/invitations/accept',
    {
      method: 'POST',
      body: { token },
      requestKey: null,
    },
  );
}
async function code(call: Promise<unknown>): Promise<[number, string | undefined]> {
  const error = await rejection(call);
  return [error.status, bandmeshError(error)?.code];
}

/** The token of the mail's /invite link (the only link the mail has). */
function inviteToken(mail: CaughtMail): string {
  const prefix = `${APP_URL}/invite?token=`;
  const links = mail.links.filter((l) => l.startsWith(prefix));
  expect(links.length).toBeGreaterThan(0);
  return new URL(links[0]!).searchParams.get('token') ?? '';
}

/** Signs up with exactly `email`, as a new visitor does from the mail. */
async function signUpAs(email: string, name: string): Promise<TestUser> {
  const pb = createPocketBaseClient({ url: server.url });
  pb.autoCancellation(false);
  const password = 'correct-horse-battery';
  const record = await pb.collection('users').create({ email, password, passwordConfirm: password, name });
  await pb.collection('users').authWithPassword(email, password);
  return { pb, id: record.id, email, password, name };
}

/** Verifies the user's address through the link in the verification mail. */
async function verify(user: TestUser): Promise<void> {
  const seen = (await mailTo(catcher.apiUrl, user.email)).length;
  await user.pb.collection('users').requestVerification(user.email);
  const mail = await nextMail(catcher.apiUrl, user.email, seen);
  await guestClient(server.url)
    .collection('users')
    .confirmVerification(tokenFrom(mail, APP_URL, 'verify'));
  await user.pb.collection('users').authRefresh();
}

interface Band {
  studio: StudiosRecord;
  owner: TestUser;
  engineer: TestUser;
  member: TestUser;
}

async function band(slug: string): Promise<Band> {
  const owner = await signUp(server.url, 'Owner');
  const engineer = await signUp(server.url, 'Engineer');
  const member = await signUp(server.url, 'Member');
  const created = await owner.pb
    .collection('studios')
    .create({ name: 'Mail band', slug, owner: owner.id, visibility: 'unlisted' });
  await joinStudio(engineer.pb, created.slug);
  await joinStudio(member.pb, created.slug);
  const su = await superuserClient(server.url);
  const eng = await su
    .collection('memberships')
    .getFirstListItem(`studio = "${created.id}" && user = "${engineer.id}"`);
  await owner.pb.collection('memberships').update(eng.id, { role: 'engineer' });
  const studio = await owner.pb.collection('studios').update(created.id, { visibility: 'private' });
  return { studio, owner, engineer, member };
}

describe('invitations by email', () => {
  let b: Band;
  beforeAll(async () => {
    b = await band('mail-band');
  });

  it('mails a new friend a link that admits them once they sign up with that address and verify it', async () => {
    const address = freshAddress('friend');
    const { invitations } = await inviteByEmail(b.owner, b.studio.slug, {
      emails: [address.toUpperCase()],
      role: 'engineer',
    });
    expect(invitations).toHaveLength(1);
    expect(invitations[0]).toMatchObject({ email: address, role: 'engineer', maxUses: 1, uses: 0 });
    // The inviter never holds the secret: it travels only in the mail.
    expect(invitations[0]).not.toHaveProperty('token');

    const mail = await nextMail(catcher.apiUrl, address);
    expect(mail.subject).toBe('Owner invites you to Mail band on Bandmesh');
    expect(mail.text).toContain('as an engineer');
    const token = inviteToken(mail);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const friend = await signUpAs(address, 'Friend');
    const preview = await friend.pb.send('/api/bandmesh/invitations/preview', {
      method: 'POST',
      body: { token },
      requestKey: null,
    });
    expect(preview).toMatchObject({ studioName: 'Mail band', role: 'engineer', email: address });
    // Signed up with the address but not verified yet: told to confirm it first.
    const unverified = await rejection(accept(friend, token));
    expect([unverified.status, bandmeshError(unverified)?.code]).toEqual([403, 'invitation-unverified']);
    expect(bandmeshError(unverified)?.message).toMatch(/Confirm your email address first/);

    await verify(friend);
    expect(await accept(friend, token)).toMatchObject({ joined: true, role: 'engineer', isMember: true });
    // Accepting again is harmless; the link is spent for anyone else.
    expect(await accept(friend, token)).toMatchObject({ joined: false, isMember: true });
    const other = await signUp(server.url, 'Other');
    expect(await code(accept(other, token))).toEqual([410, 'invitation-used-up']);
  });

  it('refuses another account, even a verified one, and says the address does not match', async () => {
    const address = freshAddress('invitee');
    await inviteByEmail(b.owner, b.studio.slug, { emails: [address], role: 'member' });
    const token = inviteToken(await nextMail(catcher.apiUrl, address));
    const thief = await signUp(server.url, 'Thief');
    await verify(thief);
    const refused = await rejection(accept(thief, token));
    expect([refused.status, bandmeshError(refused)?.code]).toEqual([403, 'invitation-other-email']);
    expect(bandmeshError(refused)?.message).toMatch(/sent to another email address/);
    const thiefView = await thief.pb
      .collection('studios')
      .getList(1, 50, { filter: `id = "${b.studio.id}"` });
    expect(thiefView.totalItems).toBe(0);
    // The refusal spent nothing: the invited person still gets in.
    const invitee = await signUpAs(address, 'Invitee');
    await verify(invitee);
    expect(await accept(invitee, token)).toMatchObject({ joined: true, role: 'member' });
  });

  it('an existing verified account just accepts; the answer does not say whether an address has an account', async () => {
    const existing = await signUpAs(freshAddress('existing'), 'Existing');
    await verify(existing);
    const nobody = freshAddress('nobody');
    const { invitations } = await inviteByEmail(b.owner, b.studio.slug, {
      emails: [existing.email, nobody],
      role: 'member',
    });
    // Same shape for both: only the address differs.
    const shape = (c: Created) => Object.keys(c).sort().join(',');
    expect(invitations.map((c) => c.email)).toEqual([existing.email, nobody]);
    expect(shape(invitations[0]!)).toBe(shape(invitations[1]!));
    expect((await nextMail(catcher.apiUrl, nobody)).subject).toMatch(/invites you to Mail band/);
    const token = inviteToken(await nextMail(catcher.apiUrl, existing.email));
    expect(await accept(existing, token)).toMatchObject({ joined: true, role: 'member' });
  });

  it('shows pending invitations to the owner with their address, and a revoked one admits nobody', async () => {
    const address = freshAddress('revoked');
    const { invitations } = await inviteByEmail(b.owner, b.studio.slug, {
      emails: [address],
      role: 'member',
    });
    const token = inviteToken(await nextMail(catcher.apiUrl, address));
    const pending = await b.owner.pb
      .collection('invitations')
      .getFullList({ filter: `studio = "${b.studio.id}" && email != "" && revoked = false` });
    expect(pending.map((p) => p.email)).toContain(address);
    // A plain member of the studio sees none of them.
    expect(await b.member.pb.collection('invitations').getFullList()).toEqual([]);

    await b.owner.pb.send(`/api/bandmesh/invitations/${invitations[0]!.id}/revoke`, { method: 'POST' });
    const invitee = await signUpAs(address, 'Late');
    await verify(invitee);
    expect(await code(accept(invitee, token))).toEqual([410, 'invitation-revoked']);
  });

  it('inviting an address again replaces its open invitation: the old link stops working', async () => {
    const address = freshAddress('twice');
    await inviteByEmail(b.owner, b.studio.slug, { emails: [address], role: 'member' });
    const first = inviteToken(await nextMail(catcher.apiUrl, address));
    await inviteByEmail(b.owner, b.studio.slug, { emails: [address], role: 'member' });
    const second = inviteToken(await nextMail(catcher.apiUrl, address, 1));
    expect(second).not.toBe(first);
    const invitee = await signUpAs(address, 'Twice');
    await verify(invitee);
    expect(await code(accept(invitee, first))).toEqual([410, 'invitation-revoked']);
    expect(await accept(invitee, second)).toMatchObject({ joined: true });
  });

  it('hostile: members, engineers beyond their role and strangers cannot invite, and nothing is mailed', async () => {
    const address = freshAddress('nope');
    expect(await code(inviteByEmail(b.member, b.studio.slug, { emails: [address], role: 'member' }))).toEqual(
      [403, 'cannot-invite'],
    );
    expect(
      await code(inviteByEmail(b.engineer, b.studio.slug, { emails: [address], role: 'engineer' })),
    ).toEqual([403, 'cannot-invite']);
    expect(await code(inviteByEmail(b.owner, b.studio.slug, { emails: [address], role: 'owner' }))).toEqual([
      400,
      'invalid-invitation',
    ]);
    const stranger = await signUp(server.url, 'Stranger');
    expect(await code(inviteByEmail(stranger, b.studio.slug, { emails: [address], role: 'member' }))).toEqual(
      [404, 'not-found'],
    );
    const anonymous = await rejection(
      guestClient(server.url).send(`/api/bandmesh/studios/${b.studio.slug}/email-invitations`, {
        method: 'POST',
        body: { emails: [address], role: 'member' },
      }),
    );
    expect(anonymous.status).toBe(401);
    // An engineer may invite members; that mail does go out.
    const ok = freshAddress('by-engineer');
    await inviteByEmail(b.engineer, b.studio.slug, { emails: [ok], role: 'member' });
    expect((await nextMail(catcher.apiUrl, ok)).subject).toBe(
      'Engineer invites you to Mail band on Bandmesh',
    );
    expect(await mailTo(catcher.apiUrl, address)).toEqual([]);
  });

  it('hostile: a header in an address, a thousand addresses and junk are refused in words, and nothing is mailed', async () => {
    const evil = freshAddress('evil');
    const injected = `${freshAddress('victim')}\r\nBcc: ${evil}`;
    const cases: unknown[] = [
      [injected],
      [`victim@friends.test\nSubject: hi`],
      Array.from({ length: 1000 }, (_, i) => `fan${i}@friends.test`),
      Array.from({ length: 11 }, (_, i) => `fan${i}@friends.test`),
      [],
      ['not-an-address'],
      ['Name <name@friends.test>'],
      [`${'a'.repeat(250)}@friends.test`],
      'one@friends.test',
      [42],
    ];
    for (const emails of cases) {
      const error = await rejection(inviteByEmail(b.owner, b.studio.slug, { emails, role: 'member' }));
      expect(error.status).toBe(400);
      expect(bandmeshError(error)?.message).toMatch(/\w+ \w+/);
    }
    const tooMany = await rejection(
      inviteByEmail(b.owner, b.studio.slug, {
        emails: Array.from({ length: 1000 }, (_, i) => `fan${i}@friends.test`),
        role: 'member',
      }),
    );
    expect(bandmeshError(tooMany)?.message).toBe('Invite at most 10 addresses at once.');
    const crlf = await rejection(
      inviteByEmail(b.owner, b.studio.slug, { emails: [injected], role: 'member' }),
    );
    expect(bandmeshError(crlf)).toMatchObject({ code: 'invalid-email' });
    expect(bandmeshError(crlf)?.message).toContain('\\r\\n');
    expect(await mailTo(catcher.apiUrl, evil)).toEqual([]);
    expect(await mailTo(catcher.apiUrl, 'fan0@friends.test')).toEqual([]);
    // The server keeps serving: a good invitation right after goes out.
    const good = freshAddress('after');
    await inviteByEmail(b.owner, b.studio.slug, { emails: [good], role: 'member' });
    expect((await nextMail(catcher.apiUrl, good)).to).toEqual([good]);
  });

  it('caps a studio at 50 invitations waiting in mailboxes; revoking makes room', async () => {
    const c = await band('mail-cap');
    let last: Created[] = [];
    for (let i = 0; i < 5; i += 1) {
      const emails = Array.from({ length: 10 }, () => freshAddress('cap'));
      last = (await inviteByEmail(c.owner, c.studio.slug, { emails, role: 'member' })).invitations;
    }
    const over = await rejection(
      inviteByEmail(c.owner, c.studio.slug, { emails: [freshAddress('over')], role: 'member' }),
    );
    expect([over.status, bandmeshError(over)?.code]).toEqual([429, 'too-many-invitations']);
    expect(bandmeshError(over)?.message).toMatch(/at most 50 invitations/);
    await c.owner.pb.send(`/api/bandmesh/invitations/${last[0]!.id}/revoke`, { method: 'POST' });
    const room = freshAddress('room');
    await inviteByEmail(c.owner, c.studio.slug, { emails: [room], role: 'member' });
    await nextMail(catcher.apiUrl, room);
  });
});

describe('invitations by email on a server without mail, with a tight rate limit', () => {
  let bare: RunningPocketBase;
  beforeAll(async () => {
    bare = await startPocketBase({
      env: { BANDMESH_REQUIRE_VERIFIED: 'false', BANDMESH_RATE_LIMIT_RULES: 'email-invitations=2/600' },
    });
  });
  afterAll(async () => {
    await bare?.stop();
  });

  it('says it cannot send mail, and limits the route per address with a wait in words', async () => {
    const owner = await signUp(bare.url, 'Owner');
    const studio = await owner.pb
      .collection('studios')
      .create({ name: 'Quiet', slug: 'quiet', owner: owner.id, visibility: 'unlisted' });
    const body = { emails: ['someone@friends.test'], role: 'member' };
    for (let i = 0; i < 2; i += 1) {
      const error = await rejection(inviteByEmail(owner, studio.slug, body));
      expect([error.status, bandmeshError(error)?.code]).toEqual([503, 'mail-unavailable']);
      expect(bandmeshError(error)?.message).toMatch(/create an invitation link instead/);
    }
    const limited = await rejection(inviteByEmail(owner, studio.slug, body));
    expect(limited.status).toBe(429);
    expect(limited.message).toMatch(/Please wait \d+ minutes and try again/);
  });
});

describe('invitations by email when the SMTP server does not answer', () => {
  let broken: RunningPocketBase;
  beforeAll(async () => {
    // Nothing listens on this port: every mail fails to send.
    const closed = await freePort();
    broken = await startPocketBase({
      env: { ...mailEnv(), BANDMESH_SMTP_PORT: String(closed) },
    });
  });
  afterAll(async () => {
    await broken?.stop();
  });

  it('says which mail did not go out and withdraws its invitation, so nothing unsent waits', async () => {
    const owner = await signUp(broken.url, 'Owner');
    const studio = await owner.pb
      .collection('studios')
      .create({ name: 'Offline', slug: 'offline', owner: owner.id, visibility: 'unlisted' });
    const error = await rejection(
      inviteByEmail(owner, studio.slug, { emails: ['lost@friends.test'], role: 'member' }),
    );
    expect([error.status, bandmeshError(error)?.code]).toEqual([502, 'mail-failed']);
    expect(bandmeshError(error)?.message).toMatch(/did not take the invitation to lost@friends.test/);
    const rows = await owner.pb.collection('invitations').getFullList({ filter: `studio = "${studio.id}"` });
    expect(rows.map((r) => [r.email, r.revoked])).toEqual([['lost@friends.test', true]]);
    // The server keeps serving.
    expect((await fetch(`${broken.url}/api/health`)).status).toBe(200);
  });
});
