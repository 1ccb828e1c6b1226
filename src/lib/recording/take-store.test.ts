import { describe, expect, it } from 'vitest';
import { MemoryLocks, MemoryOpfs } from '../../../tests/support/opfs-memory';
import { TAKES_DIRECTORY, type TakeManifest, type TakeTrack } from '../protocol/recording';
import { EXPORTS_DIRECTORY } from './export-messages';
import {
  MANIFEST_RESERVE_BYTES,
  ManifestWriter,
  TakeStore,
  parseManifest,
  readManifest,
  takeLockName,
} from './take-store';

function track(id: string, channels: 1 | 2, startSample: number, frames: number): TakeTrack {
  return {
    id,
    kind: id === 'mix' ? 'mix' : id === 'self' ? 'self' : 'remote',
    userId: id === 'mix' ? null : 'user',
    name: id,
    instrument: '',
    channels,
    file: `${id}.f32`,
    startSample,
    frames,
    concealed: [],
    aligned: true,
    clockUncertaintyMs: null,
  };
}

function manifest(id: string, tracks: TakeTrack[], patch: Partial<TakeManifest> = {}): TakeManifest {
  return {
    version: 1,
    id,
    name: `Take ${id}`,
    studio: { id: 's1', slug: 'band', name: 'Band' },
    recordedBy: { userId: 'u1', name: 'Ana' },
    startedAt: '2026-12-07T14:00:00.000Z',
    startEpochMs: Date.parse('2026-12-07T14:00:00.000Z'),
    startContextFrame: 4800,
    sampleRate: 48_000,
    state: 'recording',
    durationFrames: Math.max(0, ...tracks.map((t) => t.startSample + t.frames)),
    tracks,
    ...patch,
  };
}

/** A take directory with a manifest and track files of `bytes[i]` bytes (frame i holds value i). */
async function makeTake(fs: MemoryOpfs, m: TakeManifest, bytes: number[]): Promise<void> {
  const takes = await fs.root.getDirectoryHandle(TAKES_DIRECTORY, { create: true });
  const dir = await takes.getDirectoryHandle(m.id, { create: true });
  const writer = await ManifestWriter.open(dir);
  writer.write(m);
  writer.close();
  for (const [i, t] of m.tracks.entries()) {
    const handle = await (await dir.getFileHandle(t.file, { create: true })).createSyncAccessHandle();
    const size = bytes[i]!;
    const data = new Float32Array(Math.ceil(size / 4)).map((_, k) => Math.floor(k / t.channels) + 1);
    handle.write(new Uint8Array(data.buffer, 0, size), { at: 0 });
    handle.close();
  }
}

describe('manifest copies', () => {
  it('alternate between take.json and take.1.json; a torn newest copy leaves the older one', async () => {
    const fs = new MemoryOpfs();
    const dir = await fs.root.getDirectoryHandle('t', { create: true });
    const writer = await ManifestWriter.open(dir);
    writer.write(manifest('a', [track('mix', 2, 0, 10)]));
    writer.write(manifest('a', [track('mix', 2, 0, 20)]));
    writer.write(manifest('a', [track('mix', 2, 0, 30)])); // sequence 3 → take.1.json
    writer.close();
    expect((await readManifest(dir)).tracks[0]!.frames).toBe(30);
    expect(parseManifest(new TextDecoder().decode(fs.file('t/take.1.json')!))?.sequence).toBe(3);

    // The crash hit while take.1.json was half rewritten.
    const torn = await (await dir.getFileHandle('take.1.json')).createSyncAccessHandle();
    torn.truncate(40);
    torn.close();
    const read = await readManifest(dir);
    expect(read.tracks[0]!.frames).toBe(20);
    expect(read.sequence).toBe(2);

    // Torn mid-file by a power cut: the start of a newer write over the end of an older one parses,
    // but its two sequence numbers differ.
    const older = new TextDecoder().decode(fs.file('t/take.json')!);
    expect(older.startsWith('{"sequence":2,')).toBe(true);
    const mixed = older.replace('{"sequence":2,', '{"sequence":9,');
    expect(() => JSON.parse(mixed)).not.toThrow();
    expect(parseManifest(older)).not.toBeNull();
    expect(parseManifest(mixed)).toBeNull();

    // Both torn: a clear error, not a crash.
    const other = await (await dir.getFileHandle('take.json')).createSyncAccessHandle();
    other.truncate(0);
    other.close();
    await expect(readManifest(dir)).rejects.toThrow(/no readable manifest/);
  });

  it('rewrites each copy in place within its reserve: a shorter manifest after a longer one reads back whole', async () => {
    const fs = new MemoryOpfs();
    const dir = await fs.root.getDirectoryHandle('t', { create: true });
    const writer = await ManifestWriter.open(dir);
    // Reserved from the start, before any manifest: a disk that fills later still takes the last one.
    expect(fs.file('t/take.json')!.byteLength).toBe(MANIFEST_RESERVE_BYTES);
    expect(fs.file('t/take.1.json')!.byteLength).toBe(MANIFEST_RESERVE_BYTES);
    await expect(readManifest(dir)).rejects.toThrow(/no readable manifest/);
    writer.writeBoth(manifest('a', [track('mix', 2, 0, 10)], { name: 'x'.repeat(5000) }));
    writer.writeBoth(manifest('a', [track('mix', 2, 0, 10)], { name: 'short' }));
    expect((await readManifest(dir)).name).toBe('short');
    expect(fs.file('t/take.json')!.byteLength).toBe(MANIFEST_RESERVE_BYTES);
    // A manifest larger than the reserve grows its copy.
    writer.writeBoth(manifest('a', [track('mix', 2, 0, 10)], { name: 'y'.repeat(100_000) }));
    writer.write(manifest('a', [track('mix', 2, 0, 10)], { name: 'again' }));
    expect((await readManifest(dir)).name).toBe('again');
    expect(fs.file('t/take.json')!.byteLength).toBeGreaterThan(100_000);
    writer.close();
  });

  it('parseManifest refuses malformed and foreign manifests', () => {
    const good = manifest('a', [track('mix', 2, 0, 10)]);
    expect(parseManifest(JSON.stringify(good))).not.toBeNull();
    expect(parseManifest('{"version":1')).toBeNull();
    expect(parseManifest(JSON.stringify({ ...good, id: '../x' }))).toBeNull();
    expect(parseManifest(JSON.stringify({ ...good, version: 2 }))).toBeNull();
    const badTrack = { ...track('mix', 2, 0, 10), file: '../../etc' };
    expect(parseManifest(JSON.stringify({ ...good, tracks: [badTrack] }))).toBeNull();
    const badRange = { ...track('mix', 2, 0, 10), concealed: [[5, 2]] };
    expect(parseManifest(JSON.stringify({ ...good, tracks: [badRange] }))).toBeNull();
  });
});

describe('TakeStore', () => {
  it('recovers an unfinished take from its files: whole frames only, the torn last frame cut off', async () => {
    const fs = new MemoryOpfs();
    const locks = new MemoryLocks();
    const store = new TakeStore(fs.getDirectory, locks.tab());
    // The manifest was written at the last flush (100 and 50 frames); the files grew since, and the
    // mix's last frame is torn (6 of its 8 bytes).
    const mix = { ...track('mix', 2, 0, 100), concealed: [[90, 200]] as Array<[number, number]> };
    await makeTake(fs, manifest('t1', [mix, track('u-bob', 1, 30, 50)]), [150 * 8 + 6, 70 * 4]);

    const [summary] = await store.list();
    expect(summary).toMatchObject({ id: 't1', state: 'recording', unfinished: true, players: ['u-bob'] });

    const recovered = await store.recover('t1');
    expect(recovered.state).toBe('recovered');
    expect(recovered.stopReason).toBe('crashed');
    expect(recovered.tracks.map((t) => t.frames)).toEqual([150, 70]);
    expect(recovered.durationFrames).toBe(150);
    expect(recovered.tracks[0]!.concealed).toEqual([[90, 150]]);
    expect(fs.file(`${TAKES_DIRECTORY}/t1/mix.f32`)!.byteLength).toBe(150 * 8);
    const mixData = new Float32Array(fs.file(`${TAKES_DIRECTORY}/t1/mix.f32`)!.slice().buffer);
    expect(mixData[149 * 2]).toBe(150);

    // On disk in both copies; recovering again changes nothing.
    expect(await readManifest(await store.takeDirectory('t1'))).toMatchObject({ state: 'recovered' });
    expect((await store.recover('t1')).durationFrames).toBe(150);
    expect((await store.list())[0]).toMatchObject({
      unfinished: false,
      state: 'recovered',
      bytes: 150 * 8 + 70 * 4,
    });
  });

  it('a take whose lock another tab holds is not unfinished and cannot be recovered, renamed or deleted', async () => {
    const fs = new MemoryOpfs();
    const locks = new MemoryLocks();
    const other = locks.tab();
    const store = new TakeStore(fs.getDirectory, locks.tab());
    await makeTake(fs, manifest('t2', [track('mix', 2, 0, 10)]), [80]);
    const otherStore = new TakeStore(fs.getDirectory, other);
    const release = await otherStore.hold('t2');
    expect(release).not.toBeNull();
    expect(await store.hold('t2')).toBeNull();
    expect(locks.isHeld(takeLockName('t2'))).toBe(true);

    expect((await store.list())[0]).toMatchObject({ id: 't2', unfinished: false });
    await expect(store.recover('t2')).rejects.toThrow(/another tab/);
    await expect(store.rename('t2', 'x')).rejects.toThrow(/another tab/);
    await expect(store.delete('t2')).rejects.toThrow(/another tab/);

    locks.crashTab(other); // that tab died
    expect((await store.list())[0]).toMatchObject({ id: 't2', unfinished: true });
    release!(); // harmless after the crash
  });

  it('lists a take another tab records even where its open files cannot be read', async () => {
    const fs = new MemoryOpfs({ readWhileOpen: false });
    const locks = new MemoryLocks();
    const store = new TakeStore(fs.getDirectory, locks.tab());
    await makeTake(fs, manifest('t3', [track('mix', 2, 0, 10)]), [80]);
    const recorder = new TakeStore(fs.getDirectory, locks.tab());
    await recorder.hold('t3');
    const writer = await ManifestWriter.open(await recorder.takeDirectory('t3'), 5);
    expect(await store.list()).toEqual([
      {
        id: 't3',
        name: 't3',
        startedAt: '',
        durationFrames: 0,
        players: [],
        bytes: 0,
        state: 'recording',
        unfinished: false,
      },
    ]);
    writer.close();
    expect((await store.list())[0]).toMatchObject({ name: 'Take t3', unfinished: false });
  });

  it('renames, deletes, lists newest first, and cleans up a take that never got audio', async () => {
    const fs = new MemoryOpfs();
    const store = new TakeStore(fs.getDirectory, new MemoryLocks().tab());
    await makeTake(
      fs,
      manifest('old', [track('mix', 2, 0, 10)], { state: 'complete', startedAt: '2026-01-01T00:00:00.000Z' }),
      [80],
    );
    await makeTake(fs, manifest('new', [track('mix', 2, 0, 10)], { state: 'complete' }), [80]);
    const takes = await fs.root.getDirectoryHandle(TAKES_DIRECTORY);
    const empty = await takes.getDirectoryHandle('empty', { create: true });
    await empty.getFileHandle('mix.f32', { create: true });

    expect((await store.list()).map((t) => t.id)).toEqual(['new', 'old']);
    await expect(takes.getDirectoryHandle('empty')).rejects.toThrow();

    await store.rename('old', '  First jam \n');
    expect((await store.manifest('old')).name).toBe('First jam');
    await expect(store.rename('old', '   ')).rejects.toThrow(/empty/);
    const exports = await fs.root.getDirectoryHandle(EXPORTS_DIRECTORY, { create: true });
    for (const name of ['old-all-wav.zip', 'old-mix-opus.zip', 'new-all-wav.zip'])
      await exports.getFileHandle(name, { create: true });
    await store.delete('old');
    expect((await store.list()).map((t) => t.id)).toEqual(['new']);
    // Its exports went with it; another take's stayed.
    expect(fs.file(`${EXPORTS_DIRECTORY}/old-all-wav.zip`)).toBeNull();
    expect(fs.file(`${EXPORTS_DIRECTORY}/old-mix-opus.zip`)).toBeNull();
    expect(fs.file(`${EXPORTS_DIRECTORY}/new-all-wav.zip`)).not.toBeNull();
    await expect(store.manifest('old')).rejects.toThrow(/no longer exists/);
    await expect(store.manifest('../new')).rejects.toThrow(/Not a take id/);
  });
});
