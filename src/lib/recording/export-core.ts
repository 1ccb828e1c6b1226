/**
 * The export of a take as a zip, as pure logic: the take's manifest and a way to read its track files
 * in chunks in, zip bytes out through a sink, progress as a fraction. The export Worker
 * (export.worker.ts) gives it OPFS files and a sync access handle; the tests give it memory.
 *
 * What the zip holds (ADR 0011): `manifest.json` (the take's manifest, each track with its concealed
 * ranges in seconds, whether it was aligned, and the file it became), `<take>.rpp` and `<take>.lof`
 * (Reaper and Audacity sessions), `mix.wav|opus` and one stem per player, `NN <name> (<instrument>)`.
 * Every audio file starts at take sample 0: a track that started later is preceded by silence, so the
 * files line up in any DAW even without the session files (which place them all at 0 too).
 *
 * Memory stays flat: a track is read ≤ 4 MiB at a time, converted and written on before the next read.
 */
import {
  RECORDING_SAMPLE_RATE,
  TRACK_FILE_SUFFIX,
  isTrackId,
  type TakeManifest,
  type TakeTrack,
} from '../protocol/recording';
import type { OpusPacketEncoder } from './formats/ogg-opus';
import { OggOpusWriter } from './formats/ogg-opus';
import { OPUS_FILE_BITRATE, OPUS_FILE_COMPLEXITY, OPUS_FILE_FRAME_SAMPLES } from './formats/opus-encoder';
import { audacityLof, reaperProject, type SessionItem } from './formats/session-files';
import { Pcm24Encoder, PCM24_BYTES, wavFileBytes, wavHeader } from './formats/wav';
import { ZipWriter, type ByteSink, type ZipEntryWriter } from './formats/zip';

export type ExportFormat = 'wav' | 'opus';
export type ExportWhat = 'mix' | 'stems' | 'all';

export interface ExportOptions {
  format: ExportFormat;
  what: ExportWhat;
  /** Zero the ranges filled by packet-loss concealment. */
  silenceConcealed?: boolean;
}

/** Largest read of a track file at once. */
export const READ_CHUNK_BYTES = 4 * 1024 * 1024;
/**
 * Audio per progress report while encoding Opus: 0.2 s, which even a machine encoding only at real
 * time gets through in 200 ms (the UI wants a report at least every 250 ms).
 */
const OPUS_PROGRESS_FRAMES = 9_600;
/** Audio per progress report while writing WAV: 1 s (~0.3 MB of output, a few ms of work). */
const WAV_BLOCK_FRAMES = 48_000;

/** A take's track files, read in parts. */
export interface TakeFiles {
  /** Bytes in the file; rejects (with a person-readable message) when it is missing. */
  size(file: string): Promise<number>;
  /** `length` bytes from `offset` (length ≤ READ_CHUNK_BYTES). */
  read(file: string, offset: number, length: number): Promise<Uint8Array>;
}

export interface ExportDeps {
  createOpusEncoder(channels: 1 | 2): Promise<OpusPacketEncoder>;
  /** GUIDs for the Reaper project (crypto.randomUUID). */
  uuid(): string;
  now(): Date;
  /**
   * Called between pieces of work (each ≤ 0.2 s of audio or one read chunk): a Worker lets its
   * messages (a cancel) in here. Absent: nothing is awaited beyond the reads and writes themselves.
   */
  pause?(): Promise<void>;
}

/** The name of the export's zip in `bandmesh-exports/`. */
export function exportFileName(takeId: string, what: ExportWhat, format: ExportFormat): string {
  return `${takeId}-${what}-${format}.zip`;
}

/**
 * A file name safe on Windows, macOS and Linux and in a zip: no path separators, reserved or control
 * characters, no leading/trailing dots or spaces, at most `max` characters; `fallback` when nothing is left.
 */
export function safeFileName(text: string, fallback: string, max = 100): string {
  let clean = text
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}<>:"/\\|?*]/gu, '_')
    .replace(/\s+/g, ' ')
    .trim();
  clean = Array.from(clean)
    .slice(0, max)
    .join('')
    .replace(/^[.\s]+|[.\s]+$/g, '');
  if (/^(con|prn|aux|nul|com\d|lpt\d)$/i.test(clean)) clean = `_${clean}`;
  return clean.length > 0 ? clean : fallback;
}

export interface PlannedFile {
  track: TakeTrack;
  /** Name in the zip (with extension). */
  name: string;
  /** Track name in the DAW. */
  label: string;
  channels: 1 | 2;
  /** Frames in the track's raw file (from its size). */
  fileFrames: number;
  /** Frames of silence before them (the track's start in the take). */
  padFrames: number;
}

export interface ExportPlan {
  baseName: string;
  files: PlannedFile[];
  /** Frames all audio files hold together: the unit of progress. */
  totalFrames: number;
}

/** The tracks an export needs (only their files are opened). */
export function exportedTracks(manifest: TakeManifest, what: ExportWhat): TakeTrack[] {
  return manifest.tracks.filter((t) => (t.kind === 'mix' ? what !== 'stems' : what !== 'mix'));
}

/** Which tracks become which files. `fileBytes` gives each exported track file's size. */
export function planExport(
  manifest: TakeManifest,
  fileBytes: ReadonlyMap<string, number>,
  options: ExportOptions,
): ExportPlan {
  const ext = options.format === 'wav' ? 'wav' : 'opus';
  const mix = manifest.tracks.filter((t) => t.kind === 'mix');
  const stems = manifest.tracks.filter((t) => t.kind !== 'mix');
  if (options.what !== 'stems' && mix.length === 0) throw new Error('This take has no mix to export.');
  if (options.what !== 'mix' && stems.length === 0)
    throw new Error('This take has no player tracks to export.');
  const digits = Math.max(2, String(stems.length).length);
  const plan = (track: TakeTrack, label: string): PlannedFile => {
    if (!isTrackId(track.id) || track.file !== `${track.id}${TRACK_FILE_SUFFIX}`)
      throw new Error(`The take's manifest names a bad track file (${JSON.stringify(track.file)}).`);
    const bytes = fileBytes.get(track.file) ?? 0;
    return {
      track,
      name: `${label}.${ext}`,
      label,
      channels: track.kind === 'mix' ? 2 : track.channels,
      fileFrames: Math.floor(bytes / (4 * track.channels)),
      padFrames: track.startSample,
    };
  };
  const files: PlannedFile[] = [];
  if (options.what !== 'stems') files.push(plan(mix[0]!, 'mix'));
  if (options.what !== 'mix') {
    stems.forEach((track, i) => {
      const number = String(i + 1).padStart(digits, '0');
      const who = track.instrument.trim() ? `${track.name} (${track.instrument.trim()})` : track.name;
      files.push(plan(track, `${number} ${safeFileName(who, stemFallback(track.kind), 90)}`));
    });
  }
  return {
    baseName: safeFileName(manifest.name, 'take'),
    files,
    totalFrames: files.reduce((n, f) => n + f.padFrames + f.fileFrames, 0),
  };
}

/** The session's items: every file at position 0 (it starts at take sample 0); the mix muted beside stems. */
export function sessionItems(plan: ExportPlan): { rpp: SessionItem[]; lof: SessionItem[] } {
  const withStems = plan.files.some((f) => f.track.kind !== 'mix');
  const items = plan.files.map((f) => ({
    track: f.label === 'mix' ? 'Mix' : f.label,
    file: f.name,
    positionSamples: 0,
    lengthSamples: f.padFrames + f.fileFrames,
    muted: withStems && f.track.kind === 'mix',
  }));
  // Audacity's list has no mute: beside the stems it leaves the mix out, or it would sound twice.
  return { rpp: items, lof: items.filter((i) => !i.muted) };
}

/** An upper bound of the zip's size, for the storage check before writing. */
export function estimateZipBytes(plan: ExportPlan, format: ExportFormat): number {
  let bytes = 64 * 1024 + plan.files.length * 512;
  for (const f of plan.files) {
    const frames = f.padFrames + f.fileFrames;
    bytes +=
      format === 'wav'
        ? wavFileBytes({ channels: f.channels, sampleRate: RECORDING_SAMPLE_RATE, frames })
        : Math.ceil((frames / RECORDING_SAMPLE_RATE) * (OPUS_FILE_BITRATE[f.channels] / 8) * 1.3) + 4096;
  }
  return bytes;
}

function exportManifest(
  manifest: TakeManifest,
  plan: ExportPlan,
  options: ExportOptions,
  preSkip: number | null,
  exportedAt: Date,
): string {
  const rate = manifest.sampleRate;
  const fileOf = new Map(plan.files.map((f) => [f.track.id, f] as const));
  const doc = {
    ...manifest,
    tracks: manifest.tracks.map((t) => {
      const file = fileOf.get(t.id);
      return {
        ...t,
        concealedSeconds: t.concealed.map(([a, b]) => [a / rate, b / rate]),
        aligned: t.aligned,
        exportFile: file?.name ?? null,
        /** The file's first sample is take sample 0 (its start padded with silence). */
        exportStartSeconds: file ? 0 : null,
        exportFrames: file ? file.padFrames + file.fileFrames : null,
      };
    }),
    export: {
      exportedAt: exportedAt.toISOString(),
      format: options.format,
      what: options.what,
      silenceConcealed: options.silenceConcealed === true,
      filesStartAtTakeSample0: true,
      ...(options.format === 'wav'
        ? { wav: { bitsPerSample: 24, sampleRate: rate, dither: false } }
        : {
            opus: {
              frameMs: (OPUS_FILE_FRAME_SAMPLES / 48_000) * 1000,
              bitrateMono: OPUS_FILE_BITRATE[1],
              bitrateStereo: OPUS_FILE_BITRATE[2],
              complexity: OPUS_FILE_COMPLEXITY,
              preSkip,
            },
          }),
    },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The export was cancelled.', 'AbortError');
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Float32 view of bytes read from a track file (copied when unaligned). */
function floats(bytes: Uint8Array): Float32Array {
  if (!LITTLE_ENDIAN) throw new Error('Exporting needs a little-endian machine.');
  const usable = bytes.byteLength - (bytes.byteLength % 4);
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, usable / 4);
  return new Float32Array(bytes.slice(0, usable).buffer);
}

/** Zeroes the parts of `samples` (take frames [from, from + n)) inside concealed ranges. */
function silenceRanges(
  samples: Float32Array,
  channels: number,
  from: number,
  ranges: ReadonlyArray<readonly [number, number]>,
): void {
  const to = from + samples.length / channels;
  for (const [a, b] of ranges) {
    if (b <= from || a >= to) continue;
    samples.fill(0, (Math.max(a, from) - from) * channels, (Math.min(b, to) - from) * channels);
  }
}

/**
 * Writes the whole export zip to `sink`. `onProgress` gets fractions in [0, 1] as the audio advances
 * (often; the caller throttles). Rejects with the signal's reason when aborted.
 */
export async function exportTake(
  manifest: TakeManifest,
  files: TakeFiles,
  sink: ByteSink,
  options: ExportOptions,
  deps: ExportDeps,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<{ bytes: number; entries: string[] }> {
  const check = async () => {
    await deps.pause?.();
    if (signal?.aborted) throw abortError(signal);
  };
  const sizes = new Map<string, number>();
  for (const track of exportedTracks(manifest, options.what))
    sizes.set(track.file, await files.size(track.file));
  const plan = planExport(manifest, sizes, options);
  const exportedAt = deps.now();
  const zip = new ZipWriter(sink, { date: exportedAt });
  const entries: string[] = [];
  let done = 0;
  const advance = (frames: number) => {
    done += frames;
    onProgress(plan.totalFrames > 0 ? Math.min(1, done / plan.totalFrames) : 1);
  };
  onProgress(0);

  // Opus encoders first: their look-ahead (pre-skip) goes into manifest.json.
  const encoders = new Map<PlannedFile, OpusPacketEncoder>();
  try {
    if (options.format === 'opus') {
      for (const f of plan.files) encoders.set(f, await deps.createOpusEncoder(f.channels));
    }
    const preSkip = encoders.size > 0 ? [...encoders.values()][0]!.preSkip : null;
    const session = sessionItems(plan);
    const text = new TextEncoder();
    const small: Array<[string, string]> = [
      ['manifest.json', exportManifest(manifest, plan, options, preSkip, exportedAt)],
      [
        `${plan.baseName}.rpp`,
        reaperProject(session.rpp, {
          sampleRate: manifest.sampleRate,
          createdAt: Date.parse(manifest.startedAt) / 1000 || exportedAt.getTime() / 1000,
          uuid: deps.uuid,
        }),
      ],
      [`${plan.baseName}.lof`, audacityLof(session.lof, { sampleRate: manifest.sampleRate })],
    ];
    for (const [name, content] of small) {
      await zip.file(name, text.encode(content));
      entries.push(name);
    }

    for (const f of plan.files) {
      await check();
      const frames = f.padFrames + f.fileFrames;
      if (options.format === 'wav') {
        const bytes = wavFileBytes({ channels: f.channels, sampleRate: manifest.sampleRate, frames });
        const entry = await zip.entry(f.name, { maxSize: bytes });
        await entry.write(wavHeader({ channels: f.channels, sampleRate: manifest.sampleRate, frames }));
        await writeWav(f, files, entry, options, advance, check);
        await entry.close();
      } else {
        const encoder = encoders.get(f)!;
        // 1275-byte packets are Opus's largest; with page overhead this bounds the file.
        const maxSize = Math.ceil(frames / OPUS_FILE_FRAME_SAMPLES + 2) * 1300 + 8192;
        const entry = await zip.entry(f.name, { maxSize });
        const writer = new OggOpusWriter(
          encoder,
          {
            serial: randomSerial(deps),
            vendor: 'Bandmesh (libopus)',
            comments: [
              `TITLE=${manifest.name}`,
              `ARTIST=${f.track.kind === 'mix' ? manifest.recordedBy.name : f.track.name}`,
              `ALBUM=${manifest.studio.name}`,
              `DATE=${manifest.startedAt}`,
              'ENCODER=Bandmesh export',
            ],
          },
          (bytes) => entry.write(bytes),
        );
        await writeOpus(f, files, writer, options, advance, check);
        await writer.end();
        await entry.close();
      }
      entries.push(f.name);
    }
    await check();
    const bytes = await zip.finish();
    onProgress(1);
    return { bytes, entries };
  } finally {
    for (const encoder of encoders.values()) encoder.dispose();
  }
}

function randomSerial(deps: ExportDeps): number {
  return parseInt(deps.uuid().replace(/-/g, '').slice(0, 8), 16) >>> 0;
}

/** Reads a track file in frame-aligned chunks ≤ READ_CHUNK_BYTES; calls `each` with take sample positions. */
async function forEachChunk(
  f: PlannedFile,
  files: TakeFiles,
  options: ExportOptions,
  each: (samples: Float32Array, frames: number) => Promise<void>,
  check: () => Promise<void>,
): Promise<void> {
  const frameBytes = 4 * f.track.channels;
  const chunkBytes = READ_CHUNK_BYTES - (READ_CHUNK_BYTES % frameBytes);
  const total = f.fileFrames * frameBytes;
  for (let offset = 0; offset < total; offset += chunkBytes) {
    await check();
    const length = Math.min(chunkBytes, total - offset);
    const bytes = await files.read(f.track.file, offset, length);
    if (bytes.byteLength < length) throw new Error(`The file of track "${f.track.name}" ended early.`);
    let samples = floats(bytes.subarray(0, length));
    const frames = length / frameBytes;
    if (options.silenceConcealed && f.track.concealed.length > 0) {
      if (samples.buffer === bytes.buffer) samples = samples.slice(); // never write into the caller's bytes
      silenceRanges(samples, f.track.channels, f.track.startSample + offset / frameBytes, f.track.concealed);
    }
    // The mix is stereo; a mono mix file (never written today) is spread to both channels.
    if (f.channels === 2 && f.track.channels === 1) samples = monoToStereo(samples);
    await each(samples, frames);
  }
}

function monoToStereo(mono: Float32Array): Float32Array {
  const out = new Float32Array(mono.length * 2);
  for (let i = 0; i < mono.length; i++) out[2 * i] = out[2 * i + 1] = mono[i]!;
  return out;
}

async function writeWav(
  f: PlannedFile,
  files: TakeFiles,
  entry: ZipEntryWriter,
  options: ExportOptions,
  advance: (frames: number) => void,
  check: () => Promise<void>,
): Promise<void> {
  // Leading silence: zero bytes, from one shared zero buffer.
  const blockBytes = WAV_BLOCK_FRAMES * f.channels * PCM24_BYTES;
  const zeros = new Uint8Array(Math.min(blockBytes, f.padFrames * f.channels * PCM24_BYTES));
  for (let left = f.padFrames; left > 0;) {
    await check();
    const frames = Math.min(left, WAV_BLOCK_FRAMES);
    await entry.write(zeros.subarray(0, frames * f.channels * PCM24_BYTES));
    left -= frames;
    advance(frames);
  }
  const encoder = new Pcm24Encoder();
  const step = WAV_BLOCK_FRAMES * f.channels;
  await forEachChunk(
    f,
    files,
    options,
    async (samples) => {
      // A read chunk is up to ~22 s of audio: converted, checksummed and written in 1 s blocks, so
      // progress (and a cancel) never waits for a whole chunk.
      for (let at = 0; at < samples.length; at += step) {
        if (at > 0) await check();
        const part = samples.subarray(at, Math.min(samples.length, at + step));
        await entry.write(encoder.encode(part));
        advance(part.length / f.channels);
      }
    },
    check,
  );
}

async function writeOpus(
  f: PlannedFile,
  files: TakeFiles,
  writer: OggOpusWriter,
  options: ExportOptions,
  advance: (frames: number) => void,
  check: () => Promise<void>,
): Promise<void> {
  for (let left = f.padFrames; left > 0;) {
    await check();
    const frames = Math.min(left, OPUS_PROGRESS_FRAMES);
    await writer.writeSilence(frames);
    left -= frames;
    advance(frames);
  }
  const step = OPUS_PROGRESS_FRAMES * f.channels;
  await forEachChunk(
    f,
    files,
    options,
    async (samples) => {
      for (let at = 0; at < samples.length; at += step) {
        await check();
        const part = samples.subarray(at, Math.min(samples.length, at + step));
        await writer.write(part);
        advance(part.length / f.channels);
      }
    },
    check,
  );
}

/** A stem's file name when its track name gives none that is safe. */
function stemFallback(kind: TakeTrack['kind']): string {
  return kind === 'self' ? 'me' : kind === 'backing' ? 'backing track' : 'player';
}
