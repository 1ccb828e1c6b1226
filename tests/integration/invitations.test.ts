/**
 * Invitation links against the real PocketBase build: who may mint which role, one-time display of
 * the secret, acceptance (also for private studios), and every way a hostile holder may try to
 * misuse a link: forged, expired, used up, revoked, accepted twice or at once, or aimed at another
 * studio.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crowdRateLimitsEnv } from '../../scripts/lib/crowd-rate-limits.mjs';
import { bandmeshError, fetchStudioPreview, joinStudio } from '../../src/lib/pb/client';
import type { StudiosRecord } from '../../src/lib/pb/types';
import {
  rejection,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';

let server: RunningPocketBase;

beforeAll(async () => {
  // Dozens of sign-ups and accepts from one address: crowd-sized budgets (the limits stay on).
  server = await startPocketBase({ env: crowdRateLimitsEnv() });
});

afterAll(async () => {
  await server?.stop();
});

interface Created {
  id: string;
  token: string;
  role: string;
  maxUses: number;
  uses: number;
  expires: string;
  revoked: boolean;
  studio: string;
}

function invite(user: TestUser, slug: string, body: Record<string, unknown>): Promise<Created> {
  return user.pb.send(`/api/bandmesh/studios/${slug}/invitations`, {
    method: 'POST',
    body,
    requestKey: null,
  });
}
function accept(user: TestUser, token: unknown) {
  return user.pb.send<{ joined: boolean; role: string; slug: string; isMember: boolean }>(
    '/api/bandmesh/invitations/accept',
    { method: 'POST', body: { token }, requestKey: null },
  );
}
function preview(user: TestUser, token: unknown) {
  return user.pb.send<{ studioName: string; role: string; invitedBy: string; isMember: boolean }>(
    '/api/bandmesh/invitations/preview',
    { method: 'POST', body: { token }, requestKey: null },
  );
}
function revoke(user: TestUser, id: string) {
  return user.pb.send(`/api/bandmesh/invitations/${id}/revoke`, { method: 'POST', requestKey: null });
}
async function code(call: Promise<unknown>): Promise<[number, string | undefined]> {
  const error = await rejection(call);
  return [error.status, bandmeshError(error)?.code];
}

interface Band {
  studio: StudiosRecord;
  owner: TestUser;
  engineer: TestUser;
  member: TestUser;
}

async function band(visibility: 'private' | 'unlisted' | 'public' = 'private'): Promise<Band> {
  const owner = await signUp(server.url, 'Owner');
  const engineer = await signUp(server.url, 'Engineer');
  const member = await signUp(server.url, 'Member');
  const created = await owner.pb
    .collection('studios')
    .create({ name: 'Invited band', slug: 'invited', owner: owner.id, visibility: 'unlisted' });
  await joinStudio(engineer.pb, created.slug);
  await joinStudio(member.pb, created.slug);
  const su = await superuserClient(server.url);
  const eng = await su
    .collection('memberships')
    .getFirstListItem(`studio = "${created.id}" && user = "${engineer.id}"`);
  await owner.pb.collection('memberships').update(eng.id, { role: 'engineer' });
  const studio =
    visibility === 'unlisted'
      ? created
      : await owner.pb.collection('studios').update(created.id, { visibility });
  return { studio, owner, engineer, member };
}

const ONE_USE = { role: 'member', maxUses: 1, expiresInHours: 24 };

describe('invitation links', () => {
  let b: Band;
  beforeAll(async () => {
    b = await band('private');
  });

  it('the owner invites to a private studio; a newcomer previews and accepts, and is a member', async () => {
    const created = await invite(b.owner, b.studio.slug, {
      role: 'engineer',
      maxUses: 1,
      expiresInHours: 48,
    });
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      role: 'engineer',
      maxUses: 1,
      uses: 0,
      revoked: false,
      studio: b.studio.id,
    });
    const hours = (Date.parse(created.expires) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(47.9);
    expect(hours).toBeLessThanOrEqual(48);

    const newcomer = await signUp(server.url, 'Newcomer');
    expect(await preview(newcomer, created.token)).toEqual({
      studioName: 'Invited band',
      role: 'engineer',
      invitedBy: 'Owner',
      isMember: false,
    });
    const joined = await accept(newcomer, created.token);
    expect(joined).toMatchObject({ joined: true, role: 'engineer', isMember: true, slug: b.studio.slug });
    expect(await fetchStudioPreview(newcomer.pb, b.studio.slug)).toMatchObject({
      isMember: true,
      role: 'engineer',
    });
  });

  it('never shows the secret again: not to the owner, the creator, nor a superuser', async () => {
    const created = await invite(b.owner, b.studio.slug, ONE_USE);
    const listed = await b.owner.pb.collection('invitations').getOne(created.id);
    expect(listed).not.toHaveProperty('tokenHash');
    expect(JSON.stringify(listed)).not.toContain(created.token);
    const su = await superuserClient(server.url);
    const raw = await su.collection('invitations').getOne(created.id);
    expect(JSON.stringify(raw)).not.toContain(created.token);
    // Nobody writes invitations through the collection API: not even the owner.
    expect(
      (await rejection(b.owner.pb.collection('invitations').update(created.id, { uses: 0 }))).status,
    ).toBe(403);
    expect(
      (
        await rejection(
          b.owner.pb.collection('invitations').create({
            studio: b.studio.id,
            role: 'member',
            tokenHash: '0'.repeat(64),
            expires: '2099-01-01 00:00:00.000Z',
            maxUses: 100,
            createdBy: b.owner.id,
          }),
        )
      ).status,
    ).toBe(403);
  });

  it('a member cannot invite, an engineer invites members only, nobody invites an owner', async () => {
    expect(await code(invite(b.member, b.studio.slug, ONE_USE))).toEqual([403, 'cannot-invite']);
    expect(await code(invite(b.engineer, b.studio.slug, { ...ONE_USE, role: 'engineer' }))).toEqual([
      403,
      'cannot-invite',
    ]);
    const fromEngineer = await invite(b.engineer, b.studio.slug, ONE_USE);
    expect(fromEngineer.role).toBe('member');
    for (const user of [b.owner, b.engineer]) {
      expect(await code(invite(user, b.studio.slug, { ...ONE_USE, role: 'owner' }))).toEqual([
        400,
        'invalid-invitation',
      ]);
    }
    // A stranger of a private studio is told there is no such studio.
    const stranger = await signUp(server.url, 'Stranger');
    expect(await code(invite(stranger, b.studio.slug, ONE_USE))).toEqual([404, 'not-found']);
  });

  it('refuses out-of-range uses and lifetimes with a sentence', async () => {
    for (const body of [
      { ...ONE_USE, maxUses: 0 },
      { ...ONE_USE, maxUses: 101 },
      { ...ONE_USE, expiresInHours: 0 },
      { ...ONE_USE, expiresInHours: 24 * 31 },
      { ...ONE_USE, role: 'x'.repeat(10_000) },
      { role: 'member' },
    ]) {
      const error = await rejection(invite(b.owner, b.studio.slug, body));
      expect(error.status).toBe(400);
      expect(bandmeshError(error)?.message).toMatch(/\w+ \w+/);
    }
  });

  it('refuses forged, guessed, malformed and oversized tokens alike', async () => {
    const guest = await signUp(server.url, 'Guesser');
    const real = await invite(b.owner, b.studio.slug, ONE_USE);
    const flipped = (real.token[0] === 'A' ? 'B' : 'A') + real.token.slice(1);
    for (const token of [
      flipped,
      'A'.repeat(43),
      '',
      'x'.repeat(100_000),
      42,
      null,
      real.token.slice(0, 42),
    ]) {
      expect(await code(accept(guest, token))).toEqual([404, 'invitation-not-found']);
      expect(await code(preview(guest, token))).toEqual([404, 'invitation-not-found']);
    }
    expect((await rejection(fetchStudioPreview(guest.pb, b.studio.slug))).status).toBe(404);
  });

  it('a single-use link admits one person, even when many accept at once; the second is told it is used up', async () => {
    const link = await invite(b.owner, b.studio.slug, ONE_USE);
    const crowd = await Promise.all([1, 2, 3, 4, 5].map((i) => signUp(server.url, `Crowd ${i}`)));
    const results = await Promise.allSettled(crowd.map((user) => accept(user, link.token)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(bandmeshError(r.reason)?.code).toBe('invitation-used-up');
    }
    const su = await superuserClient(server.url);
    expect((await su.collection('invitations').getOne(link.id)).uses).toBe(1);
  });

  it('accepting twice keeps the role and does not use the link up', async () => {
    const link = await invite(b.owner, b.studio.slug, { role: 'member', maxUses: 2, expiresInHours: 1 });
    const twice = await signUp(server.url, 'Twice');
    expect((await accept(twice, link.token)).joined).toBe(true);
    expect(await accept(twice, link.token)).toMatchObject({ joined: false, role: 'member' });
    const su = await superuserClient(server.url);
    expect((await su.collection('invitations').getOne(link.id)).uses).toBe(1);
    // An existing engineer accepting a member link stays engineer.
    expect(await accept(b.engineer, link.token)).toMatchObject({ joined: false, role: 'engineer' });
  });

  it('refuses an expired link', async () => {
    const link = await invite(b.owner, b.studio.slug, ONE_USE);
    const su = await superuserClient(server.url);
    await su
      .collection('invitations')
      .update(link.id, { expires: new Date(Date.now() - 1000).toISOString() });
    const late = await signUp(server.url, 'Late');
    expect(await code(accept(late, link.token))).toEqual([410, 'invitation-expired']);
    expect(await code(preview(late, link.token))).toEqual([410, 'invitation-expired']);
    expect((await rejection(fetchStudioPreview(late.pb, b.studio.slug))).status).toBe(404);
  });

  it('the owner revokes any link, an engineer their own; nobody else can, and a revoked link admits nobody', async () => {
    const byEngineer = await invite(b.engineer, b.studio.slug, ONE_USE);
    const byOwner = await invite(b.owner, b.studio.slug, ONE_USE);
    const other = await band('public');
    for (const [user, id] of [
      [b.member, byEngineer.id],
      [b.engineer, byOwner.id],
      [other.owner, byOwner.id],
    ] as const) {
      expect(await code(revoke(user, id))).toEqual([404, 'invitation-not-found']);
    }
    // The engineer lists only their own links; the owner lists all; a member lists none.
    const engineerSees = await b.engineer.pb
      .collection('invitations')
      .getFullList({ filter: `studio = "${b.studio.id}"` });
    expect(engineerSees.every((i) => i.createdBy === b.engineer.id)).toBe(true);
    expect(await b.member.pb.collection('invitations').getFullList()).toEqual([]);

    expect(await revoke(b.engineer, byEngineer.id)).toMatchObject({ revoked: true });
    expect(await revoke(b.owner, byOwner.id)).toMatchObject({ revoked: true });
    const late = await signUp(server.url, 'Revoked');
    for (const link of [byEngineer, byOwner]) {
      expect(await code(accept(late, link.token))).toEqual([410, 'invitation-revoked']);
    }
  });

  it('a link only ever admits to its own studio', async () => {
    const other = await band('private');
    const link = await invite(other.owner, other.studio.slug, ONE_USE);
    const holder = await signUp(server.url, 'Holder');
    const joined = await accept(holder, link.token);
    expect(joined.slug).toBe(other.studio.slug);
    expect((await rejection(fetchStudioPreview(holder.pb, b.studio.slug))).status).toBe(404);
    // The owner of one studio cannot mint links for another.
    expect(await code(invite(other.owner, b.studio.slug, ONE_USE))).toEqual([404, 'not-found']);
  });

  it('deleting the studio deletes its links', async () => {
    const doomed = await band('unlisted');
    const link = await invite(doomed.owner, doomed.studio.slug, ONE_USE);
    await doomed.owner.pb.collection('studios').delete(doomed.studio.id);
    const late = await signUp(server.url, 'After');
    expect(await code(accept(late, link.token))).toEqual([404, 'invitation-not-found']);
  });

  it('keeps at most 50 open links per studio; revoking one makes room', async () => {
    const busy = await band('private');
    const made: Created[] = [];
    for (let i = 0; i < 50; i += 1) made.push(await invite(busy.owner, busy.studio.slug, ONE_USE));
    const error = await rejection(invite(busy.owner, busy.studio.slug, ONE_USE));
    expect([error.status, bandmeshError(error)?.code]).toEqual([429, 'too-many-invitations']);
    expect(bandmeshError(error)?.message).toMatch(/revoke some first/);
    await revoke(busy.owner, made[0]!.id);
    expect((await invite(busy.owner, busy.studio.slug, ONE_USE)).token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('needs a signed-in user', async () => {
    const guest = (await signUp(server.url, 'Guest')).pb;
    guest.authStore.clear();
    const error = await rejection(
      guest.send('/api/bandmesh/invitations/accept', { method: 'POST', body: { token: 'A'.repeat(43) } }),
    );
    expect([error.status, bandmeshError(error)?.code]).toEqual([401, 'unauthorized']);
  });
});
