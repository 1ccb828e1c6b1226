/**
 * The audio network Worker's state: reads captured frames from the capture ring, encodes each frame
 * once, sends it on every transport, and feeds every source's decoded audio into its packet ring.
 * Probes RTT per transport and reports stats per source once a second. Owns its encoder, decoders,
 * channels and timers; dispose() ends all.
 *
 * Sources (one per remote participant: decoder, seq window, slot) and transports (channels) are kept
 * apart: a transport names its source by key and is looked up per frame, so either may come first,
 * a source may have several transports (each frame decoded once), and removing one transport leaves
 * the source playing from the others. A frame from an unknown transport, or one whose source is not
 * there, is counted (`unknownFrames`) and dropped.
 *
 * The SFU transport (`sfu-router.ts`) carries every source at once: our frames go up sealed, once, and
 * each source's frames come down in bundles into the same SourceStream as its direct transport's, so
 * a source on both paths (a switch) is decoded once per frame and changes path without a gap.
 */
import {
  PacketRing,
  SampleRing,
  SampleRingHeader,
  MAX_PEERS,
  type PacketMeta,
} from '../../protocol/audio-layout';
import {
  AUDIO_WORKER_VERSION,
  type FromAudioWorker,
  type Impairment,
  type SendSettings,
  type SourceStats,
  type ToAudioWorker,
} from '../../protocol/audio-worker';
import type { CaptureAnchor } from '../../protocol/link-ping';
import { ImpulseDetector } from '../../worklet/dsp/impulse';
import { FrameEncoder } from './frame-encoder';
import { createOpusDecoder, createOpusEncoder, OPUS_DELAY_SAMPLES, opusAvailable } from './opus-codec';
import { channelTransport, relayedTransport } from './frame-transport';
import { RecordForwarder, type SourceClock } from './record-forward';
import { SfuRouter, newSfuSourceCounters, type SfuSink } from './sfu-router';
import { SourceStream } from './source-stream';
import { TransportLink } from './transport-link';

type Post = (message: FromAudioWorker, transfer?: Transferable[]) => void;

const PING_INTERVAL_MS = 500;
/** The Worker's epoch clock, ms: what link probes stamp and clock offsets are measured on. */
const epochNow = () => performance.timeOrigin + performance.now();
const STATS_INTERVAL_MS = 1000;

/** A remote participant in the Worker: its stream, slot and path, and what the SFU brought of it. */
interface Source extends SfuSink {
  stream: SourceStream;
  slot: number;
  /** Its audio travels on a WebRTC track (see `source-path`), so no frames either way. */
  track: boolean;
}

export class AudioNet {
  readonly #post: Post;
  readonly #sources = new Map<string, Source>();
  readonly #transports = new Map<string, TransportLink>();
  readonly #sfu = new SfuRouter({
    source: (sourceKey) => this.#sources.get(sourceKey),
    // The epoch clock, as on direct links: the relay's pongs carry its epoch clock to measure against.
    now: epochNow,
  });
  #unknownFrames = 0;
  #capture: SampleRing | null = null;
  #rings: PacketRing[] = [];
  #shared = false;
  #impairment: Impairment | null = null;
  #trace = false;
  /** Benchmarks (with `trace`): click detectors for our captured frames and each peer slot's audio. */
  readonly #sentClicks = new ImpulseDetector({ threshold: 0.25 });
  readonly #receivedClicks = Array.from(
    { length: MAX_PEERS },
    () => new ImpulseDetector({ threshold: 0.25 }),
  );
  #encoder: FrameEncoder | null = null;
  #settings: SendSettings | null = null;
  /** Bumped by every settings change: a slower earlier configuration must not win. */
  #configuring = 0;
  #sending = true;
  #senderTime = 0;
  /** The capture ring's overflow count already added to `#senderTime`. */
  #captureOverflows = 0;
  #framesCaptured = 0;
  /** Skips of encoders already replaced (settings changes). */
  #encoderSkipped = 0;
  /**
   * `#senderTime` when the current capture ring started: the capture worklet's framer index of a frame
   * plus this is the senderTime the frame goes out with (0 without shared memory, where the worklet
   * stamps frames itself). Capture anchors from the main thread are in framer indexes.
   */
  #senderTimeBase = 0;
  /** Our latest capture anchor, in the senderTimes our frames carry; sent in our clock pongs. */
  #captureAnchor: CaptureAnchor | null = null;
  /** Recording: where decoded frames are copied to; null (the usual case) costs one check per frame. */
  #record: RecordForwarder | null = null;
  #timers: ReturnType<typeof setInterval>[] = [];
  #disposed = false;
  readonly #interleaved = new Float32Array(480 * 2);
  readonly #planes = [new Float32Array(480), new Float32Array(480)];

  constructor(post: Post) {
    this.#post = post;
  }

  handle(message: ToAudioWorker): void {
    if (this.#disposed) return;
    switch (message.type) {
      case 'init':
        void this.#init(message);
        return;
      case 'settings':
        void this.#configure(message.settings);
        return;
      case 'add-source':
        this.#addSource(message.sourceKey, message.slot);
        return;
      case 'remove-source':
        // Only a source we had: keys may arrive before their source is added, and must survive a
        // stray removal then.
        if (this.#sources.has(message.sourceKey)) this.#sfu.removeSourceKeys(message.sourceKey);
        this.#removeSource(message.sourceKey);
        return;
      case 'add-transport':
        this.#addTransport(message.transportId, message.sourceKey, message.channel);
        return;
      case 'remove-transport':
        if (!this.#sfu.remove(message.transportId)) this.#removeTransport(message.transportId);
        return;
      case 'add-sfu':
        this.#addSfu(message.transportId, message.channel);
        return;
      case 'sfu-sources':
        this.#sfu.setSources(Array.isArray(message.sources) ? message.sources : []);
        return;
      case 'sfu-sending':
        this.#sfu.setSending(message.enabled === true);
        return;
      case 'sfu-send-key':
        this.#keyError(this.#sfu.setSendKey(message.key));
        return;
      case 'sfu-source-key':
        this.#keyError(this.#sfu.setSourceKey(message.sourceKey, message.key));
        return;
      case 'frame': {
        const link = this.#transports.get(message.transportId);
        if (link) link.receive(new Uint8Array(message.bytes));
        else if (this.#sfu.has(message.transportId))
          this.#sfu.receive(message.transportId, new Uint8Array(message.bytes));
        else this.#unknownFrames++;
        return;
      }
      case 'source-path': {
        const source = this.#sources.get(message.sourceKey);
        if (source) source.track = message.path === 'track';
        return;
      }
      case 'capture-frame':
        this.#encodeInterleaved(message.samples, message.channels, message.frameSamples, message.senderTime);
        return;
      case 'sending':
        this.#sending = message.enabled;
        return;
      case 'capture-anchor': {
        const anchor = message.anchor;
        if (Number.isFinite(anchor?.senderTime) && Number.isFinite(anchor?.epochMs))
          this.#captureAnchor = {
            senderTime: (anchor.senderTime + this.#senderTimeBase) >>> 0,
            epochMs: anchor.epochMs,
          };
        return;
      }
      case 'record':
        this.#setRecordPort(message.port ?? null);
        return;
      case 'dump-trace':
        this.#post({
          type: 'trace',
          sources: [...this.#sources.values()].map(({ stream }) => ({
            sourceKey: stream.sourceKey,
            triples: stream.trace(),
          })),
        });
        return;
      case 'dispose':
        this.dispose();
        return;
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#record?.close();
    this.#record = null;
    for (const id of [...this.#transports.keys()]) this.#removeTransport(id);
    this.#sfu.close();
    for (const key of [...this.#sources.keys()]) this.#removeSource(key);
    this.#encoder?.dispose();
    this.#encoder = null;
  }

  async #init(message: Extract<ToAudioWorker, { type: 'init' }>): Promise<void> {
    if (message.version !== AUDIO_WORKER_VERSION) {
      this.#post({ type: 'error', code: 'incompatible-version', message: 'Audio worker version mismatch.' });
      return;
    }
    this.#capture = new SampleRing(message.captureMemory);
    this.#captureOverflows = 0;
    // A new capture ring (audio restarted): a new capture timeline, whose anchor is still to come.
    this.#senderTimeBase = message.shared ? this.#senderTime : 0;
    this.#captureAnchor = null;
    this.#shared = message.shared;
    this.#impairment = message.impairment ?? null;
    this.#trace = message.trace === true;
    if (this.#trace) for (const { stream } of this.#sources.values()) stream.recordTrace();
    this.#rings = Array.from({ length: MAX_PEERS }, (_, p) => PacketRing.forPeer(message.packetMemory, p));
    await this.#configure(message.settings);
    this.#timers.push(setInterval(() => this.#ping(), PING_INTERVAL_MS));
    this.#timers.push(setInterval(() => this.#reportStats(), STATS_INTERVAL_MS));
    if (message.shared) void this.#pumpShared();
  }

  async #configure(settings: SendSettings): Promise<void> {
    const generation = ++this.#configuring;
    // Loaded even for PCM: peers may send Opus, and their decoders then find the module ready.
    const opusSupported = await opusAvailable();
    let opus = null;
    try {
      if (settings.codec === 'opus' && opusSupported) opus = await createOpusEncoder(settings);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.#post({ type: 'error', code: 'encoder', message: `Opus encoder could not start: ${text}` });
    }
    if (this.#disposed || generation !== this.#configuring) {
      opus?.dispose();
      return;
    }
    const effective: SendSettings = { ...settings, codec: opus ? 'opus' : 'pcm' };
    this.#encoderSkipped += this.#encoder?.skippedFrames ?? 0;
    this.#encoder?.dispose();
    this.#settings = effective;
    this.#encoder = new FrameEncoder({
      settings: effective,
      opus,
      onFrame: (bytes) => this.#broadcast(bytes),
      onError: (text) => this.#post({ type: 'error', code: 'encoder', message: text }),
    });
    this.#post({ type: 'ready', codec: this.#encoder.codec });
  }

  /**
   * Waits on the capture ring's frame counter (Atomics.waitAsync: no polling, no main thread), then
   * encodes every whole frame available.
   */
  async #pumpShared(): Promise<void> {
    const ring = this.#capture!;
    while (!this.#disposed) {
      const seen = Atomics.load(ring.header, SampleRingHeader.Frames);
      this.#drainCapture();
      const wait = Atomics.waitAsync(ring.header, SampleRingHeader.Frames, seen, 200);
      if (wait.async) await wait.value;
    }
  }

  #drainCapture(): void {
    const ring = this.#capture;
    const settings = this.#settings;
    if (!ring || !settings) return;
    const channels = Atomics.load(ring.header, SampleRingHeader.Channels) || 1;
    const frameSamples = Atomics.load(ring.header, SampleRingHeader.FrameSamples) || settings.frameSamples;
    const count = channels * frameSamples;
    // senderTime is the capture timeline (audio-frame.ts), so frames the worklet dropped because we fell
    // behind still take their time: otherwise every receiver would find all our later frames late by the
    // lost audio and drop them until its jitter buffer's floor crept up to the new offset (many seconds
    // of silence). Frames are dropped only while the ring is full, so the drops since the last drain
    // come after every frame in the ring now and before any written later.
    let beforeDrops = Math.floor(ring.availableRead() / count);
    const overflows = Atomics.load(ring.header, SampleRingHeader.Overflows);
    let dropped = Math.max(0, (overflows - this.#captureOverflows) | 0);
    this.#captureOverflows = overflows;
    while (ring.availableRead() >= count) {
      if (beforeDrops-- === 0) dropped = this.#skipCapture(dropped, frameSamples);
      ring.read(this.#interleaved, count);
      const senderTime = this.#senderTime;
      this.#senderTime = (this.#senderTime + frameSamples) >>> 0;
      this.#encodeInterleaved(this.#interleaved, channels, frameSamples, senderTime);
    }
    this.#skipCapture(dropped, frameSamples);
  }

  /** Moves the capture timeline past `frames` dropped frames; returns 0 (none left to skip). */
  #skipCapture(frames: number, frameSamples: number): number {
    this.#senderTime = (this.#senderTime + frames * frameSamples) >>> 0;
    return 0;
  }

  #encodeInterleaved(
    samples: Float32Array,
    channels: number,
    frameSamples: number,
    senderTime: number,
  ): void {
    const settings = this.#settings;
    this.#framesCaptured++;
    // A frame of another shape than the encoder's (settings changing) is skipped, not mangled.
    if (!settings || !this.#sending || frameSamples !== settings.frameSamples) return;
    for (let i = 0; i < frameSamples; i++) {
      for (let c = 0; c < settings.channels; c++) {
        this.#planes[c]![i] = samples[i * channels + Math.min(c, channels - 1)]!;
      }
    }
    this.#encoder?.encode(this.#planes, senderTime);
    if (this.#trace && this.#sentClicks.process(this.#planes[0]!, frameSamples) >= 0) this.#stage('sent');
  }

  #stage(stage: 'sent' | 'received', sourceKey?: string): void {
    const epochMs = performance.timeOrigin + performance.now();
    this.#post({ type: 'stage', stage, ...(sourceKey ? { sourceKey } : {}), epochMs });
  }

  /** Our frame, once encoded, on every transport whose source takes the data path, and up to the SFU. */
  #broadcast(bytes: Uint8Array): void {
    for (const link of this.#transports.values()) {
      const source = this.#sources.get(link.sourceKey);
      if (source && !source.track) link.send(bytes);
    }
    this.#sfu.send(bytes);
  }

  #keyError(error: string | null): void {
    if (error) this.#post({ type: 'error', code: 'sfu-key', message: `SFU key refused: ${error}` });
  }

  #addSource(sourceKey: string, slot: number): void {
    this.#removeSource(sourceKey);
    const source: Source = {
      slot,
      track: false,
      sfu: newSfuSourceCounters(),
      receive: (frame) => source.stream.receive(frame),
      stream: new SourceStream({
        sourceKey,
        now: () => performance.now(),
        opus: createOpusDecoder,
        sink: (meta, planes) => {
          if (source.track) return;
          this.#deliver(slot, meta, planes);
          const record = this.#record;
          // Opus hands back each sample OPUS_DELAY_SAMPLES after it went in: the stem is moved back by that.
          if (record !== null)
            record.push(sourceKey, meta, planes, source.stream.codec === 'opus' ? OPUS_DELAY_SAMPLES : 0);
          const clicks = this.#trace ? this.#receivedClicks[slot] : undefined;
          if (clicks && clicks.process(planes[0]!, meta.frameSamples) >= 0)
            this.#stage('received', sourceKey);
        },
      }),
    };
    if (this.#trace) source.stream.recordTrace();
    this.#sources.set(sourceKey, source);
  }

  #removeSource(sourceKey: string): void {
    const source = this.#sources.get(sourceKey);
    if (!source) return;
    this.#sources.delete(sourceKey);
    source.stream.close();
  }

  #addTransport(transportId: string, sourceKey: string, channel: RTCDataChannel | undefined): void {
    this.#sfu.remove(transportId);
    this.#removeTransport(transportId);
    const link = new TransportLink({
      id: transportId,
      sourceKey,
      transport: channel ? channelTransport(channel) : this.#relayTransport(transportId),
      now: epochNow,
      anchor: () => this.#captureAnchor,
      onFrame: (bytes) => {
        const source = this.#sources.get(sourceKey);
        if (source) source.stream.receive(bytes);
        else this.#unknownFrames++;
      },
    });
    if (channel) this.#listen(channel, (bytes) => link.receive(bytes));
    this.#transports.set(transportId, link);
  }

  /** Starts (a port) or stops (null: pending frames are flushed, the old port closed) recording. */
  #setRecordPort(port: MessagePort | null): void {
    this.#record?.close();
    this.#record = port
      ? new RecordForwarder({
          port,
          clockOf: (sourceKey) => this.#sourceClock(sourceKey),
          toEpoch: (arrivalTime) => performance.timeOrigin + arrivalTime,
        })
      : null;
  }

  /**
   * A source's clock for recording: of its direct transports that have both the sender's capture
   * anchor and a clock-offset estimate, the one with the smallest uncertainty; null when none has
   * (the SFU path carries neither: the relay answers our pings, not the sender).
   */
  #sourceClock(sourceKey: string): SourceClock | null {
    let best: SourceClock | null = null;
    for (const link of this.#transports.values()) {
      if (link.sourceKey !== sourceKey) continue;
      const anchor = link.remoteAnchor;
      const offset = anchor ? link.clockOffset() : null;
      if (!anchor || !offset) continue;
      if (!best || offset.uncertaintyMs < best.uncertaintyMs) best = { anchor, ...offset };
    }
    return best;
  }

  /** The SFU channel (or, without one, the main thread's relay of it); replaces one of the same id. */
  #addSfu(transportId: string, channel: RTCDataChannel | undefined): void {
    this.#removeTransport(transportId);
    const link = this.#sfu.add(
      transportId,
      channel ? channelTransport(channel) : this.#relayTransport(transportId),
    );
    if (channel) this.#listen(channel, (bytes) => link.receive(bytes));
  }

  /** Feeds a transferred channel's messages to `receive`, through the benchmark impairment if set. */
  #listen(channel: RTCDataChannel, receive: (bytes: Uint8Array) => void): void {
    channel.binaryType = 'arraybuffer';
    channel.onmessage = ({ data }) => {
      if (!(data instanceof ArrayBuffer)) return;
      const impairment = this.#impairment;
      if (!impairment) {
        receive(new Uint8Array(data));
        return;
      }
      // Benchmark shim: lose some frames, hold the rest back by a random delay (reorders too).
      if (Math.random() < impairment.lossRate) return;
      setTimeout(() => receive(new Uint8Array(data)), Math.random() * 2 * impairment.jitterMs);
    };
  }

  #removeTransport(transportId: string): void {
    const link = this.#transports.get(transportId);
    if (!link) return;
    this.#transports.delete(transportId);
    link.close();
  }

  #deliver(slot: number, meta: PacketMeta, planes: readonly Float32Array[]): void {
    if (this.#shared) {
      this.#rings[slot]?.write(meta, planes);
      return;
    }
    const n = meta.frameSamples;
    const pcm = new Float32Array(n * meta.channels);
    for (let c = 0; c < meta.channels; c++) pcm.set(planes[c]!.subarray(0, n), c * n);
    this.#post({ type: 'packet', slot, ...meta, pcm }, [pcm.buffer]);
  }

  /** Fallback transport when the channel could not be moved here: the main thread sends for us. */
  #relayTransport(transportId: string) {
    return relayedTransport((bytes) => this.#post({ type: 'send', transportId, bytes }, [bytes]));
  }

  #ping(): void {
    for (const link of this.#transports.values()) link.ping();
    this.#sfu.ping();
  }

  /**
   * Per source: its own counters, plus its direct transports' fastest RTT, frames sent and bad probes,
   * and what came through the SFU (whose RTT and sends are the Worker's, in `stats().sfu`).
   */
  sourceStats(): SourceStats[] {
    return [...this.#sources.values()].map(({ stream, sfu }) => {
      const counters = stream.stats();
      let rttMs: number | null = null;
      let framesSent = 0;
      let transports = 0;
      let clock: { offsetMs: number; uncertaintyMs: number } | null = null;
      for (const link of this.#transports.values()) {
        if (link.sourceKey !== stream.sourceKey) continue;
        transports++;
        const offset = link.clockOffset();
        if (offset && (!clock || offset.uncertaintyMs < clock.uncertaintyMs)) clock = offset;
        framesSent += link.framesSent;
        counters.badFrames += link.badPings;
        const rtt = link.rttMs;
        if (rtt !== null && (rttMs === null || rtt < rttMs)) rttMs = rtt;
      }
      return {
        ...counters,
        ...sfu,
        rttMs,
        transports,
        framesSent,
        clockOffsetMs: clock?.offsetMs ?? null,
        clockUncertaintyMs: clock?.uncertaintyMs ?? null,
      };
    });
  }

  /** What the once-a-second `stats` message carries. */
  stats(): Extract<FromAudioWorker, { type: 'stats' }> {
    return {
      type: 'stats',
      sources: this.sourceStats(),
      unknownFrames: this.#unknownFrames,
      framesCaptured: this.#framesCaptured,
      encoderSkipped: this.#encoderSkipped + (this.#encoder?.skippedFrames ?? 0),
      sfu: this.#sfu.stats(),
    };
  }

  #reportStats(): void {
    this.#post(this.stats());
  }
}
