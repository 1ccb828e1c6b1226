/**
 * The members page's boundary against the real PocketBase build: only the owner changes roles and
 * removes members, nobody touches the owner's membership, and a stranger learns nothing about a
 * private studio's members (the answer equals the one for a studio that does not exist).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStudioPreview, joinStudio } from '../../src/lib/pb/client';
import type { MembershipsRecord, StudiosRecord } from '../../src/lib/pb/types';
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
  server = await startPocketBase();
});

afterAll(async () => {
  await server?.stop();
});

interface Band {
  studio: StudiosRecord;
  owner: TestUser;
  engineer: TestUser;
  member: TestUser;
  stranger: TestUser;
}

async function privateBand(): Promise<Band> {
  const owner = await signUp(server.url, 'Owner');
  const engineer = await signUp(server.url, 'Engineer');
  const member = await signUp(server.url, 'Member');
  const stranger = await signUp(server.url, 'Stranger');
  const created = await owner.pb
    .collection('studios')
    .create({ name: 'Members band', slug: 'members', owner: owner.id, visibility: 'unlisted' });
  await joinStudio(engineer.pb, created.slug);
  await joinStudio(member.pb, created.slug);
  const studio = await owner.pb.collection('studios').update(created.id, { visibility: 'private' });
  const b = { studio, owner, engineer, member, stranger };
  await owner.pb.collection('memberships').update((await membershipOf(b, engineer)).id, { role: 'engineer' });
  return b;
}

async function membershipOf(b: { studio: StudiosRecord }, user: TestUser): Promise<MembershipsRecord> {
  const su = await superuserClient(server.url);
  return su.collection('memberships').getFirstListItem(`studio = "${b.studio.id}" && user = "${user.id}"`);
}

async function roles(b: Band): Promise<Record<string, string>> {
  const su = await superuserClient(server.url);
  const rows = await su.collection('memberships').getFullList({ filter: `studio = "${b.studio.id}"` });
  return Object.fromEntries(rows.map((m) => [m.user, m.role]));
}

describe('members of a studio', () => {
  let b: Band;
  beforeAll(async () => {
    b = await privateBand();
  });

  it('every member lists every member with name, instruments and role', async () => {
    for (const user of [b.owner, b.engineer, b.member]) {
      const rows = await user.pb.collection('memberships').getFullList<
        MembershipsRecord & {
          expand?: { user?: { name: string; instruments: string[] | null } };
        }
      >({ filter: `studio = "${b.studio.id}"`, expand: 'user' });
      expect(rows.map((r) => [r.expand?.user?.name, r.role]).sort()).toEqual([
        ['Engineer', 'engineer'],
        ['Member', 'member'],
        ['Owner', 'owner'],
      ]);
    }
  });

  it('a stranger sees a private studio’s members exactly as those of a studio that does not exist', async () => {
    const list = (filter: string) => b.stranger.pb.collection('memberships').getList(1, 50, { filter });
    const real = await list(`studio = "${b.studio.id}"`);
    const none = await list(`studio = "nosuchstudio000"`);
    expect(real.items).toEqual([]);
    expect(real.totalItems).toBe(none.totalItems);
    const viewOne = await rejection(
      b.stranger.pb.collection('memberships').getOne((await membershipOf(b, b.member)).id),
    );
    const viewNone = await rejection(b.stranger.pb.collection('memberships').getOne('nosuchmember000'));
    expect([viewOne.status, viewOne.response]).toEqual([viewNone.status, viewNone.response]);
    expect((await rejection(fetchStudioPreview(b.stranger.pb, b.studio.slug))).status).toBe(404);
  });

  it('a member cannot promote themself or anyone, nor remove anyone else', async () => {
    const before = await roles(b);
    const own = await membershipOf(b, b.member);
    for (const role of ['engineer', 'owner']) {
      expect((await rejection(b.member.pb.collection('memberships').update(own.id, { role }))).status).toBe(
        404,
      );
    }
    for (const target of [b.owner, b.engineer]) {
      const id = (await membershipOf(b, target)).id;
      expect((await rejection(b.member.pb.collection('memberships').delete(id))).status).toBe(404);
    }
    expect(await roles(b)).toEqual(before);
  });

  it('an engineer cannot remove the owner or a member, nor demote the owner', async () => {
    const before = await roles(b);
    const ownerRow = await membershipOf(b, b.owner);
    expect((await rejection(b.engineer.pb.collection('memberships').delete(ownerRow.id))).status).toBe(404);
    expect(
      (await rejection(b.engineer.pb.collection('memberships').update(ownerRow.id, { role: 'member' })))
        .status,
    ).toBe(404);
    const memberRow = await membershipOf(b, b.member);
    expect((await rejection(b.engineer.pb.collection('memberships').delete(memberRow.id))).status).toBe(404);
    expect(await roles(b)).toEqual(before);
  });

  it('the owner makes a member engineer and back, and removes them; the owner cannot leave', async () => {
    const row = await membershipOf(b, b.member);
    expect((await b.owner.pb.collection('memberships').update(row.id, { role: 'engineer' })).role).toBe(
      'engineer',
    );
    expect((await b.owner.pb.collection('memberships').update(row.id, { role: 'member' })).role).toBe(
      'member',
    );
    const ownerRow = await membershipOf(b, b.owner);
    expect((await rejection(b.owner.pb.collection('memberships').delete(ownerRow.id))).status).toBe(404);
    await b.owner.pb.collection('memberships').delete(row.id);
    expect((await roles(b))[b.member.id]).toBeUndefined();
    // Removed from a private studio, they now see what a stranger sees.
    expect((await rejection(fetchStudioPreview(b.member.pb, b.studio.slug))).status).toBe(404);
  });

  it('an engineer leaves for good by deleting their own membership', async () => {
    const row = await membershipOf(b, b.engineer);
    await b.engineer.pb.collection('memberships').delete(row.id);
    expect((await roles(b))[b.engineer.id]).toBeUndefined();
    expect((await rejection(fetchStudioPreview(b.engineer.pb, b.studio.slug))).status).toBe(404);
  });
});
