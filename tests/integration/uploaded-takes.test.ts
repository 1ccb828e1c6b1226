/**
 * The uploaded-takes list as the studio page shows it (state/uploaded-takes.svelte.ts) against the
 * real PocketBase: what it lists and which files it calls playable, fresh file addresses that
 * download, a refused delete reported in `error` with the list kept, and a delete that reloads it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinStudio } from '../../src/lib/pb/client';
import { uploadTake } from '../../src/lib/recording/upload';
import { UploadedTakesList } from '../../src/lib/state/uploaded-takes.svelte';
import { signUp, startPocketBase, type RunningPocketBase, type TestUser } from '../support/pocketbase';

let server: RunningPocketBase;
let owner: TestUser;
let member: TestUser;
let studioId: string;

async function upload(user: TestUser, takeId: string, kind: 'mix' | 'stems', fileName: string) {
  const file = new File([randomBytes(20_000)], fileName);
  return uploadTake(user.pb, {
    studioId,
    takeId,
    kind,
    name: `Take ${takeId}`,
    durationFrames: 48000,
    file,
    onProgress: () => undefined,
  });
}

beforeAll(async () => {
  server = await startPocketBase();
  owner = await signUp(server.url, 'Owner');
  member = await signUp(server.url, 'Member');
  const studio = await owner.pb
    .collection('studios')
    .create({ name: 'Band', slug: 'uploaded-takes', owner: owner.id, visibility: 'unlisted' });
  studioId = studio.id;
  await joinStudio(member.pb, studio.slug);
});

afterAll(async () => {
  await server?.stop();
});

describe('UploadedTakesList', () => {
  it('lists, addresses and deletes the studio’s uploaded takes', async () => {
    const list = new UploadedTakesList(member.pb, studioId);
    expect(list.loaded).toBe(false);
    await list.refresh();
    expect(list.loaded).toBe(true);
    expect(list.items).toEqual([]);
    expect(list.error).toBeNull();

    const ownersMix = await upload(owner, 'a', 'mix', 'mix.wav');
    const ownersStems = await upload(owner, 'b', 'stems', 'stems.zip');
    const membersMix = await upload(member, 'c', 'mix', 'mix.ogg');
    await list.refresh();
    const byId = new Map(list.items.map((item) => [item.id, item]));
    expect(byId.size).toBe(3);
    expect(byId.get(ownersMix.id)).toMatchObject({ kind: 'mix', uploaderName: 'Owner', playable: true });
    expect(byId.get(ownersStems.id)).toMatchObject({ kind: 'stems', playable: false });
    expect(byId.get(membersMix.id)).toMatchObject({ uploaderId: member.id, playable: true });

    const url = await list.fileUrl(byId.get(membersMix.id)!, true);
    expect(url).not.toBeNull();
    const response = await fetch(url!);
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBe(20_000);

    // A member may not delete the owner's take: the list says why and keeps it.
    expect(await list.delete(ownersMix.id)).toBe(false);
    expect(list.error).toMatch(/Only the player who uploaded this take, or the studio owner/);
    expect(list.items).toHaveLength(3);

    // Their own goes, and the list reloads without it (the error is cleared).
    expect(await list.delete(membersMix.id)).toBe(true);
    expect(list.error).toBeNull();
    expect(list.items.map((item) => item.id).sort()).toEqual([ownersMix.id, ownersStems.id].sort());

    // The owner may delete anyone's.
    const owners = new UploadedTakesList(owner.pb, studioId);
    expect(await owners.delete(ownersStems.id)).toBe(true);
    expect(owners.items.map((item) => item.id)).toEqual([ownersMix.id]);

    // After dispose (the page left), nothing is written any more.
    list.dispose();
    list.dispose();
    await list.refresh();
    expect(list.items).toHaveLength(2);
  });
});
