/**
 * Uploading a take to the studio (issue 9) against the real PocketBase: chunks, resume after a
 * dropped connection (by hand, and by uploadTake through a proxy that cuts a chunk short), who may
 * read, list, download, rename and delete, the size limit, and that deleting the studio or the
 * uploader's account removes the recording's file and any unfinished upload from disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPocketBaseClient, joinStudio } from '../../src/lib/pb/client';
import type { RecordingsRecord, StudiosRecord } from '../../src/lib/pb/types';
import {
  deleteRecording,
  fetchRecordingLimits,
  listRecordings,
  recordingFileUrl,
  uploadTake,
} from '../../src/lib/recording/upload';
import { UploadError, uploadRoutes, type UploadState } from '../../src/lib/recording/upload-api';
import {
  guestClient,
  rejection,
  signUp,
  startPocketBase,
  superuserClient,
  type RunningPocketBase,
  type TestUser,
} from '../support/pocketbase';

const MiB = 1024 * 1024;
const MAX_BYTES = 24 * MiB;
/** The server's chunk size (internal/recordings DefaultChunkSize). */
const CHUNK = 4 * MiB;
const FAST_RETRIES = [20, 40, 80, 160];

let server: RunningPocketBase;
let slugCounter = 0;

beforeAll(async () => {
  server = await startPocketBase({ env: { BANDMESH_RECORDING_MAX_BYTES: String(MAX_BYTES) } });
});

afterAll(async () => {
  await server?.stop();
});

interface Band {
  studio: StudiosRecord;
  owner: TestUser;
  member: TestUser;
  other: TestUser;
  stranger: TestUser;
}

async function band(): Promise<Band> {
  slugCounter += 1;
  const owner = await signUp(server.url, 'Owner');
  const member = await signUp(server.url, 'Member');
  const other = await signUp(server.url, 'Other');
  const stranger = await signUp(server.url, 'Stranger');
  const studio = await owner.pb
    .collection('studios')
    .create({ name: 'Band', slug: `takes-${slugCounter}`, owner: owner.id, visibility: 'unlisted' });
  await joinStudio(member.pb, studio.slug);
  await joinStudio(other.pb, studio.slug);
  return { studio, owner, member, other, stranger };
}

function take(size: number, fileName = 'jam.zip'): File {
  return new File([randomBytes(size)], fileName, { type: 'application/zip' });
}

async function bytesOf(blob: Blob): Promise<Buffer> {
  return Buffer.from(await blob.arrayBuffer());
}

async function download(url: string): Promise<{ status: number; body: Buffer; disposition: string }> {
  const response = await fetch(url);
  const disposition = response.headers.get('content-disposition') ?? '';
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), disposition };
}

function storagePath(record: RecordingsRecord): string {
  return join(server.dataDir, 'storage', record.collectionId, record.id, record.file);
}

function partsDir(uploadId: string): string {
  return join(server.dataDir, 'bandmesh_uploads', uploadId);
}

/** PocketBase removes a deleted record's files just after the delete, in the background. */
async function waitGone(path: string): Promise<void> {
  for (let deadline = Date.now() + 5000; existsSync(path);) {
    if (Date.now() > deadline) throw new Error(`${path} is still on disk`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts an upload by hand; with `file`, exactly as uploadTake would (its name and checksum). */
async function startUpload(
  user: TestUser,
  b: Band,
  size: number,
  takeId: string,
  file?: File,
): Promise<UploadState> {
  const same = file
    ? {
        fileName: file.name,
        sha256: createHash('sha256')
          .update(await bytesOf(file))
          .digest('hex'),
      }
    : {};
  return user.pb.send<UploadState>(uploadRoutes.start, {
    method: 'POST',
    body: { studio: b.studio.id, takeId, kind: 'stems', name: 'Jam', durationFrames: 480000, size, ...same },
    requestKey: null,
  });
}

function putChunk(user: TestUser, id: string, offset: number, chunk: Buffer): Promise<UploadState> {
  return user.pb.send<UploadState>(uploadRoutes.upload(id), {
    method: 'PUT',
    query: { offset },
    body: new Blob([new Uint8Array(chunk)]),
    headers: { 'Content-Type': 'application/octet-stream' },
    requestKey: null,
  });
}

/** Sends `sent` of `total` body bytes of a PUT, then drops the connection. */
async function dropMidChunk(user: TestUser, id: string, offset: number, chunk: Buffer, sent: number) {
  const url = new URL(`${server.url}${uploadRoutes.upload(id)}?offset=${offset}`);
  const req = httpRequest(url, {
    method: 'PUT',
    headers: {
      authorization: user.pb.authStore.token,
      'content-type': 'application/octet-stream',
      'content-length': String(chunk.length),
    },
  });
  req.on('error', () => undefined);
  await new Promise<void>((resolve) => req.write(chunk.subarray(0, sent), () => resolve()));
  await new Promise((r) => setTimeout(r, 100));
  req.destroy();
}

async function uploaded(user: TestUser, b: Band, file: File, takeId: string): Promise<RecordingsRecord> {
  const { id } = await uploadTake(user.pb, {
    studioId: b.studio.id,
    takeId,
    kind: 'stems',
    name: `Take ${takeId}`,
    durationFrames: 48000 * 30,
    file,
    onProgress: () => undefined,
  });
  return user.pb.collection('recordings').getOne(id);
}

describe('uploading a take', () => {
  let b: Band;
  beforeAll(async () => {
    b = await band();
  });

  it('a member uploads in chunks with progress; members list, play and download it', async () => {
    const file = take(2 * CHUNK + 12345);
    const progress: number[] = [];
    const result = await uploadTake(b.member.pb, {
      studioId: b.studio.id,
      takeId: 'take-a',
      kind: 'stems',
      name: 'Tuesday jam',
      durationFrames: 48000 * 60,
      file,
      onProgress: (f) => progress.push(f),
    });
    // Start (0), three chunks, done.
    expect(progress[0]).toBe(0);
    expect(progress.filter((f) => f > 0 && f < 1)).toHaveLength(2);
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((x, y) => x - y)).toEqual(progress);

    const got = await download(result.url);
    expect(got.status).toBe(200);
    expect(got.body.equals(await bytesOf(file))).toBe(true);

    for (const viewer of [b.owner, b.other, b.member]) {
      const list = await listRecordings(viewer.pb, b.studio.id);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({
        id: result.id,
        name: 'Tuesday jam',
        kind: 'stems',
        durationFrames: 48000 * 60,
        bytes: file.size,
        uploaderId: b.member.id,
        uploaderName: 'Member',
      });
      expect(list[0]!.fileName).toMatch(/^jam_\w+\.zip$/);
      expect((await download(list[0]!.url)).body.equals(got.body)).toBe(true);
    }
    const limits = await fetchRecordingLimits(b.member.pb);
    expect(limits).toEqual({ enabled: true, maxBytes: MAX_BYTES, chunkSize: CHUNK });
  });

  it('resumes from the offset GET reports after a connection dropped mid-chunk, with identical bytes', async () => {
    const file = take(2 * CHUNK + 777);
    const bytes = await bytesOf(file);
    const started = await startUpload(b.member, b, file.size, 'take-b', file);
    expect(started).toMatchObject({ received: 0, chunkSize: CHUNK, size: file.size });
    await putChunk(b.member, started.uploadId, 0, bytes.subarray(0, CHUNK));
    await dropMidChunk(b.member, started.uploadId, CHUNK, bytes.subarray(CHUNK, 2 * CHUNK), CHUNK / 2);

    const status = await b.member.pb.send<UploadState>(uploadRoutes.upload(started.uploadId), {
      requestKey: null,
    });
    expect(status.received).toBe(CHUNK);

    // uploadTake finds the unfinished upload of this take and continues from there.
    const progress: number[] = [];
    const result = await uploadTake(b.member.pb, {
      studioId: b.studio.id,
      takeId: 'take-b',
      kind: 'stems',
      name: 'Resumed',
      durationFrames: 1,
      file,
      onProgress: (f) => progress.push(f),
    });
    expect(progress[0]).toBe(CHUNK / file.size);
    expect((await download(result.url)).body.equals(bytes)).toBe(true);
    expect(existsSync(partsDir(started.uploadId))).toBe(false);

    // Uploading the same take again stores nothing twice.
    const again = await uploadTake(b.member.pb, {
      studioId: b.studio.id,
      takeId: 'take-b',
      kind: 'stems',
      name: 'Resumed',
      durationFrames: 1,
      file,
      onProgress: () => undefined,
    });
    expect(again.id).toBe(result.id);
  });

  it('uploadTake retries a chunk whose connection dropped and completes with identical bytes', async () => {
    const proxy = await droppingProxy(server.url, (req) => /[?&]offset=[1-9]/.test(req.url ?? ''));
    try {
      const pb = createPocketBaseClient({ url: proxy.url });
      pb.authStore.save(b.member.pb.authStore.token, b.member.pb.authStore.record);
      const file = take(2 * CHUNK + 99);
      const result = await uploadTake(pb, {
        studioId: b.studio.id,
        takeId: 'take-c',
        kind: 'stems',
        name: 'Flaky Wi-Fi',
        durationFrames: 1,
        file,
        onProgress: () => undefined,
        retryDelaysMs: FAST_RETRIES,
      });
      expect(proxy.dropped()).toBe(1);
      expect((await download(result.url)).body.equals(await bytesOf(file))).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('refuses a chunk at the wrong offset with 409 and the offset to continue at', async () => {
    const started = await startUpload(b.member, b, CHUNK + 10, 'take-d');
    await putChunk(b.member, started.uploadId, 0, randomBytes(1000));
    const error = await rejection(putChunk(b.member, started.uploadId, 5000, randomBytes(10)));
    expect(error.status).toBe(409);
    expect(error.response).toMatchObject({ code: 'wrong-offset', expected: 1000 });
    expect(error.response.message).toMatch(/byte 1000/);
    // A chunk the server already holds, sent again: accepted, nothing changes.
    expect((await putChunk(b.member, started.uploadId, 0, randomBytes(1000))).received).toBe(1000);
    const early = await rejection(
      b.member.pb.send(uploadRoutes.complete(started.uploadId), { method: 'POST', requestKey: null }),
    );
    expect(early.status).toBe(409);
    expect(early.response).toMatchObject({ code: 'upload-incomplete', expected: 1000 });
  });

  it('refuses an upload over BANDMESH_RECORDING_MAX_BYTES with 413 and a sentence', async () => {
    const error = await rejection(startUpload(b.member, b, MAX_BYTES + 1, 'take-e'));
    expect(error.status).toBe(413);
    expect(error.response).toMatchObject({ code: 'recording-too-large' });
    expect(error.response.message).toBe(
      'This take is 24 MB, and this server accepts uploads of up to 24 MB. Export only the mix, or as Ogg Opus, to make it smaller.',
    );
    const tooBig = await uploadTake(b.member.pb, {
      studioId: b.studio.id,
      takeId: 'take-e',
      kind: 'stems',
      name: 'Huge',
      durationFrames: 1,
      file: take(MAX_BYTES + 5 * MiB),
      onProgress: () => undefined,
    }).catch((e: unknown) => e);
    expect(tooBig).toBeInstanceOf(UploadError);
    expect((tooBig as UploadError).status).toBe(413);
    expect((tooBig as UploadError).message).toMatch(/29 MB, and this server accepts uploads of up to 24 MB/);

    // A chunk bigger than the chunk size is refused too, and stores nothing.
    const started = await startUpload(b.member, b, CHUNK + 10, 'take-f');
    const chunkError = await rejection(putChunk(b.member, started.uploadId, 0, randomBytes(CHUNK + 1)));
    expect(chunkError.status).toBe(413);
    expect(chunkError.response).toMatchObject({ code: 'chunk-too-large' });
  });

  it('nobody creates a recording through the collection API', async () => {
    const error = await rejection(
      b.member.pb.collection('recordings').create({
        studio: b.studio.id,
        uploader: b.member.id,
        name: 'Sneaky',
        kind: 'mix',
        takeId: 'x',
        bytes: 3,
        file: new File([new Uint8Array([1, 2, 3])], 'x.wav'),
      }),
    );
    expect(error.status).toBe(403);
  });
});

describe('who may see, change and delete an uploaded take', () => {
  let b: Band;
  let record: RecordingsRecord;
  let bytes: Buffer;
  beforeAll(async () => {
    b = await band();
    const file = take(50_000, 'mix.wav');
    bytes = await bytesOf(file);
    const { id } = await uploadTake(b.member.pb, {
      studioId: b.studio.id,
      takeId: 'mix-1',
      kind: 'mix',
      name: 'Mix',
      durationFrames: 48000,
      file,
      onProgress: () => undefined,
    });
    record = await b.member.pb.collection('recordings').getOne(id);
  });

  it('a non-member cannot list, read, download or upload', async () => {
    expect(await listRecordings(b.stranger.pb, b.studio.id)).toEqual([]);
    expect(await b.stranger.pb.collection('recordings').getFullList()).toEqual([]);
    expect((await rejection(b.stranger.pb.collection('recordings').getOne(record.id))).status).toBe(404);
    expect((await rejection(guestClient(server.url).collection('recordings').getOne(record.id))).status).toBe(
      404,
    );

    // Their own file token does not open the file; a member's does.
    const strangerUrl = await recordingFileUrl(b.stranger.pb, record);
    const strangerGot = await download(strangerUrl);
    expect(strangerGot.status).toBeGreaterThanOrEqual(400);
    expect(strangerGot.body.includes(bytes.subarray(0, 64))).toBe(false);
    const plain = await download(b.member.pb.files.getURL(record, record.file));
    expect(plain.status).toBeGreaterThanOrEqual(400);
    const saved = await download(await recordingFileUrl(b.member.pb, record, true));
    expect(saved.body.equals(bytes)).toBe(true);
    expect(saved.disposition).toMatch(/^attachment/);

    const upload = await rejection(startUpload(b.stranger, b, 1000, 'intruder'));
    expect(upload.status).toBe(403);
    expect(upload.response).toMatchObject({
      code: 'not-member',
      message: 'Only members of this studio can upload takes to it.',
    });
    const viaClient = await uploadTake(b.stranger.pb, {
      studioId: b.studio.id,
      takeId: 'intruder',
      kind: 'mix',
      name: 'x',
      durationFrames: 1,
      file: take(100, 'x.wav'),
      onProgress: () => undefined,
    }).catch((e: unknown) => e);
    expect((viaClient as UploadError).message).toBe('Only members of this studio can upload takes to it.');
    const guest = await rejection(
      guestClient(server.url).send(uploadRoutes.start, { method: 'POST', body: {}, requestKey: null }),
    );
    expect(guest.status).toBe(401);
  });

  it('the uploader and the owner may rename; nothing else changes; another member may not', async () => {
    await b.member.pb.collection('recordings').update(record.id, { name: 'Renamed by uploader' });
    await b.owner.pb.collection('recordings').update(record.id, { name: 'Renamed by owner' });
    expect(
      (await rejection(b.other.pb.collection('recordings').update(record.id, { name: 'No' }))).status,
    ).toBe(404);
    for (const body of [
      { bytes: 1 },
      { kind: 'stems' },
      { takeId: 'other' },
      { studio: b.studio.id },
      { uploader: b.owner.id },
      { durationFrames: 5 },
    ]) {
      const error = await rejection(b.member.pb.collection('recordings').update(record.id, body));
      expect(error.status, JSON.stringify(body)).toBe(404);
    }
    const evil = () => new File([new Uint8Array([9, 9, 9])], 'evil.wav');
    for (const body of [{ file: evil() }, { 'file+': evil() }, { 'file-': [record.file] }, { file: null }]) {
      const error = await rejection(b.member.pb.collection('recordings').update(record.id, body));
      expect(error.status, Object.keys(body)[0]).toBe(404);
    }
    const now = await b.member.pb.collection('recordings').getOne(record.id);
    expect(now).toMatchObject({
      name: 'Renamed by owner',
      file: record.file,
      bytes: record.bytes,
      kind: 'mix',
    });
  });

  it('another member cannot delete; the uploader and the owner can', async () => {
    const error = await deleteRecording(b.other.pb, record.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect((error as UploadError).message).toMatch(
      /Only the player who uploaded this take, or the studio owner/,
    );
    expect(existsSync(storagePath(record))).toBe(true);

    await deleteRecording(b.member.pb, record.id);
    await waitGone(storagePath(record));

    const second = await uploaded(b.member, b, take(20_000), 'stems-2');
    await deleteRecording(b.owner.pb, second.id);
    expect(await listRecordings(b.member.pb, b.studio.id)).toEqual([]);
    await waitGone(storagePath(second));
  });
});

describe('deleting the studio or the account removes takes and unfinished uploads from disk', () => {
  async function withTakes(b: Band) {
    const record = await uploaded(b.member, b, take(30_000), 'done');
    const open = await startUpload(b.member, b, 30_000, 'unfinished');
    await putChunk(b.member, open.uploadId, 0, randomBytes(10_000));
    expect(existsSync(storagePath(record))).toBe(true);
    expect(readdirSync(partsDir(open.uploadId))).toHaveLength(1);
    return { record, open };
  }

  async function assertGone(record: RecordingsRecord, open: UploadState) {
    const su = await superuserClient(server.url);
    expect((await rejection(su.collection('recordings').getOne(record.id))).status).toBe(404);
    await waitGone(storagePath(record));
    await waitGone(partsDir(open.uploadId));
  }

  it('deleting the studio', async () => {
    const b = await band();
    const { record, open } = await withTakes(b);
    await b.owner.pb.collection('studios').delete(b.studio.id);
    await assertGone(record, open);
  });

  it("deleting the uploader's account", async () => {
    const b = await band();
    const { record, open } = await withTakes(b);
    // Accounts are deleted only through the route that asks for the password (internal/account).
    await b.member.pb.send('/api/bandmesh/me/delete', {
      method: 'POST',
      body: { password: b.member.password },
    });
    await assertGone(record, open);
  });
});

describe('BANDMESH_RECORDINGS=off', () => {
  let off: RunningPocketBase;
  beforeAll(async () => {
    off = await startPocketBase({ env: { BANDMESH_RECORDINGS: 'off' } });
  });
  afterAll(async () => {
    await off?.stop();
  });

  it('refuses every upload with a clear sentence', async () => {
    const user = await signUp(off.url, 'Owner');
    const studio = await user.pb
      .collection('studios')
      .create({ name: 'Band', slug: 'off-band', owner: user.id });
    expect(await fetchRecordingLimits(user.pb)).toMatchObject({ enabled: false });
    const error = await uploadTake(user.pb, {
      studioId: studio.id,
      takeId: 't',
      kind: 'mix',
      name: 'x',
      durationFrames: 1,
      file: take(100, 'x.wav'),
      onProgress: () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect((error as UploadError).status).toBe(403);
    expect((error as UploadError).code).toBe('recordings-disabled');
    expect((error as UploadError).message).toMatch(/does not store recordings/);
  });
});

/**
 * An HTTP proxy in front of PocketBase that cuts the first request matching `drop` short: it forwards
 * 1 MiB of the body, then closes both connections, as a network hand-over does.
 */
async function droppingProxy(
  target: string,
  drop: (req: IncomingMessage) => boolean,
): Promise<{ url: string; dropped(): number; close(): Promise<void> }> {
  let dropped = 0;
  const proxy: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    const upstream = httpRequest(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    if (dropped === 0 && drop(req)) {
      dropped += 1;
      let sent = 0;
      req.on('data', (chunk: Buffer) => {
        if (sent >= MiB) return;
        upstream.write(chunk);
        sent += chunk.length;
        if (sent >= MiB) {
          setTimeout(() => {
            upstream.destroy();
            req.socket.destroy();
          }, 50);
        }
      });
    } else {
      req.pipe(upstream);
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dropped: () => dropped,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    },
  };
}
