/**
 * Messages between the main thread and the two AudioWorkletProcessors (`bandmesh-capture`,
 * `bandmesh-playback`), over the node's MessagePort. Everything else crosses through the shared-memory
 * layouts of `audio-layout.ts`; the port carries setup, membership changes, rare benchmark events, and —
 * only when SharedArrayBuffer is unavailable (`fallback: true`) — the data the rings would have carried.
 *
 * The first message to a processor is `init` with {@link AUDIO_WORKLET_VERSION}; a processor that speaks
 * another version answers `error { code: 'version-mismatch' }` and stays silent.
 */
import { MAX_PEERS, type AudioMemory } from './audio-layout.js';

export const AUDIO_WORKLET_VERSION = 1;
export const CAPTURE_PROCESSOR_NAME = 'bandmesh-capture';
export const PLAYBACK_PROCESSOR_NAME = 'bandmesh-playback';
/**
 * Benchmark helper of the fallback (WebRTC track) path: watches one remote track for impulses and posts
 * only `impulse-detected` (without `slot`: the main-thread wrapper knows whose track it watches).
 * It takes no commands; its options come as `processorOptions` ({@link DetectorOptions}).
 */
export const DETECTOR_PROCESSOR_NAME = 'bandmesh-detector';
export interface DetectorOptions {
  threshold?: number;
  holdoffMs?: number;
}
/**
 * Recording: taps the microphone (input 0, as the capture node gets it) and the personal mix as heard
 * (input 1) and sends them, in blocks of context frames, to the recorder Worker's port (`TapBlock` of
 * protocol/recording.ts). Its options come as `processorOptions` ({@link RecordTapOptions}); its node
 * port takes {@link RecordTapCommand}s and posts nothing.
 */
export const RECORD_TAP_PROCESSOR_NAME = 'bandmesh-record-tap';
export interface RecordTapOptions {
  /** Channels of the microphone stem (the capture side's channel count). */
  inputChannels: 1 | 2;
}
/**
 * A MessagePort as far as the tap uses it (typed loosely: this module is also compiled without DOM
 * types, and a DOM MessagePort is assignable to it).
 */
export interface RecordTapPort {
  postMessage(message: unknown, transfer?: unknown[]): void;
  close(): void;
  onmessage: unknown;
}
/** main → record tap: where to send blocks (a MessagePort, transferred), or stop for good. */
export type RecordTapCommand = { type: 'record-port'; port: RecordTapPort } | { type: 'record-stop' };

/** Fallback status posts at most this often (ms of audio time). */
export const STATUS_POST_INTERVAL_MS = 50;

export const WorkletErrorCode = {
  VersionMismatch: 'version-mismatch',
  NotInitialised: 'not-initialised',
  BadMessage: 'bad-message',
} as const;
export type WorkletErrorCode = (typeof WorkletErrorCode)[keyof typeof WorkletErrorCode];

/** Shared buffers handed over in `init` (absent in fallback mode). */
export interface SharedAudioBuffers {
  /** PACKET_RINGS_BYTES: one packet ring per peer slot (playback only). */
  packets?: AudioMemory;
  /** SAMPLE_RING_BYTES: capture → encoder Worker (capture only). */
  capture?: AudioMemory;
  /** STATUS_BYTES; the capture and playback nodes may share one block (disjoint fields). */
  status: AudioMemory;
  /** PARAM_BYTES (playback only; capture reads MonitorGain from it when given). */
  params?: AudioMemory;
}

// ---- main → worklet ------------------------------------------------------------------------------

export interface InitMessage {
  type: 'init';
  version: number;
  /** True when no SharedArrayBuffer: data and status travel by message instead. */
  fallback: boolean;
  /** Present unless `fallback`. */
  buffers?: SharedAudioBuffers;
  /** Samples per channel per frame the capture side produces: 120, 240 or 480. */
  frameSamples: number;
  /** Channels the capture side sends (1 or 2). */
  channels?: number;
  /** Report impulses for the latency benchmark. */
  benchmark?: { enabled: boolean; threshold?: number; holdoffMs?: number };
}
export interface AddPeerMessage {
  type: 'add-peer';
  slot: number;
  peerKey: string;
}
export interface RemovePeerMessage {
  type: 'remove-peer';
  slot: number;
}
export interface SetFrameSizeMessage {
  type: 'set-frame-size';
  frameSamples: number;
}
/** Fallback: one decoded packet for a peer slot (PCM planar, transferable). */
export interface PacketMessage {
  type: 'packet';
  slot: number;
  seq: number;
  senderTime: number;
  arrivalTime: number;
  frameSamples: number;
  channels: number;
  flags: number;
  pcm: Float32Array;
}
/** Fallback: the whole parameter block (PARAM_FLOATS floats). */
export interface ParamsMessage {
  type: 'params';
  floats: Float32Array;
}
export interface SetBenchmarkMessage {
  type: 'set-benchmark';
  enabled: boolean;
  threshold?: number;
  holdoffMs?: number;
}
/**
 * The metronome's timeline on this context's frames (the main thread maps the shared clock onto them and
 * resends a few times a second as the estimates move): beat b sounds at ceil(beatZeroFrame + b ×
 * framesPerBeat), from `firstBeat` (the count-in's first) on; `gain` is the click's linear level.
 */
export interface MetronomeMessage {
  type: 'metronome';
  running: boolean;
  beatZeroFrame: number;
  framesPerBeat: number;
  beatsPerBar: number;
  firstBeat: number;
  gain: number;
}
/**
 * The decoded backing track, planar at this context's rate (1 or 2 channels of equal length, at most
 * {@link BACKING_MAX_FRAMES}), transferred once; `id` names it in `backing-play`. Replaces any earlier one.
 */
export interface BackingLoadMessage {
  type: 'backing-load';
  id: number;
  channels: Float32Array[];
}
/**
 * The backing track's transport on this context's frames (the main thread maps the shared clock onto
 * them and resends a few times a second): track frame `fromFrame` sounds at context frame `startFrame`;
 * `gain` is this player's level for it (0 = muted). A mapping for another `id` than the loaded one stops.
 */
export interface BackingPlayMessage {
  type: 'backing-play';
  id: number;
  playing: boolean;
  startFrame: number;
  fromFrame: number;
  gain: number;
}
/** 20 minutes at 48 kHz: about 460 MB of decoded stereo, the most a player is asked to hold. */
export const BACKING_MAX_FRAMES = 20 * 60 * 48_000;
export type PlaybackCommand =
  | BackingLoadMessage
  | BackingPlayMessage
  | InitMessage
  | AddPeerMessage
  | RemovePeerMessage
  | PacketMessage
  | ParamsMessage
  | SetBenchmarkMessage
  | MetronomeMessage;
/**
 * Capture: the player's input effects (protocol/effects.ts). The capture engine checks every field with
 * `parseEffectSettings` and answers `bad-message` with the reason when one is out of range.
 */
export interface EffectsMessage {
  type: 'effects';
  settings: unknown;
}
export type CaptureCommand =
  InitMessage | SetFrameSizeMessage | ParamsMessage | SetBenchmarkMessage | EffectsMessage;
export type WorkletCommand = PlaybackCommand | CaptureCommand;

// ---- worklet → main ------------------------------------------------------------------------------

export interface ReadyEvent {
  type: 'ready';
  version: number;
  processor: typeof CAPTURE_PROCESSOR_NAME | typeof PLAYBACK_PROCESSOR_NAME;
}
/** Fallback: one captured frame, interleaved, posted once per frame (never per block). */
export interface CaptureFrameEvent {
  type: 'capture-frame';
  /** Capture sample index (48 kHz, wraps at 2^32) of the first sample: the frame's senderTime. */
  senderTime: number;
  frameSamples: number;
  channels: number;
  samples: Float32Array;
}
/** Fallback: copies of the status block regions, throttled to STATUS_POST_INTERVAL_MS. */
export interface StatusEvent {
  type: 'status';
  ints: Int32Array;
  floats: Float32Array;
}
/**
 * Benchmark: an impulse's onset, as the AudioContext frame (`currentFrame` + offset) at which it was
 * heard. `slot` is the peer slot for playback, absent for capture.
 */
export interface ImpulseDetectedEvent {
  type: 'impulse-detected';
  contextFrame: number;
  slot?: number;
}
/**
 * Capture: the AudioContext frame of the framer's sample 0, posted once after each `init` (before the
 * first frame), so capture-timeline sample S was captured at context frame `contextFrame + S`.
 */
export interface CaptureOriginEvent {
  type: 'capture-origin';
  contextFrame: number;
}
export interface WorkletErrorEvent {
  type: 'error';
  code: WorkletErrorCode;
  message: string;
}
/** Benchmark: the metronome started beat `beat`'s click at context frame `contextFrame` (once a beat). */
export interface ClickRenderedEvent {
  type: 'click-rendered';
  beat: number;
  contextFrame: number;
}
/** Benchmark: track frame `fromFrame` of backing track `id` was rendered at context frame `contextFrame`. */
export interface BackingStartedEvent {
  type: 'backing-started';
  id: number;
  fromFrame: number;
  contextFrame: number;
}
export type WorkletEvent =
  | BackingStartedEvent
  | ReadyEvent
  | ClickRenderedEvent
  | CaptureFrameEvent
  | StatusEvent
  | ImpulseDetectedEvent
  | CaptureOriginEvent
  | WorkletErrorEvent;

const COMMAND_TYPES: ReadonlySet<string> = new Set([
  'init',
  'add-peer',
  'remove-peer',
  'set-frame-size',
  'packet',
  'params',
  'set-benchmark',
  'metronome',
  'effects',
  'backing-load',
  'backing-play',
]);

/**
 * Cheap shape check for a port message (the port is same-origin, so this guards against our own bugs,
 * not attackers). Returns the command or null; never throws.
 */
export function asWorkletCommand(data: unknown): WorkletCommand | null {
  if (typeof data !== 'object' || data === null) return null;
  const type = (data as { type?: unknown }).type;
  if (typeof type !== 'string' || !COMMAND_TYPES.has(type)) return null;
  const m = data as Record<string, unknown>;
  switch (type) {
    case 'init':
      return typeof m.version === 'number' &&
        typeof m.fallback === 'boolean' &&
        typeof m.frameSamples === 'number'
        ? (data as InitMessage)
        : null;
    case 'add-peer':
      return isSlot(m.slot) && typeof m.peerKey === 'string' ? (data as AddPeerMessage) : null;
    case 'remove-peer':
      return isSlot(m.slot) ? (data as RemovePeerMessage) : null;
    case 'set-frame-size':
      return typeof m.frameSamples === 'number' ? (data as SetFrameSizeMessage) : null;
    case 'packet':
      return isSlot(m.slot) && m.pcm instanceof Float32Array && typeof m.seq === 'number'
        ? (data as PacketMessage)
        : null;
    case 'params':
      return m.floats instanceof Float32Array ? (data as ParamsMessage) : null;
    case 'set-benchmark':
      return typeof m.enabled === 'boolean' ? (data as SetBenchmarkMessage) : null;
    case 'metronome':
      return isMetronome(m) ? (data as MetronomeMessage) : null;
    case 'effects':
      return typeof m.settings === 'object' && m.settings !== null ? (data as EffectsMessage) : null;
    case 'backing-load':
      return isBackingLoad(m) ? (data as BackingLoadMessage) : null;
    case 'backing-play':
      return isBackingPlay(m) ? (data as BackingPlayMessage) : null;
  }
  return null;
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** At least 9,600 frames a beat (300 BPM at 48 kHz is more): a block never holds two onsets. */
function isMetronome(m: Record<string, unknown>): boolean {
  return (
    typeof m.running === 'boolean' &&
    isFiniteNumber(m.beatZeroFrame) &&
    isFiniteNumber(m.framesPerBeat) &&
    m.framesPerBeat >= 1_000 &&
    Number.isInteger(m.beatsPerBar) &&
    (m.beatsPerBar as number) >= 1 &&
    Number.isInteger(m.firstBeat) &&
    isFiniteNumber(m.gain) &&
    m.gain >= 0 &&
    m.gain <= 4
  );
}

function isBackingLoad(m: Record<string, unknown>): boolean {
  const c = m.channels;
  if (!Number.isInteger(m.id) || !Array.isArray(c) || c.length < 1 || c.length > 2) return false;
  const first: unknown = c[0];
  if (!(first instanceof Float32Array) || first.length > BACKING_MAX_FRAMES) return false;
  return c.every((ch: unknown) => ch instanceof Float32Array && ch.length === first.length);
}
function isBackingPlay(m: Record<string, unknown>): boolean {
  return (
    Number.isInteger(m.id) &&
    typeof m.playing === 'boolean' &&
    Number.isInteger(m.startFrame) &&
    Number.isInteger(m.fromFrame) &&
    (m.fromFrame as number) >= 0 &&
    isFiniteNumber(m.gain) &&
    m.gain >= 0 &&
    m.gain <= 4
  );
}
function isSlot(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < MAX_PEERS;
}
