/**
 * Studio settings against the real PocketBase build: only the owner edits a studio's name,
 * description, visibility and player limit, or deletes it. Engineers, members and strangers are
 * refused and change nothing; bad values get a sentence naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStudioPreview, joinStudio } from '../../src/lib/pb/client';
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

async function band(visibility: 'unlisted' | 'private' = 'unlisted'): Promise<Band> {
  const owner = await signUp(server.url, 'Owner');
  const engineer = await signUp(server.url, 'Engineer');
  const member = await signUp(server.url, 'Member');
  const stranger = await signUp(server.url, 'Stranger');
  // Unlisted while the others join by link, then the visibility asked for.
  let studio = await owner.pb
    .collection('studios')
    .create({ name: 'Settings band', slug: 'settings', owner: owner.id, visibility: 'unlisted' });
  await joinStudio(engineer.pb, studio.slug);
  await joinStudio(member.pb, studio.slug);
  const su = await superuserClient(server.url);
  const eng = await su
    .collection('memberships')
    .getFirstListItem(`studio = "${studio.id}" && user = "${engineer.id}"`);
  await owner.pb.collection('memberships').update(eng.id, { role: 'engineer' });
  if (visibility !== 'unlisted')
    studio = await owner.pb.collection('studios').update(studio.id, { visibility });
  return { studio, owner, engineer, member, stranger };
}

async function stored(id: string): Promise<StudiosRecord> {
  return (await superuserClient(server.url)).collection('studios').getOne(id);
}

describe('studio settings', () => {
  let b: Band;
  beforeAll(async () => {
    b = await band();
  });

  it('the owner changes name, description, visibility and player limit', async () => {
    const updated = await b.owner.pb.collection('studios').update(b.studio.id, {
      name: 'Renamed band',
      description: 'Tuesdays, 8 pm',
      visibility: 'private',
      maxPlayers: 8,
    });
    expect(updated).toMatchObject({
      name: 'Renamed band',
      description: 'Tuesdays, 8 pm',
      visibility: 'private',
      maxPlayers: 8,
      slug: b.studio.slug,
    });
    const preview = await fetchStudioPreview(b.member.pb, b.studio.slug);
    expect(preview).toMatchObject({ name: 'Renamed band', visibility: 'private', isMember: true });
  });

  it('refuses out-of-range values with a field error, and changes nothing', async () => {
    const before = await stored(b.studio.id);
    const error = await rejection(
      b.owner.pb.collection('studios').update(b.studio.id, {
        name: '',
        description: 'x'.repeat(501),
        visibility: 'secret',
        maxPlayers: 65,
      }),
    );
    expect(error.status).toBe(400);
    expect(Object.keys(error.response.data).sort()).toEqual([
      'description',
      'maxPlayers',
      'name',
      'visibility',
    ]);
    const one = await rejection(b.owner.pb.collection('studios').update(b.studio.id, { maxPlayers: 1 }));
    expect(one.response.data.maxPlayers.message).toBeTruthy();
    expect(await stored(b.studio.id)).toEqual(before);
  });

  it('an engineer, a member and a stranger can neither edit nor delete the studio', async () => {
    const before = await stored(b.studio.id);
    for (const user of [b.engineer, b.member, b.stranger]) {
      for (const change of [
        { name: 'Hijacked' },
        { visibility: 'public' },
        { maxPlayers: 64 },
        { owner: user.id },
      ]) {
        const error = await rejection(user.pb.collection('studios').update(b.studio.id, change));
        expect(error.status).toBe(404);
      }
      expect((await rejection(user.pb.collection('studios').delete(b.studio.id))).status).toBe(404);
    }
    expect(await stored(b.studio.id)).toEqual(before);
  });

  it('the owner cannot hand the studio to someone else through an edit', async () => {
    const error = await rejection(
      b.owner.pb.collection('studios').update(b.studio.id, { owner: b.member.id }),
    );
    expect(error.status).toBe(404);
    expect((await stored(b.studio.id)).owner).toBe(b.owner.id);
  });

  it('the owner deletes the studio: its address and memberships are gone for everyone', async () => {
    const doomed = await band('private');
    await doomed.owner.pb.collection('studios').delete(doomed.studio.id);
    for (const user of [doomed.owner, doomed.member]) {
      const error = await rejection(fetchStudioPreview(user.pb, doomed.studio.slug));
      expect(error.status).toBe(404);
    }
    const su = await superuserClient(server.url);
    expect(
      await su.collection('memberships').getFullList({ filter: `studio = "${doomed.studio.id}"` }),
    ).toEqual([]);
  });
});
