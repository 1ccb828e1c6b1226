import { describe, expect, it } from 'vitest';
import { decode as decodeWav } from 'node-wav';
import { OggOpusDecoder } from 'ogg-opus-decoder';
import yauzl from 'yauzl';
import type { TakeManifest, TakeTrack } from '../protocol/recording';
import {
  READ_CHUNK_BYTES,
  exportFileName,
  exportTake,
  planExport,
  safeFileName,
  type ExportDeps,
  type ExportOptions,
  type TakeFiles,
} from './export-core';
import { createOpusFileEncoder } from './formats/opus-encoder';
import type { ByteSink } from './formats/zip';

const RATE = 48_000;

interface Source {
  track: TakeTrack;
  /** Interleaved float32, as the recorder writes `<id>.f32`. */
  samples: Float32Array;
}

function tone(frames: number, channels: 1 | 2, freqs: number[], amp = 0.4): Float32Array {
  const out = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++)
    for (let ch = 0; ch < channels; ch++)
      out[i * channels + ch] = amp * Math.sin((2 * Math.PI * freqs[ch % freqs.length]! * i) / RATE);
  return out;
}

function track(
  id: string,
  kind: TakeTrack['kind'],
  name: string,
  instrument: string,
  channels: 1 | 2,
  startSample: number,
  frames: number,
  concealed: Array<[number, number]> = [],
): TakeTrack {
  return {
    id,
    kind,
    userId: kind === 'mix' ? null : `user${id}`,
    name,
    instrument,
    channels,
    file: `${id}.f32`,
    startSample,
    frames,
    concealed,
    aligned: kind !== 'remote' || id !== 'u-late',
    clockUncertaintyMs: kind === 'remote' ? 0.4 : null,
  };
}

/** A take: stereo mix, a mono self track, a remote that joins late with a concealed stretch, a stereo remote. */
function makeTake(seconds: number): { manifest: TakeManifest; sources: Source[] } {
  const frames = Math.round(seconds * RATE);
  const late = Math.round(frames / 3);
  const lateFrames = frames - late - 4_800;
  const concealStart = late + 24_000;
  const sources: Source[] = [
    { track: track('mix', 'mix', 'Mix', '', 2, 0, frames), samples: tone(frames, 2, [220, 330]) },
    { track: track('self', 'self', 'Ana', 'voice', 1, 0, frames), samples: tone(frames, 1, [440]) },
    {
      track: track('u-late', 'remote', 'Bo/Bé', 'drums', 1, late, lateFrames, [
        [concealStart, concealStart + 960],
      ]),
      samples: tone(lateFrames, 1, [550]),
    },
    {
      track: track('u-keys', 'remote', 'Cy', '', 2, 12_000, frames - 12_000),
      samples: tone(frames - 12_000, 2, [660, 770], 0.3),
    },
  ];
  const manifest: TakeManifest = {
    version: 1,
    id: 'take123',
    name: 'Friday jam: take 1',
    studio: { id: 's1', slug: 'garage', name: 'Garage' },
    recordedBy: { userId: 'userself', name: 'Ana' },
    startedAt: '2026-12-04T19:00:00.000Z',
    startEpochMs: 1_796_000_000_000,
    startContextFrame: 96_000,
    sampleRate: RATE,
    state: 'complete',
    durationFrames: frames,
    tracks: sources.map((s) => s.track),
    stopReason: 'stopped',
  };
  return { manifest, sources };
}

/** Track files in memory; records every read to check chunk sizes. */
function memoryFiles(sources: Source[]): TakeFiles & { reads: number[] } {
  const byFile = new Map(sources.map((s) => [s.track.file, new Uint8Array(s.samples.buffer)]));
  const reads: number[] = [];
  return {
    reads,
    size: async (file) => {
      const bytes = byFile.get(file);
      if (!bytes) throw new Error(`missing ${file}`);
      return bytes.length;
    },
    read: async (file, offset, length) => {
      reads.push(length);
      return byFile.get(file)!.slice(offset, offset + length);
    },
  };
}

class MemorySink implements ByteSink {
  readonly parts: Uint8Array[] = [];
  write(bytes: Uint8Array): void {
    this.parts.push(bytes.slice());
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true, validateEntrySizes: true }, (error, zip) => {
      if (error) return reject(error);
      const out = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(out));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

let uuidCount = 0;
const deps: ExportDeps = {
  createOpusEncoder: createOpusFileEncoder,
  uuid: () => `00000000-0000-4000-8000-${(++uuidCount).toString(16).padStart(12, '0')}`,
  now: () => new Date('2026-12-05T10:00:00Z'),
};

async function run(take: ReturnType<typeof makeTake>, options: ExportOptions, signal?: AbortSignal) {
  const files = memoryFiles(take.sources);
  const sink = new MemorySink();
  const progress: number[] = [];
  const result = await exportTake(take.manifest, files, sink, options, deps, (f) => progress.push(f), signal);
  const zip = sink.bytes();
  expect(result.bytes).toBe(zip.length);
  return { entries: await unzip(zip), progress, reads: files.reads, result };
}

/** The source as the exported file should hold it: silence up to the track's start, then its samples. */
function expected(source: Source, channel: number, silenceConcealed: boolean): Float32Array {
  const { startSample, channels, concealed } = source.track;
  const frames = source.samples.length / channels;
  const out = new Float32Array(startSample + frames);
  for (let i = 0; i < frames; i++) out[startSample + i] = source.samples[i * channels + channel]!;
  if (silenceConcealed) for (const [a, b] of concealed) out.fill(0, a, b);
  return out;
}

const STEM_NAMES = ['01 Ana (voice)', '02 Bo_Bé (drums)', '03 Cy'];

describe('exportTake', () => {
  it('WAV, all: every file starts at take sample 0 and holds its track; sessions and manifest agree', async () => {
    const take = makeTake(30); // the mix's file is 11.5 MB: read in several chunks
    const { entries, progress, reads } = await run(take, {
      format: 'wav',
      what: 'all',
      silenceConcealed: true,
    });
    expect([...entries.keys()]).toEqual([
      'manifest.json',
      'Friday jam_ take 1.rpp',
      'Friday jam_ take 1.lof',
      'mix.wav',
      ...STEM_NAMES.map((n) => `${n}.wav`),
    ]);
    expect(Math.max(...reads)).toBeLessThanOrEqual(READ_CHUNK_BYTES);
    expect(reads.length).toBeGreaterThan(take.sources.length);

    const files = ['mix.wav', ...STEM_NAMES.map((n) => `${n}.wav`)];
    take.sources.forEach((source, i) => {
      const wav = decodeWav(entries.get(files[i]!)!);
      expect(wav.sampleRate).toBe(RATE);
      expect(wav.channelData).toHaveLength(source.track.channels);
      for (let ch = 0; ch < source.track.channels; ch++) {
        const want = expected(source, ch, true);
        const got = wav.channelData[ch]!;
        expect(got.length).toBe(want.length);
        let worst = 0;
        for (let s = 0; s < want.length; s++) worst = Math.max(worst, Math.abs(got[s]! - want[s]!));
        expect(worst).toBeLessThan(1.5 / 8_388_607); // 24-bit rounding only
      }
    });
    // The concealed stretch of the late player is silent; the samples around it are not.
    const late = take.sources[2]!.track;
    const lateWav = decodeWav(entries.get('02 Bo_Bé (drums).wav')!).channelData[0]!;
    const [a, b] = late.concealed[0]!;
    expect(lateWav.subarray(a, b).every((x) => x === 0)).toBe(true);
    expect(lateWav.subarray(b, b + 100).some((x) => x !== 0)).toBe(true);
    expect(lateWav.subarray(0, late.startSample).every((x) => x === 0)).toBe(true);

    const rpp = entries.get('Friday jam_ take 1.rpp')!.toString();
    expect(rpp.match(/POSITION (\S+)/g)).toEqual(Array(4).fill('POSITION 0.00000000000000'));
    expect(rpp.match(/FILE "([^"]+)"/g)).toEqual(files.map((f) => `FILE "${f}"`));
    expect(rpp.match(/LENGTH (\S+)/g)!.map((l) => Number(l.slice(7)))).toEqual(
      take.sources.map((s) => (s.track.startSample + s.samples.length / s.track.channels) / RATE),
    );
    expect(rpp).toMatch(/NAME "Mix"\n\s+TRACKID \S+\n\s+MUTESOLO 1 0 0/);
    expect(entries.get('Friday jam_ take 1.lof')!.toString()).toBe(
      STEM_NAMES.map((n) => `file "${n}.wav" offset 0.00000000000000\n`).join(''),
    );

    const manifest = JSON.parse(entries.get('manifest.json')!.toString());
    expect(manifest.id).toBe('take123');
    expect(manifest.export).toMatchObject({ format: 'wav', what: 'all', silenceConcealed: true });
    const lateTrack = manifest.tracks.find((t: { id: string }) => t.id === 'u-late');
    expect(lateTrack).toMatchObject({
      aligned: false,
      exportFile: '02 Bo_Bé (drums).wav',
      exportStartSeconds: 0,
    });
    expect(lateTrack.concealedSeconds).toEqual([[a / RATE, b / RATE]]);

    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(1);
    expect(progress.length).toBeGreaterThan(8);
  });

  it('keeps concealed audio unless asked to silence it; mix alone is stereo with its own session', async () => {
    const take = makeTake(3);
    const stems = await run(take, { format: 'wav', what: 'stems' });
    expect([...stems.entries.keys()].filter((n) => n.endsWith('.wav'))).toEqual(
      STEM_NAMES.map((n) => `${n}.wav`),
    );
    const lateWav = decodeWav(stems.entries.get('02 Bo_Bé (drums).wav')!).channelData[0]!;
    const [a, b] = take.sources[2]!.track.concealed[0]!;
    expect(lateWav.subarray(a, b).some((x) => x !== 0)).toBe(true);

    const mix = await run(take, { format: 'wav', what: 'mix' });
    expect([...mix.entries.keys()]).toEqual([
      'manifest.json',
      'Friday jam_ take 1.rpp',
      'Friday jam_ take 1.lof',
      'mix.wav',
    ]);
    expect(decodeWav(mix.entries.get('mix.wav')!).channelData).toHaveLength(2);
    expect(mix.entries.get('Friday jam_ take 1.lof')!.toString()).toBe(
      'file "mix.wav" offset 0.00000000000000\n',
    );
    expect(mix.entries.get('Friday jam_ take 1.rpp')!.toString()).not.toContain('MUTESOLO');
  });

  it('Opus, all: every file decodes to its track, at take sample 0, exactly as long', async () => {
    const take = makeTake(3);
    const { entries } = await run(take, { format: 'opus', what: 'all' });
    const files = ['mix.opus', ...STEM_NAMES.map((n) => `${n}.opus`)];
    expect([...entries.keys()].slice(3)).toEqual(files);
    expect(entries.get('Friday jam_ take 1.rpp')!.toString()).toContain('<SOURCE OPUS');
    const manifest = JSON.parse(entries.get('manifest.json')!.toString());
    expect(manifest.export.opus).toMatchObject({ frameMs: 20, bitrateStereo: 128_000, bitrateMono: 96_000 });
    expect(manifest.export.opus.preSkip).toBeGreaterThan(0);

    for (let i = 0; i < take.sources.length; i++) {
      const source = take.sources[i]!;
      const decoder = new OggOpusDecoder({ forceStereo: false });
      await decoder.ready;
      const decoded = await decoder.decodeFile(entries.get(files[i]!)!);
      decoder.free();
      expect(decoded.errors).toEqual([]);
      expect(decoded.channelData).toHaveLength(source.track.channels);
      for (let ch = 0; ch < source.track.channels; ch++) {
        const want = expected(source, ch, false);
        const got = decoded.channelData[ch]!;
        expect(got.length).toBe(want.length);
        // Aligned: the best match of a stretch after the start is at lag 0.
        const from = source.track.startSample + 4_800;
        let bestLag = 0;
        let best = -Infinity;
        for (let lag = -30; lag <= 30; lag++) {
          let sum = 0;
          for (let s = from; s < from + 4_800; s++) sum += want[s]! * got[s + lag]!;
          if (sum > best) [best, bestLag] = [sum, lag];
        }
        expect(bestLag).toBe(0);
        let signal = 0;
        let noise = 0;
        for (let s = from; s < want.length - 960; s++) {
          signal += want[s]! ** 2;
          noise += (want[s]! - got[s]!) ** 2;
        }
        expect(10 * Math.log10(signal / noise)).toBeGreaterThan(20);
        let lead = 0;
        for (let s = 0; s < source.track.startSample - 960; s++) lead = Math.max(lead, Math.abs(got[s]!));
        expect(lead).toBeLessThan(1e-3); // the padding before a late start decodes as silence
      }
    }
  }, 60_000);

  it('stops with the signal, and explains what is missing', async () => {
    const take = makeTake(3);
    const controller = new AbortController();
    const files = memoryFiles(take.sources);
    const progress: number[] = [];
    await expect(
      exportTake(
        take.manifest,
        files,
        new MemorySink(),
        { format: 'wav', what: 'all' },
        deps,
        (f) => {
          progress.push(f);
          if (f > 0.2) controller.abort();
        },
        controller.signal,
      ),
    ).rejects.toThrow(/cancelled|abort/i);
    expect(progress.at(-1)!).toBeLessThan(1);

    // Only the files exported are opened: a missing stem file does not stop a mix export.
    const mixOnly = memoryFiles(take.sources.filter((s) => s.track.kind === 'mix'));
    const sink = new MemorySink();
    await exportTake(take.manifest, mixOnly, sink, { format: 'wav', what: 'mix' }, deps, () => {});
    expect(sink.bytes().length).toBeGreaterThan(3 * RATE * 6);

    const noMix = { ...take.manifest, tracks: take.manifest.tracks.filter((t) => t.kind !== 'mix') };
    await expect(
      exportTake(noMix, files, new MemorySink(), { format: 'wav', what: 'mix' }, deps, () => {}),
    ).rejects.toThrow('This take has no mix to export.');
  });

  it('names files safely and predictably', () => {
    expect(exportFileName('take123', 'stems', 'opus')).toBe('take123-stems-opus.zip');
    expect(safeFileName('  a/b\\c:d*e?f"g<h>i|j\u0000k  ', 'x')).toBe('a_b_c_d_e_f_g_h_i_j_k');
    expect(safeFileName('...', 'take')).toBe('take');
    expect(safeFileName('CON', 'take')).toBe('_CON');
    expect(safeFileName('é'.repeat(300), 'x')).toHaveLength(100);
  });

  it('exports the backing track as a stem named after its title (or "backing track"), never as the mix', () => {
    const frames = 4800;
    const manifest = makeTake(1).manifest;
    manifest.tracks.push(track('backing', 'backing', 'Backing track: Shuffle in G', '', 2, 960, frames));
    const sizes = new Map(manifest.tracks.map((t) => [t.file, t.frames * 4 * t.channels]));
    const files = planExport(manifest, sizes, { format: 'wav', what: 'stems' }).files;
    expect(files.map((f) => f.name).at(-1)).toBe('04 Backing track_ Shuffle in G.wav');
    expect(files.at(-1)!.track.kind).toBe('backing');
    manifest.tracks.at(-1)!.name = '...';
    expect(planExport(manifest, sizes, { format: 'wav', what: 'stems' }).files.at(-1)!.name).toBe(
      '04 backing track.wav',
    );
    expect(planExport(manifest, sizes, { format: 'wav', what: 'mix' }).files.map((f) => f.name)).toEqual([
      'mix.wav',
    ]);
  });
});
