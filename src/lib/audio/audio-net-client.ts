/**
 * The main thread's handle on the audio network Worker. Created with the session (before audio starts),
 * because each lossy channel must be transferred to the Worker in the task that created it.
 * It assigns each source (a remote participant's stream) a slot (packet ring, status and parameter
 * index), registers transports (channels) against sources by key, and relays in fallback mode.
 * Sources and transports come and go independently: a participant gets its source when it joins,
 * and each link's channel attaches to it (see protocol/audio-worker.ts). The SFU channel to the relay
 * is one transport for every source; the session tells the Worker the relay's source indexes and the
 * keys frames are sealed with.
 */
import { MAX_PEERS } from '../protocol/audio-layout';
import {
  AUDIO_WORKER_VERSION,
  type FromAudioWorker,
  type Impairment,
  type SendSettings,
  type SfuSourceKey,
  type SfuStats,
  type SourceStats,
  type ToAudioWorker,
} from '../protocol/audio-worker';
import type { AudioMemory } from '../protocol/audio-layout';
import type { CaptureAnchor } from '../protocol/link-ping';
import type { FrameKey } from '../protocol/sealed-frame';
import { Emitter } from '../util/emitter';

export interface AudioNetEvents extends Record<string, unknown> {
  'source-added': { sourceKey: string; slot: number };
  'source-removed': { sourceKey: string; slot: number };
  stats: {
    sources: SourceStats[];
    unknownFrames: number;
    framesCaptured: number;
    encoderSkipped: number;
    sfu: SfuStats;
  };
  ready: { codec: SendSettings['codec'] };
  packet: Extract<FromAudioWorker, { type: 'packet' }>;
  error: { code: string; message: string };
  trace: Extract<FromAudioWorker, { type: 'trace' }>;
  stage: Extract<FromAudioWorker, { type: 'stage' }>;
}

export class AudioNetClient {
  readonly events = new Emitter<AudioNetEvents>();
  readonly #worker: Worker;
  readonly #slots = new Map<string, number>();
  /** Channels kept here because the transfer failed (by transport id): the Worker sends through them via us. */
  readonly #relayed = new Map<string, RTCDataChannel>();
  readonly #transports = new Set<string>();
  #nextTransport = 0;
  #disposed = false;

  constructor(createWorker: () => Worker) {
    this.#worker = createWorker();
    this.#worker.onmessage = (event: MessageEvent<FromAudioWorker>) => this.#onMessage(event.data);
    this.#worker.onerror = (event) =>
      this.events.emit('error', { code: 'worker', message: `Audio worker failed: ${event.message}` });
  }

  /** Source key → slot, for every source. */
  get slots(): ReadonlyMap<string, number> {
    return this.#slots;
  }

  init(options: {
    captureMemory: AudioMemory;
    packetMemory: AudioMemory;
    shared: boolean;
    settings: SendSettings;
    impairment?: Impairment;
    trace?: boolean;
  }) {
    this.#post({ type: 'init', version: AUDIO_WORKER_VERSION, ...options });
  }

  configure(settings: SendSettings): void {
    this.#post({ type: 'settings', settings });
  }

  setSending(enabled: boolean): void {
    this.#post({ type: 'sending', enabled });
  }

  /**
   * Gives a source its slot (the same one again if it has one) and tells the Worker and the engine.
   * Null, with an error event, when every slot is taken.
   */
  addSource(sourceKey: string): number | null {
    if (this.#disposed) return null;
    const known = this.#slots.get(sourceKey);
    if (known !== undefined) return known;
    const slot = this.#freeSlot();
    if (slot < 0) {
      this.events.emit('error', { code: 'too-many-peers', message: `At most ${MAX_PEERS} remote players.` });
      return null;
    }
    this.#slots.set(sourceKey, slot);
    this.#post({ type: 'add-source', sourceKey, slot });
    this.events.emit('source-added', { sourceKey, slot });
    return slot;
  }

  removeSource(sourceKey: string): void {
    const slot = this.#slots.get(sourceKey);
    if (slot === undefined) return;
    this.#slots.delete(sourceKey);
    this.#post({ type: 'remove-source', sourceKey });
    this.events.emit('source-removed', { sourceKey, slot });
  }

  /**
   * Attaches a channel carrying `sourceKey`'s frames (and ours to it). Must be called in the task that
   * created `channel` (see PeerLink's onAudioChannel). The source may be added before or after.
   * Returns the function that removes this transport — only this one, not a later one of the same
   * source (a pair that re-forms gets a new link while the old one is still closing).
   */
  addTransport(sourceKey: string, channel: RTCDataChannel): () => void {
    return this.#attach(channel, (transportId, transferred) =>
      transferred
        ? { type: 'add-transport', transportId, sourceKey, channel: transferred }
        : { type: 'add-transport', transportId, sourceKey },
    );
  }

  /**
   * Attaches the SFU data channel (to the relay; `SFU_CHANNEL` of protocol/sfu.ts), in the task that
   * created it, like `addTransport`. Returns the function that removes it (idempotent).
   */
  addSfuTransport(channel: RTCDataChannel): () => void {
    return this.#attach(channel, (transportId, transferred) =>
      transferred ? { type: 'add-sfu', transportId, channel: transferred } : { type: 'add-sfu', transportId },
    );
  }

  /** The relay's `room-route` sources: which peer (source key) each bundle index stands for. */
  setSfuSources(sources: readonly SfuSourceKey[]): void {
    this.#post({
      type: 'sfu-sources',
      sources: sources.map(({ index, sourceKey }) => ({ index, sourceKey })),
    });
  }

  /** Whether our frames also go up to the SFU (sealed, once each). */
  setSfuSending(enabled: boolean): void {
    this.#post({ type: 'sfu-sending', enabled });
  }

  /** Our key for sealing frames to the SFU from now on; each must be fresh (see ToAudioWorker). */
  setSfuSendKey(key: FrameKey): void {
    this.#post({ type: 'sfu-send-key', key: copyKey(key) });
  }

  /** A key `sourceKey` seals its SFU frames with (the Worker keeps each source's newest two). */
  setSfuSourceKey(sourceKey: string, key: FrameKey): void {
    this.#post({ type: 'sfu-source-key', sourceKey, key: copyKey(key) });
  }

  /** Tells the Worker whether a source's audio uses our data path or a WebRTC track (see ToAudioWorker). */
  setSourcePath(sourceKey: string, path: 'data' | 'track'): void {
    if (this.#slots.has(sourceKey)) this.#post({ type: 'source-path', sourceKey, path });
  }

  /** Benchmarks: every source's recorded arrivals (see `trace` in init). */
  dumpTrace(): Promise<Extract<FromAudioWorker, { type: 'trace' }>> {
    return new Promise((resolve) => {
      const off = this.events.on('trace', (trace) => {
        off();
        resolve(trace);
      });
      this.#post({ type: 'dump-trace' });
    });
  }

  /**
   * Our capture clock (engine.captureAnchor()), about once a second while audio runs: the Worker sends
   * the latest in its clock pongs, so peers that record can place our frames at capture time.
   */
  setCaptureAnchor(anchor: CaptureAnchor): void {
    this.#post({
      type: 'capture-anchor',
      anchor: { senderTime: anchor.senderTime, epochMs: anchor.epochMs },
    });
  }

  /**
   * Recording: every source's decoded frames also go to `port` (the recorder Worker's end, transferred)
   * until `record(null)`, which flushes and closes it. A new port replaces the old one.
   */
  record(port: MessagePort | null): void {
    if (this.#disposed) {
      port?.close();
      return;
    }
    this.#post({ type: 'record', port }, port ? [port] : []);
  }

  /** Fallback: a captured frame from the capture worklet's port. */
  relayCaptureFrame(frame: {
    senderTime: number;
    frameSamples: number;
    channels: number;
    samples: Float32Array;
  }) {
    this.#post({ type: 'capture-frame', ...frame }, [frame.samples.buffer as ArrayBuffer]);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#post({ type: 'dispose' });
    this.#disposed = true;
    this.#worker.terminate();
    this.#slots.clear();
    this.#transports.clear();
    for (const channel of this.#relayed.values()) channel.onmessage = null;
    this.#relayed.clear();
    this.events.clear();
  }

  /** Transfers `channel` with the message `make` builds, or keeps it here and relays both ways. */
  #attach(
    channel: RTCDataChannel,
    make: (transportId: string, transferred?: RTCDataChannel) => ToAudioWorker,
  ): () => void {
    if (this.#disposed) return () => undefined;
    const transportId = `t${++this.#nextTransport}`;
    this.#transports.add(transportId);
    try {
      this.#worker.postMessage(make(transportId, channel), [channel as unknown as Transferable]);
    } catch {
      // This browser cannot move data channels to workers: keep it here and relay both ways.
      this.#relayed.set(transportId, channel);
      channel.binaryType = 'arraybuffer';
      channel.onmessage = ({ data }) => {
        if (data instanceof ArrayBuffer) this.#post({ type: 'frame', transportId, bytes: data }, [data]);
      };
      this.#post(make(transportId));
    }
    return () => this.#removeTransport(transportId);
  }

  #removeTransport(transportId: string): void {
    if (!this.#transports.delete(transportId)) return;
    const relayed = this.#relayed.get(transportId);
    if (relayed) {
      relayed.onmessage = null;
      this.#relayed.delete(transportId);
    }
    this.#post({ type: 'remove-transport', transportId });
  }

  #freeSlot(): number {
    const used = new Set(this.#slots.values());
    for (let slot = 0; slot < MAX_PEERS; slot++) if (!used.has(slot)) return slot;
    return -1;
  }

  #post(message: ToAudioWorker, transfer: Transferable[] = []): void {
    if (!this.#disposed) this.#worker.postMessage(message, transfer);
  }

  #onMessage(message: FromAudioWorker): void {
    switch (message.type) {
      case 'ready':
        this.events.emit('ready', { codec: message.codec });
        return;
      case 'stats':
        this.events.emit('stats', {
          sources: message.sources,
          unknownFrames: message.unknownFrames,
          framesCaptured: message.framesCaptured,
          encoderSkipped: message.encoderSkipped,
          sfu: message.sfu,
        });
        return;
      case 'send': {
        const channel = this.#relayed.get(message.transportId);
        if (channel?.readyState === 'open') channel.send(message.bytes);
        return;
      }
      case 'packet':
        this.events.emit('packet', message);
        return;
      case 'error':
        this.events.emit('error', { code: message.code, message: message.message });
        return;
      case 'trace':
        this.events.emit('trace', message);
        return;
      case 'stage':
        this.events.emit('stage', message);
        return;
    }
  }
}

/** The key's own copies: the caller may wipe or reuse its buffers after handing a key over. */
function copyKey({ keyId, key, salt }: FrameKey): FrameKey {
  return { keyId, key: key.slice(), salt: salt.slice() };
}
