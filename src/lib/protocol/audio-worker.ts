/**
 * Messages between the main thread and the audio network Worker, which owns the encoder, one decoder
 * per source and every lossy audio channel (transferred to it). Nothing else crosses this boundary.
 *
 * A *source* is one remote participant's stream (its sequence numbers, decoder and packet-ring slot);
 * a *transport* is one way its frames arrive and ours leave: a direct data channel (one source), or
 * the SFU channel to the relay (every source of the room, told apart by the relay's source index, see
 * `sfu.ts`). A source may be fed by several transports at once (a path switch runs mesh and SFU side
 * by side): the Worker drops duplicates by sequence number before decoding, so it decodes each frame once.
 * Sources and transports are added independently, in either order; a transport names its source by
 * key, and frames from a transport whose source is not there (yet, or any more) are counted and dropped.
 *
 * Frames through the SFU are sealed end to end (`sealed-frame.ts`): ours with our send key, each
 * source's opened with the keys the session got for that source (`sfu-send-key`, `sfu-source-key`).
 */
import type { AudioMemory } from './audio-layout.js';
import type { PacketMessage } from './audio-worklet.js';
import type { CaptureAnchor } from './link-ping.js';
import type { FrameKey } from './sealed-frame.js';

export const AUDIO_WORKER_VERSION = 2;

export const TransportCodec = { Opus: 'opus', Pcm: 'pcm' } as const;
export type TransportCodec = (typeof TransportCodec)[keyof typeof TransportCodec];

export interface SendSettings {
  codec: TransportCodec;
  /** Samples per channel per frame at 48 kHz: 120 (2.5 ms), 240 (5 ms) or 480 (10 ms). */
  frameSamples: number;
  channels: 1 | 2;
  /** Opus bitrate, bits per second. */
  bitrate: number;
  /** Opus in-band forward error correction. */
  fec: boolean;
}

/** Emulated network trouble on the receive side of every peer's audio channel. */
export interface Impairment {
  /** Fraction of frames dropped at random, 0…1. */
  lossRate: number;
  /** Each frame is delayed by a uniform random 0…2×jitterMs, so arrival jitter is ±jitterMs. */
  jitterMs: number;
}

/** Parses `loss:1,jitter:2` (percent, ms); null when absent or malformed. */
export function parseImpairment(text: string | null): Impairment | null {
  if (!text) return null;
  const fields = new Map(text.split(',').map((part) => part.split(':') as [string, string]));
  const loss = Number(fields.get('loss') ?? 0);
  const jitter = Number(fields.get('jitter') ?? 0);
  if (!(loss >= 0 && loss <= 100 && jitter >= 0 && jitter <= 100)) return null;
  return { lossRate: loss / 100, jitterMs: jitter };
}

// ---- main → worker -----------------------------------------------------------------------------

/** One entry of `sfu-sources`: the relay's source index of a participant. */
export interface SfuSourceKey {
  index: number;
  sourceKey: string;
}

export type ToAudioWorker =
  | {
      type: 'init';
      version: number;
      /** Capture ring (SampleRing) and all peers' packet rings (PacketRing.forPeer). */
      captureMemory: AudioMemory;
      packetMemory: AudioMemory;
      /** True when the memories are SharedArrayBuffers; else frames/packets go through the ports. */
      shared: boolean;
      settings: SendSettings;
      /** Benchmarks only: emulate a bad network on receive (random loss, uniform extra delay). */
      impairment?: Impairment;
      /** Benchmarks only: record every frame's arrival for `dump-trace`. */
      trace?: boolean;
    }
  | { type: 'dump-trace' }
  | { type: 'settings'; settings: SendSettings }
  /** A remote participant's stream, decoded into packet ring `slot` (replaces an earlier one of that key). */
  | { type: 'add-source'; sourceKey: string; slot: number }
  | { type: 'remove-source'; sourceKey: string }
  /**
   * A way frames of `sourceKey` arrive (and ours leave). `channel` is transferred in the task that
   * created it; it is absent when the transfer failed (then the main thread relays, see `frame`/`send`).
   */
  | { type: 'add-transport'; transportId: string; sourceKey: string; channel?: RTCDataChannel }
  /** Removes a direct transport or an SFU transport. */
  | { type: 'remove-transport'; transportId: string }
  /**
   * The data channel to the relay's SFU (`SFU_CHANNEL` of `sfu.ts`), transferred like a direct channel (absent
   * when the transfer failed: the main thread relays, see `frame`/`send`). It carries our sealed frames
   * up (while `sfu-sending` is on) and bundles of every other source's frames down.
   */
  | { type: 'add-sfu'; transportId: string; channel?: RTCDataChannel }
  /** The relay's `room-route` mapping: which source (key = peer id) each bundle entry's index stands for. */
  | { type: 'sfu-sources'; sources: SfuSourceKey[] }
  /** Whether each encoded frame is also sealed and sent once on the SFU channel (default off). */
  | { type: 'sfu-sending'; enabled: boolean }
  /**
   * Our key for sealing frames to the SFU from now on (replaces the previous one). Each key must be
   * new: the Worker refuses one it sealed with before (nonces would repeat), with an `error`.
   */
  | { type: 'sfu-send-key'; key: FrameKey }
  /** A key `sourceKey` seals its frames with; the Worker keeps its newest two (frames in flight at a rotation). */
  | { type: 'sfu-source-key'; sourceKey: string; key: FrameKey }
  /** Fallback when a channel could not be transferred: the main thread relays what arrives. */
  | { type: 'frame'; transportId: string; bytes: ArrayBuffer }
  /**
   * Which path a source's audio takes. On `track` (a WebRTC audio track carries it instead) the Worker
   * neither sends frames on its transports nor delivers what still arrives; RTT probes go on. Default `data`.
   */
  | { type: 'source-path'; sourceKey: string; path: 'data' | 'track' }
  /** No shared memory: a captured frame, relayed from the capture worklet (interleaved). */
  | {
      type: 'capture-frame';
      senderTime: number;
      frameSamples: number;
      channels: number;
      samples: Float32Array;
    }
  | { type: 'sending'; enabled: boolean }
  /**
   * Our capture clock, about once a second while audio runs: capture-timeline sample `senderTime` (the
   * capture worklet's framer index; the Worker maps it onto the senderTime our frames carry) was
   * captured at `epochMs` (main thread's epoch clock, captured-time mapping of engine.ts). The Worker
   * sends the latest one in its clock pongs, so receivers can place our frames at capture time.
   */
  | { type: 'capture-anchor'; anchor: CaptureAnchor }
  /**
   * Recording: while `port` is set, every source's decoded frames (concealed ones too, flagged) also go
   * to it as `FromNet` messages (protocol/recording.ts), batched per ~50 ms, stamped with their capture
   * time on our clock. `null` flushes what is pending and stops (the port is closed).
   */
  | { type: 'record'; port: MessagePort | null }
  | { type: 'dispose' };

// ---- worker → main -----------------------------------------------------------------------------

/** One source's counters (totals since it was added), with what its transports measured. */
export interface SourceStats {
  sourceKey: string;
  /** Smoothed round-trip time on the audio channel, ms (the fastest of its transports); null until measured. */
  rttMs: number | null;
  /** Transports attached now. */
  transports: number;
  /**
   * Its epoch clock − ours, ms (clock-offset.ts), from the direct transport whose estimate is tightest,
   * with that estimate's error bound; null without a direct transport that measured it (through the SFU
   * only the relay's clock is measured: `SfuStats.clockOffsetMs`).
   */
  clockOffsetMs: number | null;
  clockUncertaintyMs: number | null;
  /** Our frames sent on its transports (each transport counts). */
  framesSent: number;
  /** Their frames that arrived, duplicates included. */
  framesReceived: number;
  /** Frames dropped before decoding because another transport (or a retransmission) brought them first. */
  duplicateFrames: number;
  badFrames: number;
  /** Frames not decoded because the decoder was still loading. */
  skippedFrames: number;
  /** Opus frames that arrived after their own concealment (reordered or late) and were dropped. */
  lateFrames: number;
  /** Frames decoded into the packet ring. */
  framesDecoded: number;
  /** Lost Opus frames restored exactly from the next frame's redundant copy. */
  recoveredFrames: number;
  /** Lost Opus frames replaced by Opus packet-loss concealment. */
  concealedFrames: number;
  codec: TransportCodec | null;
  /** Samples per channel per frame of the remote's latest frame (its frame size, from the header). */
  frameSamples: number | null;
  /** ms since the latest frame arrived, when the stats were taken; null before the first. */
  lastFrameAgeMs: number | null;
  /** Their frames that came through the SFU and opened (duplicates included): the UI tells the path by it. */
  sfuFrames: number;
  /** SFU frames sealed with a key we do not hold (yet, or any more): dropped. */
  undecryptableFrames: number;
  /** SFU frames that failed authentication (changed on the way, or not theirs): dropped. */
  tamperedFrames: number;
}

/** The Worker's SFU counters (totals since it started, over every SFU transport). */
export interface SfuStats {
  /** SFU transports attached now. */
  transports: number;
  /** Smoothed RTT to the relay on the SFU channel, ms; null until measured. */
  rttMs: number | null;
  /**
   * The relay's epoch clock − ours, ms, from its clock pongs on the tightest SFU transport, with that
   * estimate's error bound; null until measured. Players in an SFU room share it (presence) to place
   * each other's clocks through the relay's.
   */
  clockOffsetMs: number | null;
  clockUncertaintyMs: number | null;
  /** Our sealed frames sent up, and those skipped (channel backed up, or too large for a bundle). */
  framesSent: number;
  skippedSends: number;
  oversizeFrames: number;
  /** Frames not sent because there was no send key yet (or it was used up). */
  unkeyedFrames: number;
  bundles: number;
  /** Messages that were neither a bundle nor a link probe, or a bundle that did not parse: dropped whole. */
  badBundles: number;
  /** Bundle entries whose index the `sfu-sources` mapping does not name, or whose source is not added. */
  unknownSourceFrames: number;
}

export type FromAudioWorker =
  | { type: 'ready'; codec: TransportCodec }
  | {
      type: 'stats';
      sources: SourceStats[];
      /** Frames from a transport the Worker does not know, or whose source is gone: dropped (total). */
      unknownFrames: number;
      /** Frames captured, and those the encoder could not encode (totals). */
      framesCaptured: number;
      encoderSkipped: number;
      sfu: SfuStats;
    }
  /** Fallback: bytes to send on a channel the main thread kept. */
  | { type: 'send'; transportId: string; bytes: ArrayBuffer }
  /** No shared memory: a decoded packet, relayed by the engine to the playback worklet as it is. */
  | PacketMessage
  | { type: 'error'; code: string; message: string }
  /**
   * Benchmarks (with `trace`): a click passed the Worker — `sent` when a captured frame holding one was
   * encoded, `received` when a source's decoded frame holding one went to its packet ring. Wall clock ms.
   */
  | { type: 'stage'; stage: 'sent' | 'received'; sourceKey?: string; epochMs: number }
  /** Arrival traces: per source, triples of (arrival ms, seq, senderTime) in arrival order. */
  | { type: 'trace'; sources: Array<{ sourceKey: string; triples: Float64Array }> };
