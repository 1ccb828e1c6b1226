/**
 * Recording: what crosses into the recorder Worker, and the take as it lies in the Origin Private File
 * System. ADR 0011 says why it is built this way; docs/recording.md describes it for users.
 *
 * Who sends what:
 * - the main thread (`RecorderClient`) starts and stops takes, declares tracks, and sends the local clock
 *   anchor once a second;
 * - the record tap worklet (`bandmesh-record-tap`) sends, per block of render quanta, the microphone as
 *   captured, the personal mix as heard and the backing track alone, stamped with the AudioContext frame
 *   they belong to;
 * - the audio network Worker sends each remote source's decoded frames, stamped with their capture time
 *   at the sender on the local clock (sender's timestamp + its clock anchor − the clock offset between
 *   the two players), or with their arrival time when no estimate exists (`aligned: false`).
 *
 * The take's timeline is the recording player's AudioContext frames: sample 0 is the first tap block
 * after `start`. A remote frame at local epoch time E goes to context frame
 * `anchor.contextFrame + (E − anchor.epochMs) × 48` (alignment.ts), minus the take's first frame.
 *
 * On disk, per take: `bandmesh-takes/<takeId>/take.json` and `take.1.json` (the manifest, rewritten at
 * every flush into the two files in turn, each copy carrying a `sequence` number: a write torn by a crash
 * leaves the other copy whole; read it with take-store.ts `readManifest`, which takes the newest whole
 * copy) and one raw little-endian float32 interleaved file per track, `<trackId>.f32`, whose frame i is
 * take sample `startSample + i`; gaps are zeros. Files are written as audio arrives and flushed at least
 * once per {@link FLUSH_INTERVAL_MS}; after a crash the manifest and the file sizes give back all that
 * was flushed.
 */

export const RECORDING_VERSION = 1;
export const RECORDING_SAMPLE_RATE = 48_000;
export const TAKES_DIRECTORY = 'bandmesh-takes';
export const MANIFEST_FILE = 'take.json';
/** The second manifest copy (see above): copies alternate, so one is always whole. */
export const MANIFEST_ALT_FILE = 'take.1.json';
export const TRACK_FILE_SUFFIX = '.f32';
/** Longest time between two flushes of a recording take (crash safety: at most this much is lost). */
export const FLUSH_INTERVAL_MS = 1000;
/** Free storage below which a take does not start, and a running take stops cleanly. */
export const MIN_FREE_BYTES = 64 * 1024 * 1024;
/** How often a running take re-checks the storage left (navigator.storage.estimate()). */
export const STORAGE_CHECK_INTERVAL_MS = 5000;
/** Render quanta per tap message (16 × 128 = 2048 frames ≈ 43 ms): few messages, small buffers. */
export const TAP_BLOCK_QUANTA = 16;
export const TAP_BLOCK_FRAMES = TAP_BLOCK_QUANTA * 128;
/**
 * Buffers the tap worklet cycles through (returned by the recorder after writing): no allocation. 48
 * blocks ≈ 2 s: a recorder Worker starved that long on a loaded machine (measured: 8 blocks dropped
 * 12–49 % of the take in the e2e at load 15 on 2 cores) still loses nothing. 1.5 MiB in all.
 */
export const TAP_POOL_SIZE = 48;

/**
 * A track id is also its file name: `mix`, `self`, `backing` (the backing track at unity), or
 * `u-<userId>` (PocketBase ids are [a-z0-9]{15}).
 */
export type TrackId = string;
export const MIX_TRACK: TrackId = 'mix';
export const SELF_TRACK: TrackId = 'self';
export const BACKING_TRACK: TrackId = 'backing';
export function remoteTrackId(userId: string): TrackId {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(userId)) throw new RangeError(`bad user id for a track: ${userId}`);
  return `u-${userId}`;
}
export function isTrackId(id: string): boolean {
  return id === MIX_TRACK || id === SELF_TRACK || id === BACKING_TRACK || /^u-[A-Za-z0-9_-]{1,64}$/.test(id);
}

export type TrackKind = 'mix' | 'self' | 'remote' | 'backing';

/** What the main thread tells the recorder about a track (names come from the relay's attestation). */
export interface TrackInfo {
  id: TrackId;
  kind: TrackKind;
  /** Attested user id of the player (null for the mix and the backing track). */
  userId: string | null;
  name: string;
  instrument: string;
  channels: 1 | 2;
}

export interface TakeTrack extends TrackInfo {
  file: string;
  /** Take sample of the file's first frame. */
  startSample: number;
  /** Frames in the file as of the last flush (recovery recomputes it from the file's size). */
  frames: number;
  /** Take-sample ranges [start, end) filled by concealment (lost frames), merged and sorted. */
  concealed: Array<[number, number]>;
  /**
   * True when every frame was placed at its capture time on the shared clock; false when some were
   * placed at arrival (no clock estimate for the sender, e.g. through the SFU without a direct link).
   */
  aligned: boolean;
  /** Largest half round-trip time of the clock estimates used, ms: a bound on the placement error. */
  clockUncertaintyMs: number | null;
}

export type TakeState = 'recording' | 'complete' | 'recovered';

export interface TakeManifest {
  version: typeof RECORDING_VERSION;
  id: string;
  name: string;
  studio: { id: string; slug: string; name: string };
  recordedBy: { userId: string; name: string };
  /** ISO time of the first sample. */
  startedAt: string;
  /** Local epoch ms (captured-time mapping) of take sample 0. */
  startEpochMs: number;
  /** AudioContext frame of take sample 0. */
  startContextFrame: number;
  sampleRate: typeof RECORDING_SAMPLE_RATE;
  state: TakeState;
  /** Length of the take in samples (the longest track's end). */
  durationFrames: number;
  tracks: TakeTrack[];
  /** Why the take ended: the player stopped it, storage ran out, an error (its message), a crash. */
  stopReason?: 'stopped' | 'storage-full' | 'error' | 'crashed';
  stopMessage?: string;
  /** Write count of this copy of the manifest (the newer of take.json and take.1.json wins). */
  sequence?: number;
}

/** What a take list shows without opening files. */
export interface TakeSummary {
  id: string;
  name: string;
  startedAt: string;
  durationFrames: number;
  players: string[];
  bytes: number;
  state: TakeState;
  /** A take still marked `recording` that no recorder holds: it can be recovered. */
  unfinished: boolean;
}

/** The local clock anchor: a context frame and its epoch time (captured-time mapping, engine.ts). */
export interface ClockAnchor {
  contextFrame: number;
  epochMs: number;
}

export interface StorageInfo {
  usage: number | null;
  quota: number | null;
  persisted: boolean;
}

// ---- main thread → recorder Worker ------------------------------------------------------------

export interface TakeStart {
  id: string;
  name: string;
  studio: TakeManifest['studio'];
  recordedBy: TakeManifest['recordedBy'];
}

export type ToRecorder =
  /** Ports: from the record tap worklet, and from the audio network Worker (may be null: no sources). */
  | { type: 'start'; take: TakeStart; tapPort: MessagePort; netPort: MessagePort | null; clock: ClockAnchor }
  /** Declares or updates a track; `sourceKeys` are the peer ids whose frames go to it (reconnects add one). */
  | { type: 'track'; track: TrackInfo; sourceKeys: string[] }
  | { type: 'clock'; clock: ClockAnchor }
  | { type: 'stop' }
  | { type: 'list' }
  | { type: 'rename'; id: string; name: string }
  | { type: 'delete'; id: string }
  /** Finalises an unfinished take from its files (after a crash or reload). */
  | { type: 'recover'; id: string }
  | { type: 'storage' }
  /** The take's manifest (answered with `manifest`). */
  | { type: 'manifest'; id: string }
  /** Stops a running take (as `stop`), then the Worker closes itself. */
  | { type: 'dispose' };

// ---- recorder Worker → main thread ------------------------------------------------------------

export type FromRecorder =
  | { type: 'started'; id: string; startEpochMs: number }
  /** Once a second while recording. */
  | { type: 'progress'; id: string; durationFrames: number; bytes: number; tracks: number }
  | {
      type: 'stopped';
      id: string;
      reason: NonNullable<TakeManifest['stopReason']>;
      message?: string;
      /** The take as it was finalised (absent only if it could not be read back). */
      manifest?: TakeManifest;
    }
  | { type: 'takes'; takes: TakeSummary[] }
  | { type: 'recovered'; id: string; durationFrames: number; manifest?: TakeManifest }
  | { type: 'manifest'; manifest: TakeManifest }
  /** A `rename` or `delete` succeeded. Every request is answered once, in the order received. */
  | { type: 'done'; request: 'rename' | 'delete' }
  | { type: 'storage'; storage: StorageInfo }
  /** `request` echoes the message type that failed (rename, delete, …); a person-readable message. */
  | { type: 'error'; request?: ToRecorder['type']; message: string };

// ---- record tap worklet ↔ recorder Worker (tapPort) --------------------------------------------

/**
 * One block from the tap: `frames` frames starting at AudioContext frame `contextFrame`; `input` holds
 * the microphone (interleaved, `inputChannels`), `mix` the personal mix as heard (interleaved stereo),
 * `backing` the backing track alone at unity (interleaved stereo; zeros while none plays). All three
 * arrays come from the tap's pool and must be sent back with `tap-return` once written.
 */
export interface TapBlock {
  type: 'tap-block';
  contextFrame: number;
  frames: number;
  inputChannels: 1 | 2;
  input: Float32Array;
  mix: Float32Array;
  backing: Float32Array;
}
export type FromTap = TapBlock | { type: 'tap-dropped'; blocks: number };
export type ToTap =
  | { type: 'tap-return'; input: Float32Array; mix: Float32Array; backing: Float32Array }
  | { type: 'tap-stop' };

// ---- audio network Worker → recorder Worker (netPort) -------------------------------------------

/** A remote source's decoded frames, batched (one message per ~50 ms). */
export interface SourcePcm {
  sourceKey: string;
  /** Capture time of the first frame at the sender, on the local epoch clock; null: no clock estimate. */
  captureEpochMs: number | null;
  /** When the frame reached the Worker, local epoch ms (placement without a clock estimate). */
  arrivalEpochMs: number;
  /** Half the round-trip time of the clock estimate used, ms (null without one). */
  uncertaintyMs: number | null;
  /**
   * The sender's capture-timeline sample of the first frame (u32, its `senderTime`): frames that never
   * arrived show as a jump in it, and the recorder leaves their span empty.
   */
  senderTime: number;
  frames: number;
  channels: 1 | 2;
  /** Interleaved, `frames × channels`. */
  samples: Float32Array;
  concealed: boolean;
}
export type FromNet = { type: 'source-pcm'; chunks: SourcePcm[] };
