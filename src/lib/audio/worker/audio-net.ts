/**
 * The audio network Worker's state: reads captured frames from the capture ring, encodes each frame
 * once, sends it to every peer, and feeds every peer's decoded audio into its packet ring. Probes RTT
 * and reports stats once a second. Owns its encoder, decoders, channels and timers; dispose() ends all.
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
  type ToAudioWorker,
} from '../../protocol/audio-worker';
import { ImpulseDetector } from '../../worklet/dsp/impulse';
import { FrameEncoder } from './frame-encoder';
import { createOpusDecoder, createOpusEncoder, opusAvailable } from './opus-codec';
import { PeerStream, type FrameTransport } from './peer-stream';

type Post = (message: FromAudioWorker, transfer?: Transferable[]) => void;

const PING_INTERVAL_MS = 500;
const STATS_INTERVAL_MS = 1000;

export class AudioNet {
  readonly #post: Post;
  /** `track`: the peer's audio travels on a WebRTC track (see `peer-path`), so no frames either way. */
  readonly #peers = new Map<string, { stream: PeerStream; slot: number; track: boolean }>();
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
  #framesCaptured = 0;
  /** Skips of encoders already replaced (settings changes). */
  #encoderSkipped = 0;
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
      case 'add-peer':
        this.#addPeer(message.peerKey, message.slot, message.channel);
        return;
      case 'frame':
        this.#peers.get(message.peerKey)?.stream.receive(new Uint8Array(message.bytes));
        return;
      case 'remove-peer':
        this.#removePeer(message.peerKey);
        return;
      case 'peer-path': {
        const peer = this.#peers.get(message.peerKey);
        if (peer) peer.track = message.path === 'track';
        return;
      }
      case 'capture-frame':
        this.#encodeInterleaved(message.samples, message.channels, message.frameSamples, message.senderTime);
        return;
      case 'sending':
        this.#sending = message.enabled;
        return;
      case 'dump-trace':
        this.#post({
          type: 'trace',
          peers: [...this.#peers.values()].map(({ stream }) => ({
            peerKey: stream.peerKey,
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
    for (const key of [...this.#peers.keys()]) this.#removePeer(key);
    this.#encoder?.dispose();
    this.#encoder = null;
  }

  async #init(message: Extract<ToAudioWorker, { type: 'init' }>): Promise<void> {
    if (message.version !== AUDIO_WORKER_VERSION) {
      this.#post({ type: 'error', code: 'incompatible-version', message: 'Audio worker version mismatch.' });
      return;
    }
    this.#capture = new SampleRing(message.captureMemory);
    this.#shared = message.shared;
    this.#impairment = message.impairment ?? null;
    this.#trace = message.trace === true;
    if (this.#trace) for (const { stream } of this.#peers.values()) stream.recordTrace();
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
    while (ring.availableRead() >= count) {
      ring.read(this.#interleaved, count);
      const senderTime = this.#senderTime;
      this.#senderTime = (this.#senderTime + frameSamples) >>> 0;
      this.#encodeInterleaved(this.#interleaved, channels, frameSamples, senderTime);
    }
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

  #stage(stage: 'sent' | 'received', peerKey?: string): void {
    const epochMs = performance.timeOrigin + performance.now();
    this.#post({ type: 'stage', stage, ...(peerKey ? { peerKey } : {}), epochMs });
  }

  #broadcast(bytes: Uint8Array): void {
    for (const { stream, track } of this.#peers.values()) if (!track) stream.send(bytes);
  }

  #addPeer(peerKey: string, slot: number, channel: RTCDataChannel | undefined): void {
    this.#removePeer(peerKey);
    const transport = channel ? channelTransport(channel) : this.#relayTransport(peerKey);
    const stream = new PeerStream({
      peerKey,
      transport,
      now: () => performance.now(),
      opus: createOpusDecoder,
      sink: (meta, planes) => {
        if (peer.track) return;
        this.#deliver(slot, meta, planes);
        const clicks = this.#trace ? this.#receivedClicks[slot] : undefined;
        if (clicks && clicks.process(planes[0]!, meta.frameSamples) >= 0) this.#stage('received', peerKey);
      },
    });
    if (channel) {
      channel.binaryType = 'arraybuffer';
      channel.onmessage = ({ data }) => {
        if (!(data instanceof ArrayBuffer)) return;
        const impairment = this.#impairment;
        if (!impairment) {
          stream.receive(new Uint8Array(data));
          return;
        }
        // Benchmark shim: lose some frames, hold the rest back by a random delay (reorders too).
        if (Math.random() < impairment.lossRate) return;
        setTimeout(() => stream.receive(new Uint8Array(data)), Math.random() * 2 * impairment.jitterMs);
      };
    }
    if (this.#trace) stream.recordTrace();
    const peer = { stream, slot, track: false };
    this.#peers.set(peerKey, peer);
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

  #removePeer(peerKey: string): void {
    const peer = this.#peers.get(peerKey);
    if (!peer) return;
    this.#peers.delete(peerKey);
    peer.stream.close();
  }

  /** Fallback transport when the channel could not be moved here: the main thread sends for us. */
  #relayTransport(peerKey: string): FrameTransport {
    let open = true;
    return {
      get open() {
        return open;
      },
      bufferedAmount: 0,
      send: (bytes) => {
        const copy = bytes.slice().buffer;
        this.#post({ type: 'send', peerKey, bytes: copy }, [copy]);
      },
      close: () => {
        open = false;
      },
    };
  }

  #ping(): void {
    for (const { stream } of this.#peers.values()) stream.ping();
  }

  #reportStats(): void {
    this.#post({
      type: 'stats',
      peers: [...this.#peers.values()].map(({ stream }) => stream.stats()),
      framesCaptured: this.#framesCaptured,
      encoderSkipped: this.#encoderSkipped + (this.#encoder?.skippedFrames ?? 0),
    });
  }
}

function channelTransport(channel: RTCDataChannel): FrameTransport {
  return {
    get open() {
      return channel.readyState === 'open';
    },
    get bufferedAmount() {
      return channel.bufferedAmount;
    },
    send: (bytes) => channel.send(bytes as Uint8Array<ArrayBuffer>),
    close: () => {
      channel.onmessage = null;
      channel.close();
    },
  };
}
