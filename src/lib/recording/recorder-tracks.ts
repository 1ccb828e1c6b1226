/**
 * Where audio lands in a take's tracks. Tap blocks are placed by AudioContext frame (take sample 0 is
 * the first block), remote chunks by capture time on the local epoch clock. `track` declarations say
 * which track a source key feeds; a reconnect adds a key to the same track, so the stem continues,
 * and a per-track TrackPlacer keeps each stream contiguous. Gaps and concealed audio are kept as
 * ranges so the manifest can say which samples are not what was played.
 */
import {
  RECORDING_SAMPLE_RATE,
  type ClockAnchor,
  type SourcePcm,
  type TapBlock,
  type TrackId,
  type TrackInfo,
} from '../protocol/recording';
import { TrackPlacer, epochToTakeSample } from './alignment';
import { checkTrackInfo } from './recorder-validation';
import type { TrackFile } from './track-file';

/** Remote audio held while its track file opens, frames (5 s): opening takes milliseconds. */
const MAX_PENDING_FRAMES = 5 * RECORDING_SAMPLE_RATE;
/**
 * How far past the take's present (the newest tap block) a remote chunk may land: audio arrives after
 * it was captured, so only clock-estimate error puts it ahead. A peer whose times claim more (a broken
 * or hostile sender) would otherwise grow the file towards the future until storage runs out.
 */
const MAX_AHEAD_FRAMES = RECORDING_SAMPLE_RATE;

/** One track of the running take. */
export interface Track {
  info: TrackInfo;
  file: TrackFile | null;
  opening: boolean;
  pending: SourcePcm[];
  pendingFrames: number;
  placer: TrackPlacer;
  lastSourceKey: string | null;
  /** Whether the last chunk was placed by capture time (true) or arrival (false); null before one. */
  lastClocked: boolean | null;
  concealed: Array<[number, number]>;
  aligned: boolean;
  uncertaintyMs: number | null;
  order: number;
}

/**
 * Track declarations and the source keys routed to them. They survive takes: the players in the
 * room stay declared for the next take.
 */
export class TrackRoutes {
  readonly #declared = new Map<TrackId, TrackInfo>();
  readonly #routes = new Map<string, TrackId>();
  #order = 0;

  /** Records a declaration (its keys replace the track's old ones); null when it is malformed. */
  declare(info: TrackInfo, sourceKeys: string[]): TrackInfo | null {
    const track = checkTrackInfo(info);
    if (!track || !Array.isArray(sourceKeys)) return null;
    this.#declared.set(track.id, track);
    for (const [key, id] of [...this.#routes]) if (id === track.id) this.#routes.delete(key);
    if (track.kind === 'remote')
      for (const key of sourceKeys) if (typeof key === 'string') this.#routes.set(key, track.id);
    return track;
  }

  /** The declared track a source feeds, or undefined while nobody has routed it. */
  route(sourceKey: string): TrackInfo | undefined {
    const id = this.#routes.get(sourceKey);
    return id === undefined ? undefined : this.#declared.get(id);
  }

  /** The take's track `id`, made at its first use (as declared, else as `fallback`). */
  track(tracks: Map<TrackId, Track>, id: TrackId, fallback: TrackInfo): Track {
    let track = tracks.get(id);
    if (!track) {
      track = {
        info: this.#declared.get(id) ?? fallback,
        file: null,
        opening: false,
        pending: [],
        pendingFrames: 0,
        placer: new TrackPlacer(),
        lastSourceKey: null,
        lastClocked: null,
        concealed: [],
        aligned: true,
        uncertaintyMs: null,
        order: this.#order++,
      };
      tracks.set(id, track);
    }
    return track;
  }
}

/** Holds a chunk until the track's file is open, dropping the oldest beyond MAX_PENDING_FRAMES. */
export function holdPending(track: Track, chunk: SourcePcm): void {
  track.pending.push(chunk);
  track.pendingFrames += chunk.frames;
  while (track.pendingFrames > MAX_PENDING_FRAMES && track.pending.length > 1)
    track.pendingFrames -= track.pending.shift()!.frames;
}

/** The held chunks, in order, leaving none held. */
export function takePending(track: Track): SourcePcm[] {
  const pending = track.pending;
  track.pending = [];
  track.pendingFrames = 0;
  return pending;
}

/**
 * A remote track is declared with room for stereo; its first frames say what the sender sends,
 * so a mono player's stem takes half the space (later stereo frames are folded to mono).
 */
export function remoteFileChannels(track: Track): 1 | 2 {
  const first = track.pending[0];
  return track.info.kind === 'remote' && first?.channels === 1 ? 1 : track.info.channels;
}

/**
 * Writes a tap block at take sample `at` to the self, mix and backing tracks; returns the sample the
 * next block should start at. A later block leaves a gap (blocks the tap dropped): the files hold zeros
 * there, and the concealed ranges say so. The backing stem starts at the first block where the track
 * sounds (silence before it is no file); from there every block is written, so it stays aligned.
 * `startedBacking` is set when this block started it (the caller writes the manifest at once).
 */
export function writeTapBlock(
  self: Track,
  mix: Track,
  backing: Track,
  block: TapBlock,
  at: number,
  expected: number | null,
  channels: ChannelConverter,
): { next: number; startedBacking: boolean } {
  const { frames } = block;
  const backingFile = backing.file!;
  const backingLive = backingFile.startSample !== null;
  if (expected !== null && at > expected) {
    addRange(self.concealed, expected, at);
    addRange(mix.concealed, expected, at);
    if (backingLive) addRange(backing.concealed, expected, at);
  }
  self.file!.write(
    at,
    channels.convert(block.input, block.inputChannels, self.file!.channels, frames),
    frames,
  );
  mix.file!.write(at, block.mix, frames);
  const startedBacking = !backingLive && sounds(block.backing, frames * 2);
  if (backingLive || startedBacking) backingFile.write(at, block.backing, frames);
  return { next: Math.max(expected ?? 0, at + frames), startedBacking };
}

/** Whether any of the first `count` samples is not zero. */
function sounds(samples: Float32Array, count: number): boolean {
  for (let i = 0; i < count; i++) if (samples[i] !== 0) return true;
  return false;
}

/**
 * Writes a remote chunk where its capture time says (its arrival time when it has none) on a track
 * whose file is open; a chunk placed more than MAX_AHEAD_FRAMES past `present` (the take sample the
 * next tap block starts at) is dropped. True when it started the stem: recovery places a file only
 * through the manifest, so the caller writes the manifest at once.
 */
export function writeChunk(
  track: Track,
  chunk: SourcePcm,
  anchor: ClockAnchor,
  startContextFrame: number,
  present: number,
  channels: ChannelConverter,
): boolean {
  const file = track.file!;
  const epochMs = chunk.captureEpochMs ?? chunk.arrivalEpochMs;
  const computed = epochToTakeSample(anchor, epochMs, startContextFrame);
  const clocked = chunk.captureEpochMs !== null;
  if (track.lastSourceKey !== chunk.sourceKey || track.lastClocked !== clocked) {
    // A new stream (a reconnect), or placed by another clock: where it says, not glued to the old end.
    track.placer.reset();
    track.lastSourceKey = chunk.sourceKey;
    track.lastClocked = clocked;
  }
  const at = track.placer.place(computed, chunk.frames, chunk.senderTime);
  if (at > present + MAX_AHEAD_FRAMES) {
    track.placer.reset();
    return false;
  }
  // Frames the sender sent that never arrived (beyond what the Worker conceals): an empty span.
  const missed = track.placer.skipped;
  const isNew = file.startSample === null;
  const written = file.write(
    at,
    channels.convert(chunk.samples, chunk.channels, file.channels, chunk.frames),
    chunk.frames,
  );
  if (written === 0) return false;
  if (chunk.captureEpochMs === null) track.aligned = false;
  if (chunk.uncertaintyMs !== null)
    track.uncertaintyMs = Math.max(track.uncertaintyMs ?? 0, chunk.uncertaintyMs);
  if (chunk.concealed) addRange(track.concealed, Math.max(at, file.startSample!), at + chunk.frames);
  if (missed > 0) addRange(track.concealed, Math.max(at - missed, file.startSample!), at);
  return isNew;
}

/** Channel conversion into one reused buffer: each conversion is written out before the next one. */
export class ChannelConverter {
  #scratch: Float32Array = new Float32Array(0);

  convert(samples: Float32Array, from: 1 | 2, to: 1 | 2, frames: number): Float32Array {
    const out = toChannels(samples, from, to, frames, this.#scratch);
    if (out !== samples) this.#scratch = out;
    return out;
  }
}

/**
 * Interleaved `frames` frames from `from` channels to `to` (mono → both sides; stereo → their mean),
 * into `scratch` (returned, or a larger one when it is too small).
 */
function toChannels(
  samples: Float32Array,
  from: 1 | 2,
  to: 1 | 2,
  frames: number,
  scratch: Float32Array,
): Float32Array {
  if (from === to) return samples;
  const out = scratch.length >= frames * to ? scratch : new Float32Array(frames * to);
  if (to === 2) {
    for (let i = 0; i < frames; i++) out[2 * i] = out[2 * i + 1] = samples[i]!;
  } else {
    for (let i = 0; i < frames; i++) out[i] = (samples[2 * i]! + samples[2 * i + 1]!) / 2;
  }
  return out;
}

/** Adds [start, end) to sorted, merged ranges (adjacent ranges merge). */
export function addRange(ranges: Array<[number, number]>, start: number, end: number): void {
  if (end <= start) return;
  const last = ranges.at(-1);
  if (!last || start > last[1]) {
    ranges.push([start, end]);
    return;
  }
  if (start >= last[0]) {
    last[1] = Math.max(last[1], end);
    return;
  }
  ranges.push([start, end]);
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const top = merged.at(-1);
    if (top && r[0] <= top[1]) top[1] = Math.max(top[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  ranges.splice(0, ranges.length, ...merged);
}
