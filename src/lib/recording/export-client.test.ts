/**
 * ExportClient driving the real ExportService as its "Worker" (messages structured-cloned and
 * delivered as tasks, as between threads), on the in-memory OPFS with its quota and Web Locks.
 * The browser-only parts are the Worker entry (export.worker.ts, a few lines of wiring) and OPFS itself.
 */
import { describe, expect, it } from 'vitest';
import { decode as decodeWav } from 'node-wav';
import yauzl from 'yauzl';
import { MemoryLocks, MemoryOpfs } from '../../../tests/support/opfs-memory';
import { TAKES_DIRECTORY, type TakeManifest, type TakeTrack } from '../protocol/recording';
import { ExportClient } from './export-client';
import { EXPORTS_DIRECTORY, type FromExportWorker, type ToExportWorker } from './export-messages';
import { ExportService, type ExportEnvironment } from './export-service';
import { createOpusFileEncoder } from './formats/opus-encoder';
import type { LocksLike } from './opfs';
import { takeLockName } from './take-store';

const RATE = 48_000;

/** A Worker made of the real service: messages cross as structured clones, one task later. */
class ServiceWorker {
  onmessage: ((event: MessageEvent<FromExportWorker>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  terminated = false;
  readonly service: ExportService;
  readonly progressTimes: number[] = [];

  constructor(fs: MemoryOpfs, locks: LocksLike | null, overrides: Partial<ExportEnvironment> = {}) {
    const clock = overrides.clock ?? (() => performance.now());
    this.service = new ExportService(
      {
        root: fs.getDirectory,
        estimate: fs.estimate,
        locks,
        createOpusEncoder: createOpusFileEncoder,
        uuid: () => crypto.randomUUID(),
        now: () => new Date(),
        nextTask: () => new Promise((resolve) => setTimeout(resolve, 0)),
        ...overrides,
        clock,
      },
      (message) => {
        if (message.type === 'progress') this.progressTimes.push(clock());
        // A File does not structured-clone from the memory OPFS's plain object: pass it as is.
        const copy = message.type === 'done' ? { ...message } : structuredClone(message);
        setTimeout(
          () => !this.terminated && this.onmessage?.({ data: copy } as MessageEvent<FromExportWorker>),
        );
      },
    );
  }

  postMessage(message: ToExportWorker): void {
    const copy = structuredClone(message);
    setTimeout(() => !this.terminated && this.service.handle(copy));
  }

  terminate(): void {
    this.terminated = true;
  }
}

function track(
  id: string,
  kind: TakeTrack['kind'],
  name: string,
  channels: 1 | 2,
  startSample: number,
  frames: number,
): TakeTrack {
  return {
    id,
    kind,
    userId: kind === 'mix' ? null : `user-${id}`,
    name,
    instrument: kind === 'mix' ? '' : 'guitar',
    channels,
    file: `${id}.f32`,
    startSample,
    frames,
    concealed: [],
    aligned: true,
    clockUncertaintyMs: null,
  };
}

/** Writes a finished take into the memory OPFS the way the recorder leaves it. */
async function writeTake(fs: MemoryOpfs, id: string, seconds: number): Promise<TakeManifest> {
  const frames = seconds * RATE;
  const tracks = [
    track('mix', 'mix', 'Mix', 2, 0, frames),
    track('self', 'self', 'Ana', 1, 0, frames),
    track('u-bo', 'remote', 'Bo', 1, RATE, frames - RATE),
  ];
  const manifest: TakeManifest = {
    version: 1,
    id,
    name: 'Take one',
    studio: { id: 's1', slug: 'garage', name: 'Garage' },
    recordedBy: { userId: 'user-self', name: 'Ana' },
    startedAt: '2026-12-04T19:00:00.000Z',
    startEpochMs: 1_796_000_000_000,
    startContextFrame: 0,
    sampleRate: RATE,
    state: 'complete',
    durationFrames: frames,
    tracks,
    sequence: 3,
  };
  const root = await fs.getDirectory();
  const dir = await (
    await root.getDirectoryHandle(TAKES_DIRECTORY, { create: true })
  ).getDirectoryHandle(id, { create: true });
  const write = async (name: string, bytes: Uint8Array) => {
    const handle = await (await dir.getFileHandle(name, { create: true })).createSyncAccessHandle();
    handle.write(bytes, { at: 0 });
    handle.close();
  };
  await write('take.json', new TextEncoder().encode(JSON.stringify(manifest)));
  for (const t of tracks) {
    const samples = new Float32Array(t.frames * t.channels);
    for (let i = 0; i < samples.length; i++)
      samples[i] = 0.25 * Math.sin(i * 0.01 * (t.channels + tracks.indexOf(t)));
    await write(t.file, new Uint8Array(samples.buffer));
  }
  return manifest;
}

function unzipNames(bytes: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const out = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) =>
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        }),
      );
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe('ExportClient with the export service on OPFS', () => {
  it('exports a take to bandmesh-exports/ and resolves with the zip, progress rising to 1', async () => {
    const fs = new MemoryOpfs();
    await writeTake(fs, 'take1', 20);
    let created = 0;
    const client = new ExportClient(() => {
      created++;
      return new ServiceWorker(fs, new MemoryLocks().tab()) as unknown as Worker;
    });
    expect(created).toBe(0); // lazily: no Worker before the first export
    const progress: number[] = [];
    const file = await client.export('take1', { format: 'wav', what: 'all' }, (f) => progress.push(f));
    expect(created).toBe(1);
    expect(progress.at(-1)).toBe(1);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);

    const stored = fs.file(`${EXPORTS_DIRECTORY}/take1-all-wav.zip`)!;
    expect(stored).not.toBeNull();
    expect(file.size).toBe(stored.length);
    const entries = await unzipNames(Buffer.from(await file.arrayBuffer()));
    expect([...entries.keys()]).toEqual([
      'manifest.json',
      'Take one.rpp',
      'Take one.lof',
      'mix.wav',
      '01 Ana (guitar).wav',
      '02 Bo (guitar).wav',
    ]);
    const bo = decodeWav(entries.get('02 Bo (guitar).wav')!).channelData[0]!;
    expect(bo.length).toBe(20 * RATE);
    expect(bo.subarray(0, RATE).every((x) => x === 0)).toBe(true); // Bo joined 1 s in: silence first

    // A second export reuses the same Worker.
    await client.export('take1', { format: 'opus', what: 'mix' }, () => {});
    expect(created).toBe(1);
    expect(fs.file(`${EXPORTS_DIRECTORY}/take1-mix-opus.zip`)!.length).toBeGreaterThan(1000);
    client.dispose();
    client.dispose(); // idempotent
    await expect(client.export('take1', { format: 'wav', what: 'mix' }, () => {})).rejects.toThrow(/closed/);
  }, 60_000);

  it('reports progress at least every 250 ms of a long export, on a slow machine', async () => {
    const fs = new MemoryOpfs();
    await writeTake(fs, 'long', 60);
    // A machine that encodes Opus only 2× faster than real time: each 20 ms frame costs 10 ms on a
    // clock the encoding advances. What is checked is the spacing of reports against that clock.
    let now = 0;
    const slowEncoder = async (channels: 1 | 2) => {
      const encoder = await createOpusFileEncoder(channels);
      return {
        ...encoder,
        preSkip: encoder.preSkip,
        encode: (frame: Float32Array) => {
          now += 10;
          return encoder.encode(frame);
        },
      };
    };
    let worker!: ServiceWorker;
    const client = new ExportClient(
      () =>
        (worker = new ServiceWorker(fs, null, {
          clock: () => now,
          createOpusEncoder: slowEncoder,
        })) as unknown as Worker,
    );
    await client.export('long', { format: 'opus', what: 'all' }, () => {});
    const times = worker.progressTimes;
    expect(now).toBeGreaterThan(60_000); // the export "took" over a minute
    expect(times.length).toBeGreaterThan(240);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(250);
    client.dispose();
  }, 60_000);

  it('says why it cannot export: missing take, take still recording, storage full (no partial zip left)', async () => {
    const fs = new MemoryOpfs();
    await writeTake(fs, 'take2', 5);
    const locks = new MemoryLocks();
    const client = new ExportClient(() => new ServiceWorker(fs, locks.tab()) as unknown as Worker);

    await expect(client.export('gone', { format: 'wav', what: 'all' }, () => {})).rejects.toMatchObject({
      name: 'NotFoundError',
      message: 'This take is no longer on this device (was it deleted?).',
    });

    let release!: () => void;
    void locks.tab().request(takeLockName('take2'), {}, () => new Promise<void>((r) => (release = r)));
    await expect(client.export('take2', { format: 'wav', what: 'all' }, () => {})).rejects.toMatchObject({
      name: 'InUseError',
      message: expect.stringMatching(/still being recorded/),
    });
    release();
    await new Promise((r) => setTimeout(r, 0));

    // Room for the estimate's check to pass is not there: refused before writing anything.
    fs.quotaBytes = fs.usage() + 100_000;
    await expect(client.export('take2', { format: 'wav', what: 'all' }, () => {})).rejects.toMatchObject({
      name: 'QuotaExceededError',
      message: expect.stringMatching(/^Not enough storage for this export: it needs about \d+ MB/),
    });
    client.dispose();
  });

  it.each(['throw', 'short'] as const)(
    'a full disk while writing (the write fails: %s) gives a clear message and no partial zip',
    async (quotaFailure) => {
      const fs = new MemoryOpfs({ quotaFailure });
      await writeTake(fs, 'take3', 5);
      const client = new ExportClient(() => new ServiceWorker(fs, null) as unknown as Worker);
      // The estimate says there is room (browsers' estimates can be generous); the writes then run out.
      const usage = fs.usage();
      fs.quotaBytes = usage + 600_000; // the WAV zip needs ~1.9 MB
      const estimate = fs.estimate;
      fs.estimate = async () => ({ ...(await estimate()), quota: usage + 50_000_000 });
      await expect(client.export('take3', { format: 'wav', what: 'all' }, () => {})).rejects.toMatchObject({
        name: 'QuotaExceededError',
        message:
          'The storage is full: the export could not be written. Delete old takes or exports, then try again.',
      });
      expect(fs.file(`${EXPORTS_DIRECTORY}/take3-all-wav.zip`)).toBeNull();
      client.dispose();
    },
  );

  it('cancels through the AbortSignal: AbortError, no zip left', async () => {
    const fs = new MemoryOpfs();
    await writeTake(fs, 'take4', 30);
    const client = new ExportClient(() => new ServiceWorker(fs, null) as unknown as Worker);
    const controller = new AbortController();
    const done = client.export(
      'take4',
      { format: 'opus', what: 'all' },
      (f) => {
        if (f > 0.1) controller.abort();
      },
      controller.signal,
    );
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
    expect(fs.file(`${EXPORTS_DIRECTORY}/take4-all-opus.zip`)).toBeNull();
    client.dispose();
  }, 60_000);

  it('a Worker that fails to load rejects its exports, and the next export starts a new Worker', async () => {
    const fs = new MemoryOpfs();
    await writeTake(fs, 'take5', 2);
    let created = 0;
    const client = new ExportClient(() => {
      created++;
      if (created > 1) return new ServiceWorker(fs, null) as unknown as Worker;
      // What the browser does when the Worker's script cannot load: an error event, no messages.
      const broken = {
        onmessage: null,
        onerror: null as ((event: ErrorEvent) => void) | null,
        postMessage() {
          setTimeout(() => broken.onerror?.({ message: 'script failed', preventDefault() {} } as ErrorEvent));
        },
        terminate() {},
      };
      return broken as unknown as Worker;
    });
    await expect(client.export('take5', { format: 'wav', what: 'mix' }, () => {})).rejects.toThrow(
      'The export stopped unexpectedly (script failed).',
    );
    const file = await client.export('take5', { format: 'wav', what: 'mix' }, () => {});
    expect(file.size).toBeGreaterThan(2 * RATE * 6);
    expect(created).toBe(2);
    client.dispose();
  });
});
