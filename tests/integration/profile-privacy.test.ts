// Who may see a profile (issue 10): yourself and the people you share a studio with, nobody else.
// Strangers probing ids get the 404 of a record that does not exist; leaving a studio ends it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rejection,
  signUp,
  startPocketBase,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';

let server: RunningPocketBase;

beforeAll(async () => {
  server = await startPocketBase();
});

afterAll(async () => {
  await server?.stop();
});

let slugCounter = 0;

/** An unlisted studio of `owner` that each of `members` joins; returns its id. */
async function shareStudio(owner: TestUser, ...members: TestUser[]): Promise<string> {
  slugCounter += 1;
  const slug = `privacy-${process.pid}-${slugCounter}`;
  const studio = await owner.pb
    .collection('studios')
    .create({ name: 'Shared', slug, owner: owner.id, visibility: 'unlisted' });
  for (const member of members) {
    await member.pb.send(`/api/bandmesh/studios/${studio.slug}/join`, { method: 'POST' });
  }
  return studio.id;
}

describe('profile privacy', () => {
  it('hides a profile from a stranger, by id and in lists, with a 404', async () => {
    const owner = await signUp(server.url, 'Private');
    await owner.pb.collection('users').update(owner.id, { city: 'Ghent', instruments: ['cello'] });
    const stranger = await signUp(server.url, 'Stranger');

    const viewed = await rejection(stranger.pb.collection('users').getOne(owner.id));
    expect(viewed.status).toBe(404);
    const filtered = await stranger.pb.collection('users').getList(1, 50, { filter: `id = "${owner.id}"` });
    expect(filtered.items).toEqual([]);
    const all = await stranger.pb.collection('users').getFullList();
    expect(all.map((u) => u.id)).toEqual([stranger.id]);
  });

  it('hides a profile from a stranger who is in another studio with someone else', async () => {
    const owner = await signUp(server.url, 'OwnerA');
    const friend = await signUp(server.url, 'Friend');
    const stranger = await signUp(server.url, 'Outsider');
    await shareStudio(owner, friend);
    await shareStudio(stranger);
    expect((await rejection(stranger.pb.collection('users').getOne(owner.id))).status).toBe(404);
    expect((await rejection(stranger.pb.collection('users').getOne(friend.id))).status).toBe(404);
  });

  it('shows a co-member the profile but never the email', async () => {
    const owner = await signUp(server.url, 'Host');
    const member = await signUp(server.url, 'Guest');
    await owner.pb.collection('users').update(owner.id, { city: 'Porto', instruments: ['drums'] });
    await shareStudio(owner, member);

    const viewed = await member.pb.collection('users').getOne(owner.id);
    expect(viewed).toMatchObject({ name: 'Host', city: 'Porto', instruments: ['drums'] });
    expect(viewed.email).toBeUndefined();
    const back = await owner.pb.collection('users').getOne(member.id);
    expect(back.name).toBe('Guest');
    expect(back.email).toBeUndefined();
    expect(JSON.stringify(await member.pb.collection('users').getFullList())).not.toContain(owner.email);
  });

  it('stops showing the profile once the member has left the studio', async () => {
    const owner = await signUp(server.url, 'Stay');
    const leaver = await signUp(server.url, 'Leave');
    const studio = await shareStudio(owner, leaver);
    expect((await leaver.pb.collection('users').getOne(owner.id)).name).toBe('Stay');

    const membership = await leaver.pb
      .collection('memberships')
      .getFirstListItem(`studio = "${studio}" && user = "${leaver.id}"`);
    await leaver.pb.collection('memberships').delete(membership.id);

    expect((await rejection(leaver.pb.collection('users').getOne(owner.id))).status).toBe(404);
    expect((await rejection(owner.pb.collection('users').getOne(leaver.id))).status).toBe(404);
    expect((await leaver.pb.collection('users').getFullList()).map((u) => u.id)).toEqual([leaver.id]);
  });

  it('lets everyone see their own profile with their email', async () => {
    const user = await signUp(server.url, 'Self');
    const self = await user.pb.collection('users').getOne(user.id);
    expect(self.email).toBe(user.email);
  });
});
