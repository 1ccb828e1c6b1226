/**
 * One remote source's audio in the Worker: its frames, from whichever transports carry them, decoded
 * into the source's packet ring for the playback worklet. Duplicates (the same frame over two
 * transports) are dropped by sequence number before decoding (SeqWindow). A bad frame is counted and
 * dropped; nothing here throws into a channel's event loop.
 *
 * Opus frames are decoded synchronously (libopus, `opus-codec.ts`) in sequence order. When a frame
 * arrives after a gap, the missing frames are produced first: the previous frame from this frame's
 * redundant copy when it carries one (exact audio, flagged {@link PacketFlag.Recovered}), the others by
 * Opus packet-loss concealment (flagged {@link PacketFlag.Concealed}), up to {@link MAX_CONCEALED_SAMPLES};
 * a longer gap is left to the jitter buffer. A frame older than what was already produced (it came
 * after its own concealment) is dropped: decoding it now would break the decoder's continuity.
 */
import {
  AudioCodec,
  AudioFrameFlag,
  decodePcm16,
  readAudioFrame,
  seqDiff,
  type AudioFrameHeader,
} from '../../protocol/audio-frame';
import { PacketFlag, type PacketMeta } from '../../protocol/audio-layout';
import type { SourceStats, TransportCodec } from '../../protocol/audio-worker';
import type { OpusFrameDecoder } from './opus-codec';
import { SeqWindow } from './seq-window';

/** Where decoded packets go: the shared packet ring, or a port in the fallback. */
export type PacketSink = (meta: PacketMeta, planes: readonly Float32Array[]) => void;

/** Makes an Opus decoder (asynchronously: the WebAssembly module may still be loading). */
export type OpusDecoderFactory = (channels: 1 | 2) => Promise<OpusFrameDecoder>;

/** What a source counts itself; the transports add RTT, what was sent and the SFU's counts (see AudioNet). */
export type SourceCounters = Omit<
  SourceStats,
  | 'rttMs'
  | 'transports'
  | 'framesSent'
  | 'sfuFrames'
  | 'undecryptableFrames'
  | 'tamperedFrames'
  | 'clockOffsetMs'
  | 'clockUncertaintyMs'
>;

/** Longest gap the Worker fills with Opus concealment (20 ms); the jitter buffer handles longer ones. */
export const MAX_CONCEALED_SAMPLES = 960;
/** Two minutes of 2.5 ms frames. */
const TRACE_FRAMES = 48_000;

export class SourceStream {
  readonly sourceKey: string;
  readonly #sink: PacketSink;
  readonly #now: () => number;
  readonly #opusFactory: OpusDecoderFactory | null;
  readonly #planes = [new Float32Array(480), new Float32Array(480)];
  readonly #decoders: [OpusFrameDecoder | null, OpusFrameDecoder | null] = [null, null];
  readonly #decoderLoading = [false, false];
  /** Sequence number the next Opus frame should have; null before the first or after a restart. */
  #nextSeq: number | null = null;
  readonly #window = new SeqWindow();
  #codec: TransportCodec | null = null;
  #frameSamples: number | null = null;
  #lastArrival: number | null = null;
  #closed = false;
  /** Benchmark arrival trace: (arrival ms, seq, senderTime) triples, at most TRACE_FRAMES frames. */
  #trace: Float64Array | null = null;
  #traced = 0;
  framesReceived = 0;
  /** Frames dropped before decoding: already brought by another transport. */
  duplicateFrames = 0;
  badFrames = 0;
  /** Frames not decoded because the decoder was still loading. */
  skippedFrames = 0;
  /** Opus frames that came after their own concealment (reordered or late): dropped. */
  lateFrames = 0;
  framesDecoded = 0;
  /** Lost frames restored from the next frame's redundant copy. */
  recoveredFrames = 0;
  /** Lost frames replaced by Opus packet-loss concealment. */
  concealedFrames = 0;

  constructor(options: {
    sourceKey: string;
    sink: PacketSink;
    now: () => number;
    opus?: OpusDecoderFactory;
  }) {
    this.sourceKey = options.sourceKey;
    this.#sink = options.sink;
    this.#now = options.now;
    this.#opusFactory = options.opus ?? null;
  }

  /** Starts recording arrivals (benchmarks): at most TRACE_FRAMES, then recording stops. */
  recordTrace(): void {
    this.#trace ??= new Float64Array(TRACE_FRAMES * 3);
  }

  /** The arrivals recorded so far (a copy). */
  trace(): Float64Array {
    return this.#trace ? this.#trace.slice(0, this.#traced * 3) : new Float64Array(0);
  }

  /** Handles one audio frame from any of the source's transports. */
  receive(bytes: Uint8Array): void {
    if (this.#closed) return;
    const frame = readAudioFrame(bytes);
    if (!frame.ok) {
      this.badFrames++;
      return;
    }
    const { header, payload, redundant } = frame;
    this.framesReceived++;
    const arrivalTime = this.#now();
    this.#lastArrival = arrivalTime;
    if (this.#window.seen(header.seq, header.senderTime)) {
      this.duplicateFrames++;
      return;
    }
    this.#frameSamples = header.frameSamples;
    if (this.#trace && this.#traced < TRACE_FRAMES) {
      const at = 3 * this.#traced++;
      this.#trace[at] = arrivalTime;
      this.#trace[at + 1] = header.seq;
      this.#trace[at + 2] = header.senderTime;
    }
    const meta: PacketMeta = {
      seq: header.seq,
      senderTime: header.senderTime,
      arrivalTime,
      frameSamples: header.frameSamples,
      channels: header.channels,
      flags: header.flags,
    };
    if (header.codec === AudioCodec.Pcm16) {
      this.#codec = 'pcm';
      decodePcm16(payload, header.channels, this.#planes);
      this.framesDecoded++;
      this.#sink(meta, this.#planes);
      return;
    }
    this.#codec = 'opus';
    this.#receiveOpus(header, meta, payload, redundant);
  }

  /** The codec of the last frame decoded (null before the first). */
  get codec(): TransportCodec | null {
    return this.#codec;
  }

  stats(): SourceCounters {
    return {
      sourceKey: this.sourceKey,
      framesReceived: this.framesReceived,
      duplicateFrames: this.duplicateFrames,
      badFrames: this.badFrames,
      skippedFrames: this.skippedFrames,
      lateFrames: this.lateFrames,
      framesDecoded: this.framesDecoded,
      recoveredFrames: this.recoveredFrames,
      concealedFrames: this.concealedFrames,
      codec: this.#codec,
      frameSamples: this.#frameSamples,
      lastFrameAgeMs: this.#lastArrival === null ? null : Math.max(0, this.#now() - this.#lastArrival),
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const decoder of this.#decoders) decoder?.dispose();
    this.#decoders[0] = this.#decoders[1] = null;
  }

  #receiveOpus(
    header: AudioFrameHeader,
    meta: PacketMeta,
    payload: Uint8Array,
    redundant: Uint8Array | null,
  ): void {
    const decoder = this.#decoder(header.channels);
    if (!decoder) {
      this.skippedFrames++;
      return;
    }
    const restart = (header.flags & AudioFrameFlag.StreamStart) !== 0 || this.#nextSeq === null;
    const behind = restart ? 0 : seqDiff(header.seq, this.#nextSeq!);
    if (behind < 0) {
      this.lateFrames++;
      return;
    }
    const n = header.frameSamples;
    if (behind > 0 && behind * n <= MAX_CONCEALED_SAMPLES) {
      for (let k = behind; k >= 1; k--) {
        const copy = k === 1 ? redundant : null;
        const lost: PacketMeta = {
          ...meta,
          seq: (header.seq - k) >>> 0,
          senderTime: (header.senderTime - k * n) >>> 0,
          flags: copy ? PacketFlag.Recovered : PacketFlag.Concealed,
        };
        if (this.#decodeInto(decoder, copy, lost)) {
          if (copy) this.recoveredFrames++;
          else this.concealedFrames++;
        }
      }
    }
    if (this.#decodeInto(decoder, payload, meta)) this.framesDecoded++;
    this.#nextSeq = (header.seq + 1) >>> 0;
  }

  /** Decodes (or, without a packet, conceals) one frame into the sink. False if it was unusable. */
  #decodeInto(decoder: OpusFrameDecoder, packet: Uint8Array | null, meta: PacketMeta): boolean {
    let pcm: Float32Array;
    try {
      pcm = decoder.decode(packet, meta.frameSamples);
    } catch {
      this.badFrames++; // a corrupt packet: libopus refuses it and keeps its state
      return false;
    }
    const channels = decoder.channels;
    const frames = pcm.length / channels;
    if (frames !== meta.frameSamples) {
      this.badFrames++; // the packet's duration disagrees with its header
      return false;
    }
    for (let c = 0; c < channels; c++) {
      const plane = this.#planes[c]!;
      for (let i = 0; i < frames; i++) plane[i] = pcm[i * channels + c]!;
    }
    this.#sink(meta, this.#planes);
    return true;
  }

  /** The decoder for `channels`, or null while it is being created (the frame is skipped). */
  #decoder(channels: 1 | 2): OpusFrameDecoder | null {
    const i = channels - 1;
    const ready = this.#decoders[i];
    if (ready) return ready;
    if (!this.#opusFactory) return null;
    if (!this.#decoderLoading[i]) {
      this.#decoderLoading[i] = true;
      this.#opusFactory(channels).then(
        (decoder) => {
          if (this.#closed) decoder.dispose();
          else this.#decoders[i] = decoder;
        },
        () => {
          this.#decoderLoading[i] = false; // try again with a later frame
        },
      );
    }
    return null;
  }
}
