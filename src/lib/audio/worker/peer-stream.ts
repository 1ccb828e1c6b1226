/**
 * One remote peer's audio in the Worker: its lossy channel (sending our frames, receiving theirs),
 * RTT probes, and decoding into the peer's packet ring for the playback worklet. A bad frame is counted
 * and dropped; nothing here throws into the channel's event loop.
 */
import { AUDIO_SAMPLE_RATE, AudioCodec, decodePcm16, readAudioFrame } from '../../protocol/audio-frame';
import type { PacketMeta } from '../../protocol/audio-layout';
import type { PeerLinkStats, TransportCodec } from '../../protocol/audio-worker';
import { LinkPingKind, readLinkPing, writeLinkPing } from '../../protocol/link-ping';

/** Where decoded packets go: the shared packet ring, or a port in the fallback. */
export type PacketSink = (meta: PacketMeta, planes: readonly Float32Array[]) => void;

/** A channel-like transport: a transferred RTCDataChannel, or the main-thread relay in the fallback. */
export interface FrameTransport {
  send(bytes: Uint8Array): void;
  /** Bytes queued and not yet sent; frames are skipped above a threshold rather than queued late. */
  readonly bufferedAmount: number;
  readonly open: boolean;
  close(): void;
}

/** Skip a frame rather than queue it behind this much (≈ 20 frames of Opus at 2.5 ms). */
const MAX_BUFFERED_BYTES = 16 * 1024;
const RTT_SMOOTHING = 0.2;
/** Frames inside the decoder at once; each is a frame of added delay. */
const MAX_IN_FLIGHT_FRAMES = 3;
/** Two minutes of 2.5 ms frames. */
const TRACE_FRAMES = 48_000;
const US_PER_SAMPLE = 1e6 / AUDIO_SAMPLE_RATE;

export class PeerStream {
  readonly peerKey: string;
  readonly #transport: FrameTransport;
  readonly #sink: PacketSink;
  readonly #now: () => number;
  readonly #planes = [new Float32Array(480), new Float32Array(480)];
  #decoder: AudioDecoder | null = null;
  #decoderChannels = 0;
  /**
   * Metadata of the frames inside the decoder, in decode order. Opus gives exactly one output per
   * packet, in order; output timestamps are the decoder's own running count (they drift from ours
   * after a gap), so outputs are matched by order, not by timestamp.
   */
  readonly #pending: PacketMeta[] = [];
  #pingId = 0;
  #rtt: number | null = null;
  #codec: TransportCodec | null = null;
  #closed = false;
  /** Benchmark arrival trace: (arrival ms, seq, senderTime) triples, at most TRACE_FRAMES frames. */
  #trace: Float64Array | null = null;
  #traced = 0;
  framesSent = 0;
  framesReceived = 0;
  badFrames = 0;
  skippedSends = 0;
  /** Frames not decoded because the decoder had fallen behind. */
  skippedFrames = 0;
  framesDecoded = 0;

  constructor(options: { peerKey: string; transport: FrameTransport; sink: PacketSink; now: () => number }) {
    this.peerKey = options.peerKey;
    this.#transport = options.transport;
    this.#sink = options.sink;
    this.#now = options.now;
  }

  /** Starts recording arrivals (benchmarks): at most TRACE_FRAMES, then recording stops. */
  recordTrace(): void {
    this.#trace ??= new Float64Array(TRACE_FRAMES * 3);
  }

  /** The arrivals recorded so far (a copy). */
  trace(): Float64Array {
    return this.#trace ? this.#trace.slice(0, this.#traced * 3) : new Float64Array(0);
  }

  send(bytes: Uint8Array): void {
    const t = this.#transport;
    if (this.#closed || !t.open) return;
    if (t.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.skippedSends++;
      return;
    }
    t.send(bytes);
    this.framesSent++;
  }

  ping(): void {
    if (this.#closed || !this.#transport.open) return;
    this.#transport.send(writeLinkPing(LinkPingKind.Ping, this.#pingId++, this.#now()));
  }

  /** Handles one message from the channel. */
  receive(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (bytes[0]! >= 0x80) {
      this.#receivePing(bytes);
      return;
    }
    const frame = readAudioFrame(bytes);
    if (!frame.ok) {
      this.badFrames++;
      return;
    }
    const { header, payload } = frame;
    this.framesReceived++;
    if (this.#trace && this.#traced < TRACE_FRAMES) {
      this.#trace.set([this.#now(), header.seq, header.senderTime], this.#traced * 3);
      this.#traced++;
    }
    const meta: PacketMeta = {
      seq: header.seq,
      senderTime: header.senderTime,
      arrivalTime: this.#now(),
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
    this.#decodeOpus(meta, payload);
  }

  stats(): PeerLinkStats {
    return {
      peerKey: this.peerKey,
      rttMs: this.#rtt,
      framesSent: this.framesSent,
      framesReceived: this.framesReceived,
      badFrames: this.badFrames,
      skippedFrames: this.skippedFrames,
      framesDecoded: this.framesDecoded,
      codec: this.#codec,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending.length = 0;
    if (this.#decoder && this.#decoder.state !== 'closed') this.#decoder.close();
    this.#decoder = null;
    this.#transport.close();
  }

  #receivePing(bytes: Uint8Array): void {
    const ping = readLinkPing(bytes);
    if (!ping) {
      this.badFrames++;
      return;
    }
    if (ping.kind === LinkPingKind.Ping) {
      if (this.#transport.open) this.#transport.send(writeLinkPing(LinkPingKind.Pong, ping.id, ping.timeMs));
      return;
    }
    const rtt = this.#now() - ping.timeMs;
    if (!(rtt >= 0 && rtt < 10_000)) return;
    this.#rtt = this.#rtt === null ? rtt : this.#rtt + RTT_SMOOTHING * (rtt - this.#rtt);
  }

  #decodeOpus(meta: PacketMeta, payload: Uint8Array): void {
    const decoder = this.#opusDecoder(meta.channels);
    if (!decoder) {
      this.badFrames++;
      return;
    }
    // A decoder that has fallen behind adds delay to every later frame: skip, the jitter buffer conceals.
    // (decodeQueueSize counts only frames not yet handed to the codec; `pending` counts all in flight.)
    if (decoder.decodeQueueSize > 0 || this.#pending.length >= MAX_IN_FLIGHT_FRAMES) {
      this.skippedFrames++;
      return;
    }
    const timestamp = Math.round(meta.senderTime * US_PER_SAMPLE);
    try {
      decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp, data: payload }));
      this.#pending.push(meta);
    } catch {
      this.badFrames++;
    }
  }

  #opusDecoder(channels: number): AudioDecoder | null {
    if (this.#decoder && this.#decoderChannels === channels && this.#decoder.state === 'configured') {
      return this.#decoder;
    }
    if (this.#decoder && this.#decoder.state !== 'closed') this.#decoder.close();
    this.#pending.length = 0; // frames of the old decoder will never come out
    if (typeof AudioDecoder === 'undefined') return null;
    const decoder = new AudioDecoder({
      output: (data) => this.#onDecoded(data),
      // A corrupt packet closes a WebCodecs decoder: count it; the next frame configures a new one.
      error: () => this.badFrames++,
    });
    decoder.configure({ codec: 'opus', sampleRate: AUDIO_SAMPLE_RATE, numberOfChannels: channels });
    this.#decoder = decoder;
    this.#decoderChannels = channels;
    return decoder;
  }

  #onDecoded(data: AudioData): void {
    try {
      const meta = this.#pending.shift();
      if (!meta || this.#closed) return;
      const frames = Math.min(data.numberOfFrames, 480);
      const channels = Math.min(data.numberOfChannels, 2);
      for (let c = 0; c < channels; c++) {
        data.copyTo(this.#planes[c]!.subarray(0, frames), {
          planeIndex: c,
          format: 'f32-planar',
          frameCount: frames,
        });
      }
      this.framesDecoded++;
      this.#sink({ ...meta, frameSamples: frames, channels }, this.#planes);
    } finally {
      data.close();
    }
  }
}
