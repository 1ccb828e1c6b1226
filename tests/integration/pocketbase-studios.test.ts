import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStudioPreview, fetchStudioTicket, joinStudio, bandmeshError } from '../../src/lib/pb/client';
import type { StudiosRecord } from '../../src/lib/pb/types';
import { ROOM_MAX_PLAYERS } from '../../src/lib/protocol/ticket';
import {
  guestClient,
  rejection,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';

let server: RunningPocketBase;
let slugCounter = 0;

beforeAll(async () => {
  server = await startPocketBase();
});

afterAll(async () => {
  await server?.stop();
});

function nextSlug(prefix: string): string {
  slugCounter += 1;
  return `${prefix}-${slugCounter}`;
}

async function createStudio(
  owner: TestUser,
  fields: Partial<Pick<StudiosRecord, 'visibility' | 'maxPlayers' | 'description'>> = {},
): Promise<StudiosRecord> {
  return owner.pb
    .collection('studios')
    .create({ name: 'The Band', slug: nextSlug('band'), owner: owner.id, ...fields });
}

describe('creating a studio', () => {
  it('creates the owner membership with it, and applies defaults', async () => {
    const owner = await signUp(server.url, 'Owner');
    const studio = await createStudio(owner);
    expect(studio.visibility).toBe('private');
    expect(studio.maxPlayers).toBe(ROOM_MAX_PLAYERS);

    const members = await owner.pb
      .collection('memberships')
      .getFullList({ filter: `studio = "${studio.id}"` });
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ user: owner.id, role: 'owner', studio: studio.id });
  });

  it('refuses a slug that is taken (public studios: others get a random ending, studio-addresses.test.ts)', async () => {
    const a = await signUp(server.url, 'A');
    const b = await signUp(server.url, 'B');
    const studio = await createStudio(a, { visibility: 'public' });
    const error = await rejection(
      b.pb
        .collection('studios')
        .create({ name: 'Copy', slug: studio.slug, owner: b.id, visibility: 'public' }),
    );
    expect(error.status).toBe(400);
    expect(error.response.data.slug.code).toBe('validation_not_unique');
  });

  it('refuses malformed slugs and out-of-range fields', async () => {
    const owner = await signUp(server.url, 'Shape');
    const error = await rejection(
      owner.pb
        .collection('studios')
        .create({ name: '', slug: 'Bad Slug', owner: owner.id, maxPlayers: 65, visibility: 'secret' }),
    );
    expect(Object.keys(error.response.data).sort()).toEqual(['maxPlayers', 'name', 'slug', 'visibility']);
  });

  it('only lets you create studios you own, and only when signed in', async () => {
    const a = await signUp(server.url, 'Self');
    const b = await signUp(server.url, 'Victim');
    const forged = await rejection(
      a.pb.collection('studios').create({ name: 'X', slug: nextSlug('forged'), owner: b.id }),
    );
    expect(forged.status).toBe(400);
    const guest = await rejection(
      guestClient(server.url)
        .collection('studios')
        .create({ name: 'X', slug: nextSlug('guest'), owner: b.id }),
    );
    expect(guest.status).toBe(400);
    const su = await superuserClient(server.url);
    expect(await su.collection('studios').getFullList({ filter: `owner = "${b.id}"` })).toEqual([]);
  });
});

describe('private studios', () => {
  let owner: TestUser;
  let stranger: TestUser;
  let studio: StudiosRecord;

  beforeAll(async () => {
    owner = await signUp(server.url, 'Keeper');
    stranger = await signUp(server.url, 'Stranger');
    studio = await createStudio(owner, { description: 'Our secret rehearsals' });
  });

  it('are readable by their owner only', async () => {
    expect((await owner.pb.collection('studios').getOne(studio.id)).name).toBe('The Band');
    expect((await rejection(stranger.pb.collection('studios').getOne(studio.id))).status).toBe(404);
    const list = await stranger.pb.collection('studios').getFullList();
    expect(list.map((s) => s.id)).not.toContain(studio.id);
  });

  it('hide their member list from non-members', async () => {
    const list = await stranger.pb
      .collection('memberships')
      .getFullList({ filter: `studio = "${studio.id}"` });
    expect(list).toEqual([]);
    const ownerList = await owner.pb
      .collection('memberships')
      .getFullList({ filter: `studio = "${studio.id}"` });
    expect(ownerList).toHaveLength(1);
  });

  it('give tickets to members, and to a stranger the answer an address without a studio gets', async () => {
    const ticket = await fetchStudioTicket(owner.pb, studio.slug);
    expect(ticket).toMatchObject({ role: 'owner', studioId: studio.id });

    const error = await rejection(fetchStudioTicket(stranger.pb, studio.slug));
    const nothing = await rejection(fetchStudioTicket(stranger.pb, `${studio.slug}-none`));
    expect([error.status, error.response]).toEqual([404, nothing.response]);
    expect(bandmeshError(error)?.code).toBe('not-found');
  });

  it("answer a stranger's preview and join word for word as if there were no studio", async () => {
    const nothing = await rejection(fetchStudioPreview(stranger.pb, `${studio.slug}-none`));
    const preview = await rejection(fetchStudioPreview(stranger.pb, studio.slug));
    expect([preview.status, preview.response]).toEqual([404, nothing.response]);
    expect(preview.response).toEqual({
      code: 'not-found',
      message:
        'There is no studio you can open at this address. Check the link; a private studio needs an invitation from its owner.',
    });
    const join = await rejection(joinStudio(stranger.pb, studio.slug));
    expect([join.status, join.response]).toEqual([404, nothing.response]);
  });

  it('preview fully for their members', async () => {
    expect(await fetchStudioPreview(owner.pb, studio.slug)).toEqual({
      id: studio.id,
      name: 'The Band',
      slug: studio.slug,
      visibility: 'private',
      description: 'Our secret rehearsals',
      isMember: true,
      role: 'owner',
      memberCount: 1,
    });
  });

  it('cannot get memberships created through the API', async () => {
    const error = await rejection(
      stranger.pb.collection('memberships').create({ studio: studio.id, user: stranger.id, role: 'member' }),
    );
    expect(error.status).toBe(403);
  });

  it('cannot be edited or given away by anyone but the owner', async () => {
    const edit = await rejection(stranger.pb.collection('studios').update(studio.id, { name: 'Mine' }));
    expect(edit.status).toBe(404);
    const giveAway = await rejection(
      owner.pb.collection('studios').update(studio.id, { owner: stranger.id }),
    );
    expect(giveAway.status).toBe(404);
    const renamed = await owner.pb.collection('studios').update(studio.id, { name: 'Renamed' });
    expect(renamed).toMatchObject({ name: 'Renamed', owner: owner.id });
  });
});

describe('public and unlisted studios', () => {
  it('public ones are readable by any signed-in user, not by guests', async () => {
    const owner = await signUp(server.url, 'Host');
    const reader = await signUp(server.url, 'Reader');
    const studio = await createStudio(owner, { visibility: 'public' });
    expect((await reader.pb.collection('studios').getOne(studio.id)).id).toBe(studio.id);
    expect((await reader.pb.collection('studios').getFullList()).map((s) => s.id)).toContain(studio.id);
    expect((await rejection(guestClient(server.url).collection('studios').getOne(studio.id))).status).toBe(
      404,
    );
  });

  it('unlisted ones are joined by link, idempotently, and then give tickets', async () => {
    const owner = await signUp(server.url, 'Leader');
    const guest = await signUp(server.url, 'Visitor');
    const studio = await createStudio(owner, { visibility: 'unlisted' });

    // Not in anyone else's list or view...
    expect((await guest.pb.collection('studios').getFullList()).map((s) => s.id)).not.toContain(studio.id);
    // ...but previewable by slug.
    expect(await fetchStudioPreview(guest.pb, studio.slug)).toMatchObject({
      isMember: false,
      role: null,
      memberCount: 1,
    });
    const before = await rejection(fetchStudioTicket(guest.pb, studio.slug));
    expect(bandmeshError(before)?.code).toBe('not-member');

    const joined = await joinStudio(guest.pb, studio.slug);
    expect(joined).toMatchObject({ joined: true, isMember: true, role: 'member', memberCount: 2 });
    const again = await joinStudio(guest.pb, studio.slug);
    expect(again).toMatchObject({ joined: false, role: 'member', memberCount: 2 });

    const ticket = await fetchStudioTicket(guest.pb, studio.slug);
    expect(ticket).toMatchObject({ role: 'member', studioId: studio.id });
    // Members now see the studio and its member list.
    expect((await guest.pb.collection('studios').getOne(studio.id)).id).toBe(studio.id);
    expect(
      await guest.pb.collection('memberships').getFullList({ filter: `studio = "${studio.id}"` }),
    ).toHaveLength(2);
  });
});

describe('managing members', () => {
  let owner: TestUser;
  let member: TestUser;
  let studio: StudiosRecord;

  beforeAll(async () => {
    owner = await signUp(server.url, 'Boss');
    member = await signUp(server.url, 'Drummer');
    studio = await createStudio(owner, { visibility: 'public' });
    await joinStudio(member.pb, studio.slug);
  });

  const membershipOf = async (user: TestUser) =>
    owner.pb.collection('memberships').getFirstListItem(`studio = "${studio.id}" && user = "${user.id}"`);

  it('the owner changes roles, never to or from owner', async () => {
    const m = await membershipOf(member);
    expect((await owner.pb.collection('memberships').update(m.id, { role: 'engineer' })).role).toBe(
      'engineer',
    );
    expect((await rejection(owner.pb.collection('memberships').update(m.id, { role: 'owner' }))).status).toBe(
      404,
    );
    const own = await membershipOf(owner);
    expect(
      (await rejection(owner.pb.collection('memberships').update(own.id, { role: 'member' }))).status,
    ).toBe(404);
  });

  it('members cannot change roles, and the owner cannot leave', async () => {
    const m = await membershipOf(member);
    expect(
      (await rejection(member.pb.collection('memberships').update(m.id, { role: 'member' }))).status,
    ).toBe(404);
    const own = await membershipOf(owner);
    expect((await rejection(owner.pb.collection('memberships').delete(own.id))).status).toBe(404);
  });

  it('a member may leave; the owner may remove members', async () => {
    const m = await membershipOf(member);
    await member.pb.collection('memberships').delete(m.id);
    expect(bandmeshError(await rejection(fetchStudioTicket(member.pb, studio.slug)))?.code).toBe(
      'not-member',
    );

    await joinStudio(member.pb, studio.slug);
    const again = await membershipOf(member);
    await owner.pb.collection('memberships').delete(again.id);
    expect((await fetchStudioPreview(owner.pb, studio.slug)).memberCount).toBe(1);
  });

  it('deleting a studio deletes its memberships', async () => {
    const doomed = await createStudio(owner);
    await owner.pb.collection('studios').delete(doomed.id);
    const su = await superuserClient(server.url);
    expect(await su.collection('memberships').getFullList({ filter: `studio = "${doomed.id}"` })).toEqual([]);
  });
});

describe('route errors', () => {
  it('answers 404 not-found for unknown or malformed slugs', async () => {
    const user = await signUp(server.url, 'Lost');
    for (const slug of ['no-such-studio', 'NOT_A_SLUG']) {
      const error = await rejection(fetchStudioPreview(user.pb, slug));
      expect(error.status).toBe(404);
      expect(bandmeshError(error)?.code).toBe('not-found');
    }
    expect((await rejection(fetchStudioTicket(user.pb, 'no-such-studio'))).status).toBe(404);
    expect((await rejection(joinStudio(user.pb, 'no-such-studio'))).status).toBe(404);
  });

  it('answers 401 unauthorized without a session, even for superusers', async () => {
    for (const pb of [guestClient(server.url), await superuserClient(server.url)]) {
      const error = await rejection(fetchStudioTicket(pb, 'anything'));
      expect(error.status).toBe(401);
      expect(bandmeshError(error)?.code).toBe('unauthorized');
    }
  });
});
