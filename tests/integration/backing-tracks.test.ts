/**
 * Backing tracks (issue 11) against the real PocketBase build: members upload, list and download;
 * everything else a hostile client might try is refused with a sentence, and the server keeps serving
 * the band: a stranger uploading, listing, downloading or guessing file URLs; a forged uploader; an
 * executable renamed .wav; an oversize file (by its declared length, and by its real size); more
 * tracks than a studio keeps; a member deleting another's track; editing a track after upload.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crowdRateLimitsEnv } from '../../scripts/lib/crowd-rate-limits.mjs';
import { joinStudio } from '../../src/lib/pb/client';
import type { BackingTracksRecord, StudiosRecord } from '../../src/lib/pb/types';
import { wavHeader } from '../../src/lib/recording/formats/wav';
import {
  rejection,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';

const MiB = 1024 * 1024;
/** internal/backingtracks MaxBytes and MaxPerStudio. */
const MAX_BYTES = 50 * MiB;
const MAX_PER_STUDIO = 20;

let server: RunningPocketBase;
let slugCounter = 0;

beforeAll(async () => {
  server = await startPocketBase({ env: { ...crowdRateLimitsEnv(), BANDMESH_REQUIRE_VERIFIED: 'false' } });
});

afterAll(async () => {
  await server?.stop();
});

interface Band {
  studio: StudiosRecord;
  owner: TestUser;
  engineer: TestUser;
  member: TestUser;
  other: TestUser;
  stranger: TestUser;
}

async function band(): Promise<Band> {
  slugCounter += 1;
  const [owner, engineer, member, other, stranger] = await Promise.all(
    ['Owner', 'Engineer', 'Member', 'Other', 'Stranger'].map((n) => signUp(server.url, n)),
  );
  const studio = await owner!.pb
    .collection('studios')
    .create({ name: 'Band', slug: `tracks-${slugCounter}`, owner: owner!.id, visibility: 'unlisted' });
  for (const u of [engineer!, member!, other!]) await joinStudio(u.pb, studio.slug);
  const su = await superuserClient(server.url);
  const eng = await su
    .collection('memberships')
    .getFirstListItem(`studio = "${studio.id}" && user = "${engineer!.id}"`);
  await su.collection('memberships').update(eng.id, { role: 'engineer' });
  return { studio, owner: owner!, engineer: engineer!, member: member!, other: other!, stranger: stranger! };
}

/** A 24-bit stereo WAV of `frames` frames at `rate`, with noise so two files differ. */
function wav(frames = 4800, rate = 48000): Uint8Array {
  const header = wavHeader({ channels: 2, sampleRate: rate, frames });
  const out = new Uint8Array(header.length + frames * 6);
  out.set(header);
  out.set(randomBytes(frames * 6), header.length);
  return out;
}

function form(fields: Record<string, string>, bytes: Uint8Array, name: string, type: string): FormData {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  body.append('file', new File([new Uint8Array(bytes)], name, { type }));
  return body;
}

function upload(
  user: TestUser,
  b: Band,
  bytes = wav(),
  name = 'groove.wav',
  extra: Record<string, string> = {},
) {
  return user.pb
    .collection('backing_tracks')
    .create(form({ studio: b.studio.id, title: 'Groove', ...extra }, bytes, name, 'audio/wav'), {
      requestKey: null,
    });
}

async function download(url: string): Promise<{ status: number; body: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

async function fileUrl(user: TestUser, track: BackingTracksRecord): Promise<string> {
  const token = await user.pb.files.getToken();
  return user.pb.files.getURL(track, track.file, { token });
}

async function countTracks(b: Band): Promise<number> {
  const su = await superuserClient(server.url);
  return (await su.collection('backing_tracks').getFullList({ filter: `studio = "${b.studio.id}"` })).length;
}

describe('backing tracks', () => {
  let b: Band;
  let track: BackingTracksRecord;
  let bytes: Uint8Array;
  beforeAll(async () => {
    b = await band();
    bytes = wav(96000, 44100);
    track = await upload(b.member, b, bytes);
  });

  it('a member uploads a WAV; the facts come from the file, and every member lists and downloads it', async () => {
    expect(track.uploader).toBe(b.member.id);
    expect(track.format).toBe('wav');
    expect(track.sampleRate).toBe(44100);
    expect(track.durationMs).toBe(2176); // 96000 / 44100 s
    for (const user of [b.owner, b.engineer, b.member, b.other]) {
      const listed = await user.pb
        .collection('backing_tracks')
        .getFullList({ filter: `studio = "${b.studio.id}"` });
      expect(listed.map((t) => t.id)).toEqual([track.id]);
      const got = await download(await fileUrl(user, track));
      expect(got.status).toBe(200);
      expect(Buffer.compare(got.body, Buffer.from(bytes))).toBe(0);
    }
  });

  it('hostile: the uploader is whoever signed the request, whatever the form says, and so are the file facts', async () => {
    const forged = await upload(b.member, b, wav(), 'forged.wav', {
      uploader: b.owner.id,
      format: 'flac',
      sampleRate: '8000',
      durationMs: '999999',
    });
    expect(forged.uploader).toBe(b.member.id);
    expect(forged.format).toBe('wav');
    expect(forged.sampleRate).toBe(48000);
    expect(forged.durationMs).toBe(100);
  });

  it('hostile: a stranger cannot upload, list, view or download, even with a guessed file URL', async () => {
    const before = await countTracks(b);
    const refused = await rejection(upload(b.stranger, b));
    expect([400, 403, 404]).toContain(refused.status);
    expect(await countTracks(b)).toBe(before);

    expect(await b.stranger.pb.collection('backing_tracks').getFullList()).toEqual([]);
    expect((await rejection(b.stranger.pb.collection('backing_tracks').getOne(track.id))).status).toBe(404);

    // The exact file URL, learned somehow: with the stranger's own file token, none, or a forged one.
    const exact = `${server.url}/api/files/${track.collectionId}/${track.id}/${track.file}`;
    const strangerToken = await b.stranger.pb.files.getToken();
    const memberToken = await b.member.pb.files.getToken();
    const forgedToken = memberToken.slice(0, -4) + (memberToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const url of [exact, `${exact}?token=${strangerToken}`, `${exact}?token=${forgedToken}`]) {
      const got = await download(url);
      expect(got.status).toBeGreaterThanOrEqual(400);
      expect(got.body.includes(Buffer.from(bytes.subarray(44, 108)))).toBe(false);
    }
    // An auth token is not a file token.
    const asAuth = await download(`${exact}?token=${b.stranger.pb.authStore.token}`);
    expect(asAuth.status).toBeGreaterThanOrEqual(400);
  });

  it('hostile: a member who leaves can no longer read the tracks', async () => {
    const leaver = await signUp(server.url, 'Leaver');
    await joinStudio(leaver.pb, b.studio.slug);
    const url = await fileUrl(leaver, track);
    expect((await download(url)).status).toBe(200);
    const mine = await leaver.pb
      .collection('memberships')
      .getFirstListItem(`studio = "${b.studio.id}" && user = "${leaver.id}"`);
    await leaver.pb.collection('memberships').delete(mine.id);
    expect((await download(await fileUrl(leaver, track))).status).toBeGreaterThanOrEqual(400);
    expect(await leaver.pb.collection('backing_tracks').getFullList()).toEqual([]);
  });

  it('hostile: an executable named .wav and typed audio/wav is refused with a sentence', async () => {
    const before = await countTracks(b);
    const exe = new Uint8Array(4096);
    exe.set(new TextEncoder().encode('MZ\x90\x00'));
    const refused = await rejection(upload(b.member, b, exe, 'song.wav'));
    expect(refused.status).toBe(400);
    expect(refused.response).toMatchObject({ code: 'not-audio' });
    expect(refused.response.message).toBe(
      'That is not a WAV, MP3, Ogg (Vorbis or Opus) or FLAC file, so it cannot be a backing track.',
    );
    // An HTML page dressed as an MP3 is no better.
    const page = new TextEncoder().encode('<!doctype html><script>alert(1)</script>');
    expect((await rejection(upload(b.member, b, page, 'song.mp3'))).response).toMatchObject({
      code: 'not-audio',
    });
    expect(await countTracks(b)).toBe(before);
  });

  it('hostile: a file just over the limit is refused with both sizes; the band keeps uploading', async () => {
    const big = new Uint8Array(MAX_BYTES + 4096);
    big.set(wav(10));
    const refused = await rejection(upload(b.member, b, big, 'long.wav'));
    expect(refused.status).toBe(413);
    expect(refused.response).toMatchObject({
      code: 'track-too-large',
      message: 'That file is just over 50 MB, the limit for a backing track.',
    });
    const after = await upload(b.other, b);
    expect(after.uploader).toBe(b.other.id);
  });

  it('hostile: a 72 MB upload is refused by its declared length before the server reads it', async () => {
    const declared = 72 * MiB;
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL('/api/collections/backing_tracks/records', server.url);
      const req = httpRequest(url, {
        method: 'POST',
        headers: {
          authorization: b.member.pb.authStore.token,
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': String(declared),
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      // Only the start of the body: a server that waited for the rest would never answer.
      req.write('--x\r\n');
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toEqual({
      code: 'track-too-large',
      message: 'That file is 72 MB; the limit for a backing track is 50 MB.',
    });
  });

  it('hostile: tracks cannot be edited after upload (title, file or uploader)', async () => {
    for (const body of [{ title: 'Renamed' }, { uploader: b.owner.id }]) {
      for (const user of [b.member, b.owner]) {
        expect([400, 403, 404]).toContain(
          (await rejection(user.pb.collection('backing_tracks').update(track.id, body))).status,
        );
      }
    }
    const su = await superuserClient(server.url);
    expect(await su.collection('backing_tracks').getOne(track.id)).toMatchObject({
      title: 'Groove',
      uploader: b.member.id,
    });
  });
});

describe('deleting a backing track', () => {
  let b: Band;
  beforeAll(async () => {
    b = await band();
  });

  it("hostile: a member cannot delete another member's track; the answer says who can", async () => {
    const track = await upload(b.member, b);
    const refused = await rejection(b.other.pb.collection('backing_tracks').delete(track.id));
    expect(refused.status).toBe(403);
    expect(refused.response).toMatchObject({
      code: 'cannot-delete-track',
      message: "Only the person who uploaded this track, an engineer or the studio's owner can delete it.",
    });
    expect((await rejection(b.stranger.pb.collection('backing_tracks').delete(track.id))).status).toBe(404);
    const su = await superuserClient(server.url);
    expect((await su.collection('backing_tracks').getOne(track.id)).id).toBe(track.id);
  });

  it('the uploader, an engineer and the owner may delete', async () => {
    for (const deleter of [b.member, b.engineer, b.owner]) {
      const track = await upload(b.member, b);
      await deleter.pb.collection('backing_tracks').delete(track.id);
      expect((await rejection(b.member.pb.collection('backing_tracks').getOne(track.id))).status).toBe(404);
    }
  });
});

describe('a person’s tracks are their data', () => {
  it('are in their export, and go with their account (record and file)', async () => {
    const b = await band();
    const track = await upload(b.other, b);
    const exported = await b.other.pb.send<{ backingTracks: Array<Record<string, unknown>> }>(
      '/api/bandmesh/me/export',
      {
        requestKey: null,
      },
    );
    expect(exported.backingTracks).toEqual([
      expect.objectContaining({
        id: track.id,
        studio: b.studio.id,
        title: 'Groove',
        format: 'wav',
        file: track.file,
      }),
    ]);
    const path = join(server.dataDir, 'storage', track.collectionId, track.id, track.file);
    expect(existsSync(path)).toBe(true);
    await b.other.pb.send('/api/bandmesh/me/delete', {
      method: 'POST',
      body: { password: b.other.password },
      requestKey: null,
    });
    const su = await superuserClient(server.url);
    expect((await rejection(su.collection('backing_tracks').getOne(track.id))).status).toBe(404);
    for (let deadline = Date.now() + 5000; existsSync(path) && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(path)).toBe(false);
  });
});

describe('a studio keeps at most 20 tracks', () => {
  it('refuses the 21st with a sentence, and takes one again after a deletion', async () => {
    const b = await band();
    const made: BackingTracksRecord[] = [];
    for (let i = 0; i < MAX_PER_STUDIO; i += 1)
      made.push(await upload(i % 2 ? b.member : b.owner, b, wav(480)));
    const refused = await rejection(upload(b.member, b, wav(480)));
    expect(refused.status).toBe(409);
    expect(refused.response).toMatchObject({
      code: 'too-many-tracks',
      message:
        'This studio already keeps 20 backing tracks, the most it can hold. Delete one to upload another.',
    });
    await b.owner.pb.collection('backing_tracks').delete(made[0]!.id);
    expect((await upload(b.member, b, wav(480))).uploader).toBe(b.member.id);
    // Another studio is not counted against this one.
    const elsewhere = await band();
    expect((await upload(elsewhere.member, elsewhere)).studio).toBe(elsewhere.studio.id);
  });
});
