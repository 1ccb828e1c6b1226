/**
 * Every shared-memory layout between the main thread, the codec Worker and the two AudioWorklets, in one
 * place: (a) per-peer packet rings (Worker → playback worklet), (b) the capture sample ring (capture
 * worklet → encoder Worker), (c) the status block (worklets → UI: meters and counters), (d) the parameter
 * block (UI → playback worklet: the personal mix).
 *
 * All classes work over a SharedArrayBuffer or a plain ArrayBuffer alike: the no-SAB fallback and the Node
 * tests run the same code, with messages carrying what shared memory would have carried.
 *
 * Concurrency: each ring has exactly one producer and one consumer. Indices are free-running Int32
 * counters (wrapping at 2^32, compared with `| 0`), stored with Atomics after the data they publish and
 * loaded with Atomics before the data they guard, which gives the release/acquire order the rings need.
 * Status and parameter blocks are single-writer: readers may see a value one block old, never a torn one
 * (aligned 32-bit stores).
 */
import { AUDIO_MAX_CHANNELS, AUDIO_MAX_FRAME_SAMPLES } from './audio-frame.js';

export const AUDIO_LAYOUT_VERSION = 1;
/**
 * Remote peers one playback node mixes (status and parameter slots, packet rings): every other player
 * of a 24-player room (ROOM_MAX_PLAYERS) gets a slot, with room to spare for a slot still draining
 * while its player rejoins. Costs, all allocated once: packet rings 32 × 121 KiB = 3.8 MiB of shared
 * memory; in the playback worklet one jitter buffer per slot (9.4 MiB measured for 32); per quantum,
 * an inactive slot costs one flag test.
 */
export const MAX_PEERS = 32;

export type AudioMemory = ArrayBuffer | SharedArrayBuffer;

/** A SharedArrayBuffer when `shared` (needs cross-origin isolation), else an ArrayBuffer. */
export function allocateAudioMemory(byteLength: number, shared: boolean): AudioMemory {
  return shared ? new SharedArrayBuffer(byteLength) : new ArrayBuffer(byteLength);
}

// ---- (a) packet ring: Worker → playback worklet, one per peer ------------------------------------

/** Int32 indices of a packet ring's header. */
export const PacketRingHeader = { Write: 0, Read: 1, Overflows: 2 } as const;
export const PACKET_RING_HEADER_BYTES = 64;
/** Byte offsets inside one packet slot. */
export const PacketSlot = {
  /** f64: Worker's `performance.now()` when the frame arrived, ms (diagnostics). */
  ArrivalTime: 0,
  /** u32 stored as i32 */
  Seq: 8,
  /** u32 stored as i32 */
  SenderTime: 12,
  FrameSamples: 16,
  Channels: 20,
  Flags: 24,
  /** f32 planar: channel c's samples at [c * frameSamples, (c + 1) * frameSamples). */
  Pcm: 32,
} as const;
export const PACKET_SLOT_PCM_FLOATS = AUDIO_MAX_FRAME_SAMPLES * AUDIO_MAX_CHANNELS;
export const PACKET_SLOT_BYTES = PacketSlot.Pcm + PACKET_SLOT_PCM_FLOATS * 4;
/** Slots per peer ring (power of two): 80 ms of 2.5 ms frames, 320 ms of 10 ms frames. */
export const PACKET_RING_SLOTS = 32;
export const PACKET_RING_BYTES = PACKET_RING_HEADER_BYTES + PACKET_RING_SLOTS * PACKET_SLOT_BYTES;
/** One buffer holds the rings of all peer slots; peer p's ring starts at p × PACKET_RING_BYTES. */
export const PACKET_RINGS_BYTES = MAX_PEERS * PACKET_RING_BYTES;

/**
 * Packet flags beyond the wire's {@link AudioFrameFlag} bits, set by the Worker on decoded packets.
 * `Concealed`: the Worker synthesised this frame (Opus packet-loss concealment for a frame that never
 * arrived), so the jitter buffer counts it as concealed audio, not as received audio.
 * `Recovered`: the frame itself was lost and restored from the next frame's redundant copy: real audio,
 * but it arrived one frame late by construction, so its timing says nothing about the network.
 */
export const PacketFlag = { Concealed: 0x100, Recovered: 0x200 } as const;

export interface PacketMeta {
  seq: number;
  senderTime: number;
  arrivalTime: number;
  frameSamples: number;
  channels: number;
  flags: number;
}

/** SPSC ring of fixed-size decoded-packet slots. Producer: `write`. Consumer: `peek`, accessors, `release`. */
export class PacketRing {
  readonly slots: number;
  private readonly header: Int32Array;
  private readonly ints: Int32Array;
  private readonly f64: Float64Array;
  private readonly pcmViews: Float32Array[];
  private readonly base: number;

  constructor(buffer: AudioMemory, byteOffset = 0, slots = PACKET_RING_SLOTS) {
    if (slots & (slots - 1)) throw new RangeError('PacketRing slots must be a power of two');
    this.slots = slots;
    this.base = byteOffset;
    this.header = new Int32Array(buffer, byteOffset, PACKET_RING_HEADER_BYTES / 4);
    const dataOffset = byteOffset + PACKET_RING_HEADER_BYTES;
    this.ints = new Int32Array(buffer, dataOffset, (slots * PACKET_SLOT_BYTES) / 4);
    this.f64 = new Float64Array(buffer, dataOffset, (slots * PACKET_SLOT_BYTES) / 8);
    this.pcmViews = [];
    for (let i = 0; i < slots; i++) {
      this.pcmViews.push(
        new Float32Array(buffer, dataOffset + i * PACKET_SLOT_BYTES + PacketSlot.Pcm, PACKET_SLOT_PCM_FLOATS),
      );
    }
  }

  /** Packet ring of peer slot `peer` inside a {@link PACKET_RINGS_BYTES} buffer. */
  static forPeer(buffer: AudioMemory, peer: number): PacketRing {
    return new PacketRing(buffer, peer * PACKET_RING_BYTES);
  }

  /** Byte offset of this ring in its buffer. */
  get byteOffset(): number {
    return this.base;
  }

  /** Slots holding unread packets. */
  available(): number {
    return (
      (Atomics.load(this.header, PacketRingHeader.Write) - Atomics.load(this.header, PacketRingHeader.Read)) |
      0
    );
  }

  /** Producer: drops its packets when the consumer stalls */
  overflows(): number {
    return Atomics.load(this.header, PacketRingHeader.Overflows);
  }

  /**
   * Producer side. Copies `planes` (one array per channel, ≥ frameSamples each) into the next slot and
   * publishes it. Returns false (and counts an overflow) when the ring is full or the shape is invalid.
   */
  write(meta: PacketMeta, planes: readonly Float32Array[]): boolean {
    const w = Atomics.load(this.header, PacketRingHeader.Write);
    const r = Atomics.load(this.header, PacketRingHeader.Read);
    const n = meta.frameSamples;
    const ch = meta.channels;
    if (
      ((w - r) | 0) >= this.slots ||
      n < 1 ||
      n > AUDIO_MAX_FRAME_SAMPLES ||
      ch < 1 ||
      ch > AUDIO_MAX_CHANNELS
    ) {
      Atomics.add(this.header, PacketRingHeader.Overflows, 1);
      return false;
    }
    const slot = w & (this.slots - 1);
    const i0 = (slot * PACKET_SLOT_BYTES) >> 2;
    this.f64[(slot * PACKET_SLOT_BYTES + PacketSlot.ArrivalTime) >> 3] = meta.arrivalTime;
    this.ints[i0 + (PacketSlot.Seq >> 2)] = meta.seq | 0;
    this.ints[i0 + (PacketSlot.SenderTime >> 2)] = meta.senderTime | 0;
    this.ints[i0 + (PacketSlot.FrameSamples >> 2)] = n;
    this.ints[i0 + (PacketSlot.Channels >> 2)] = ch;
    this.ints[i0 + (PacketSlot.Flags >> 2)] = meta.flags | 0;
    const pcm = this.pcmViews[slot]!;
    for (let c = 0; c < ch; c++) pcm.set(planes[c]!.subarray(0, n), c * n);
    Atomics.store(this.header, PacketRingHeader.Write, (w + 1) | 0);
    return true;
  }

  /** Consumer: slot index of the oldest unread packet, or −1. */
  peek(): number {
    const r = Atomics.load(this.header, PacketRingHeader.Read);
    if (((Atomics.load(this.header, PacketRingHeader.Write) - r) | 0) <= 0) return -1;
    return r & (this.slots - 1);
  }

  /** Consumer: frees the slot returned by `peek`. */
  release(): void {
    Atomics.store(
      this.header,
      PacketRingHeader.Read,
      (Atomics.load(this.header, PacketRingHeader.Read) + 1) | 0,
    );
  }

  seq(slot: number): number {
    return this.ints[((slot * PACKET_SLOT_BYTES) >> 2) + (PacketSlot.Seq >> 2)]! >>> 0;
  }
  senderTime(slot: number): number {
    return this.ints[((slot * PACKET_SLOT_BYTES) >> 2) + (PacketSlot.SenderTime >> 2)]! >>> 0;
  }
  frameSamples(slot: number): number {
    return this.ints[((slot * PACKET_SLOT_BYTES) >> 2) + (PacketSlot.FrameSamples >> 2)]!;
  }
  channels(slot: number): number {
    return this.ints[((slot * PACKET_SLOT_BYTES) >> 2) + (PacketSlot.Channels >> 2)]!;
  }
  flags(slot: number): number {
    return this.ints[((slot * PACKET_SLOT_BYTES) >> 2) + (PacketSlot.Flags >> 2)]!;
  }
  arrivalTime(slot: number): number {
    return this.f64[(slot * PACKET_SLOT_BYTES + PacketSlot.ArrivalTime) >> 3]!;
  }
  /** Planar PCM of a slot (a preallocated view; valid until `release`). */
  pcm(slot: number): Float32Array {
    return this.pcmViews[slot]!;
  }
}

// ---- (b) capture sample ring: capture worklet → encoder Worker ------------------------------------

/** Int32 indices of the capture ring's header. */
export const SampleRingHeader = {
  /** Samples (interleaved, all channels) written, free-running. */
  Write: 0,
  /** Samples read, free-running. */
  Read: 1,
  /** Frames published; the producer `Atomics.notify`s this index, the Worker `Atomics.waitAsync`s on it. */
  Frames: 2,
  /** Frames dropped because the Worker fell behind. */
  Overflows: 3,
  /** Interleaved channels of the samples (1 or 2), set by the producer before writing. */
  Channels: 4,
  /** Samples per channel per frame, set by the producer. */
  FrameSamples: 5,
} as const;
export const SAMPLE_RING_HEADER_BYTES = 64;
/** Capacity in samples (power of two): 8192 = 85 ms of stereo at 48 kHz. */
export const SAMPLE_RING_CAPACITY = 8192;
export const SAMPLE_RING_BYTES = SAMPLE_RING_HEADER_BYTES + SAMPLE_RING_CAPACITY * 4;

/** SPSC ring of interleaved Float32 samples (ringbuf.js style, free-running indices). */
export class SampleRing {
  readonly capacity: number;
  readonly header: Int32Array;
  private readonly data: Float32Array;

  constructor(buffer: AudioMemory, byteOffset = 0, capacity = SAMPLE_RING_CAPACITY) {
    if (capacity & (capacity - 1)) throw new RangeError('SampleRing capacity must be a power of two');
    this.capacity = capacity;
    this.header = new Int32Array(buffer, byteOffset, SAMPLE_RING_HEADER_BYTES / 4);
    this.data = new Float32Array(buffer, byteOffset + SAMPLE_RING_HEADER_BYTES, capacity);
  }

  availableRead(): number {
    return (
      (Atomics.load(this.header, SampleRingHeader.Write) - Atomics.load(this.header, SampleRingHeader.Read)) |
      0
    );
  }

  availableWrite(): number {
    return this.capacity - this.availableRead();
  }

  /** Producer: records the frame shape the Worker should read. */
  setShape(channels: number, frameSamples: number): void {
    Atomics.store(this.header, SampleRingHeader.Channels, channels);
    Atomics.store(this.header, SampleRingHeader.FrameSamples, frameSamples);
  }

  /**
   * Producer: writes a whole frame (`count` interleaved samples) and wakes the reader, or drops it and
   * counts an overflow when it does not fit (never a partial frame, so frames stay aligned).
   * Runs in the capture worklet's `process()`, so it copies sample by sample instead of `set(subarray())`:
   * a subarray is a new object per call. Samples past `src.length` are not copied (as `subarray` clamps).
   */
  writeFrame(src: Float32Array, count: number): boolean {
    const w = Atomics.load(this.header, SampleRingHeader.Write);
    if (count > this.availableWrite()) {
      Atomics.add(this.header, SampleRingHeader.Overflows, 1);
      return false;
    }
    const data = this.data;
    const start = w & (this.capacity - 1);
    const first = Math.min(count, this.capacity - start);
    const end = Math.min(count, src.length);
    for (let i = 0, n = Math.min(first, end); i < n; i++) data[start + i] = src[i]!;
    for (let i = first; i < end; i++) data[i - first] = src[i]!;
    Atomics.store(this.header, SampleRingHeader.Write, (w + count) | 0);
    Atomics.add(this.header, SampleRingHeader.Frames, 1);
    // Returns 0 without waking anyone on a non-shared buffer, so the fallback path runs this too.
    Atomics.notify(this.header, SampleRingHeader.Frames);
    return true;
  }

  /** Consumer: reads up to `count` samples into `dst`; returns how many. */
  read(dst: Float32Array, count: number): number {
    const r = Atomics.load(this.header, SampleRingHeader.Read);
    const n = Math.min(count, this.availableRead());
    const mask = this.capacity - 1;
    const start = r & mask;
    const first = Math.min(n, this.capacity - start);
    dst.set(this.data.subarray(start, start + first), 0);
    if (first < n) dst.set(this.data.subarray(0, n - first), first);
    Atomics.store(this.header, SampleRingHeader.Read, (r + n) | 0);
    return n;
  }
}

// ---- (c) status block: worklets → UI ---------------------------------------------------------------

/** Int32 globals, at the start of the Int32 region. */
export const StatusInt = {
  /** Playback blocks processed (the UI can tell a stalled worklet). */
  PlaybackBlocks: 0,
  CaptureBlocks: 1,
  CaptureFrames: 2,
  CaptureOverflows: 3,
  CaptureImpulses: 4,
  /** Packets the playback worklet could not use (bad shape), all peers. */
  BadPackets: 5,
} as const;
/** Int32 counters per peer. */
export const PeerStatusInt = {
  FramesReceived: 0,
  Underruns: 1,
  Concealed: 2,
  Late: 3,
  Dropped: 4,
  Duplicates: 5,
  Resyncs: 6,
  Impulses: 7,
  /** 1 while the peer slot is in use. */
  Active: 8,
  /** Concealed gaps longer than 20 ms (see `jitter-buffer.ts`: missing, late or Worker-synthesised audio). */
  GapsOver20ms: 9,
  /** Longest concealed gap since the peer was added, µs. */
  LongestGapUs: 10,
  /** The last completed second of the playback clock (AudioContext frame / sample rate, floored)… */
  GapSecond: 11,
  /** …and the longest gap that ended during it, µs (read once a second: the longest over any window). */
  LastSecondLongestGapUs: 12,
  /** Buffered frames dropped to catch up with a playout far too deep (`JitterBuffer.skips`). */
  Skips: 13,
} as const;
/** Float32 globals, at the start of the Float32 region. */
export const StatusFloat = {
  CapturePeak: 0,
  CaptureRms: 1,
  OutputPeak: 2,
  OutputRms: 3,
  /** The backing track as this player hears it (after its level and mute). */
  BackingPeak: 4,
  BackingRms: 5,
} as const;
/** Float32 values per peer. */
export const PeerStatusFloat = {
  Peak: 0,
  Rms: 1,
  /** Jitter-buffer latency now: playout delay above the fastest recent packet, ms. */
  DepthMs: 2,
  /** Depth the controller steers to, ms. */
  TargetMs: 3,
  /** Sender clock relative to ours, ppm (positive = sender fast). */
  DriftPpm: 4,
  /** Playback resampling ratio − 1, ppm. */
  RatioPpm: 5,
  /** Audio received and not yet played, ms. */
  BufferedMs: 6,
} as const;
export const STATUS_GLOBAL_INTS = 8;
export const STATUS_PEER_INTS = 16;
export const STATUS_GLOBAL_FLOATS = 8;
export const STATUS_PEER_FLOATS = 8;
export const STATUS_INTS = STATUS_GLOBAL_INTS + MAX_PEERS * STATUS_PEER_INTS;
export const STATUS_FLOATS = STATUS_GLOBAL_FLOATS + MAX_PEERS * STATUS_PEER_FLOATS;
/** The Float32 region starts right after the Int32 region. */
export const STATUS_FLOAT_BYTE_OFFSET = STATUS_INTS * 4;
export const STATUS_BYTES = STATUS_FLOAT_BYTE_OFFSET + STATUS_FLOATS * 4;

export type PeerStatus = { [K in keyof typeof PeerStatusInt]: number } & {
  [K in keyof typeof PeerStatusFloat]: number;
};

/** Typed access to a status block; the worklet writes `ints`/`floats` at the index helpers directly. */
export class StatusBlock {
  readonly ints: Int32Array;
  readonly floats: Float32Array;

  constructor(buffer: AudioMemory, byteOffset = 0) {
    this.ints = new Int32Array(buffer, byteOffset, STATUS_INTS);
    this.floats = new Float32Array(buffer, byteOffset + STATUS_FLOAT_BYTE_OFFSET, STATUS_FLOATS);
  }

  static peerInt(peer: number, field: number): number {
    return STATUS_GLOBAL_INTS + peer * STATUS_PEER_INTS + field;
  }
  static peerFloat(peer: number, field: number): number {
    return STATUS_GLOBAL_FLOATS + peer * STATUS_PEER_FLOATS + field;
  }

  /** Clears a peer slot's counters and meters (on add/remove). */
  resetPeer(peer: number): void {
    this.ints.fill(0, StatusBlock.peerInt(peer, 0), StatusBlock.peerInt(peer + 1, 0));
    this.floats.fill(0, StatusBlock.peerFloat(peer, 0), StatusBlock.peerFloat(peer + 1, 0));
  }

  /** A snapshot object of one peer (for the UI; allocates). */
  readPeer(peer: number): PeerStatus {
    const out = {} as Record<string, number>;
    for (const [k, i] of Object.entries(PeerStatusInt)) out[k] = this.ints[StatusBlock.peerInt(peer, i)]!;
    for (const [k, i] of Object.entries(PeerStatusFloat))
      out[k] = this.floats[StatusBlock.peerFloat(peer, i)]!;
    return out as PeerStatus;
  }
}

// ---- (d) parameter block: UI → playback worklet -----------------------------------------------------

export const ParamGlobal = {
  /** Own input to own output, linear gain (0 = off). */
  MonitorGain: 0,
  /** Linear gain after the mix. */
  MasterGain: 1,
  /** Jitter-buffer depth override in ms for every peer; 0 = automatic. */
  JitterOverrideMs: 2,
} as const;
export const ParamPeer = {
  /** Linear gain. */
  Gain: 0,
  /** −1 (left) … +1 (right). */
  Pan: 1,
  /** 1 = muted. */
  Mute: 2,
  /** 1 = soloed. */
  Solo: 3,
} as const;
export const PARAM_GLOBALS = 8;
export const PARAM_PEER_STRIDE = 8;
export const PARAM_FLOATS = PARAM_GLOBALS + MAX_PEERS * PARAM_PEER_STRIDE;
export const PARAM_BYTES = PARAM_FLOATS * 4;

export interface PeerParams {
  gain: number;
  pan: number;
  mute: boolean;
  solo: boolean;
}

/** Float32 parameter block; written by the main thread, read by the playback worklet every block. */
export class ParamBlock {
  readonly floats: Float32Array;

  constructor(buffer: AudioMemory, byteOffset = 0) {
    this.floats = new Float32Array(buffer, byteOffset, PARAM_FLOATS);
  }

  static peerIndex(peer: number, field: number): number {
    return PARAM_GLOBALS + peer * PARAM_PEER_STRIDE + field;
  }

  /** Unity gain, centre, unmuted, no solo, monitor off, master unity, automatic jitter buffer. */
  reset(): void {
    this.floats.fill(0);
    this.floats[ParamGlobal.MasterGain] = 1;
    for (let p = 0; p < MAX_PEERS; p++) this.floats[ParamBlock.peerIndex(p, ParamPeer.Gain)] = 1;
  }

  setPeer(peer: number, params: Partial<PeerParams>): void {
    const f = this.floats;
    if (params.gain !== undefined) f[ParamBlock.peerIndex(peer, ParamPeer.Gain)] = params.gain;
    if (params.pan !== undefined)
      f[ParamBlock.peerIndex(peer, ParamPeer.Pan)] = Math.max(-1, Math.min(1, params.pan));
    if (params.mute !== undefined) f[ParamBlock.peerIndex(peer, ParamPeer.Mute)] = params.mute ? 1 : 0;
    if (params.solo !== undefined) f[ParamBlock.peerIndex(peer, ParamPeer.Solo)] = params.solo ? 1 : 0;
  }

  getPeer(peer: number): PeerParams {
    const f = this.floats;
    return {
      gain: f[ParamBlock.peerIndex(peer, ParamPeer.Gain)]!,
      pan: f[ParamBlock.peerIndex(peer, ParamPeer.Pan)]!,
      mute: f[ParamBlock.peerIndex(peer, ParamPeer.Mute)]! !== 0,
      solo: f[ParamBlock.peerIndex(peer, ParamPeer.Solo)]! !== 0,
    };
  }

  setGlobal(field: (typeof ParamGlobal)[keyof typeof ParamGlobal], value: number): void {
    this.floats[field] = value;
  }

  getGlobal(field: (typeof ParamGlobal)[keyof typeof ParamGlobal]): number {
    return this.floats[field]!;
  }
}
