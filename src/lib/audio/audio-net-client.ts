/**
 * The main thread's handle on the audio network Worker. Created with the session (before audio starts),
 * because each peer's lossy channel must be transferred to the Worker in the task that created it.
 * It assigns each peer a slot (packet ring, status and parameter index) and relays in fallback mode.
 */
import { MAX_PEERS } from '../protocol/audio-layout';
import {
  AUDIO_WORKER_VERSION,
  type FromAudioWorker,
  type Impairment,
  type PeerLinkStats,
  type SendSettings,
  type ToAudioWorker,
} from '../protocol/audio-worker';
import type { AudioMemory } from '../protocol/audio-layout';
import { Emitter } from '../util/emitter';

export interface AudioNetEvents extends Record<string, unknown> {
  'peer-added': { peerKey: string; slot: number };
  'peer-removed': { peerKey: string; slot: number };
  stats: { peers: PeerLinkStats[]; framesCaptured: number; encoderSkipped: number };
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
  /** Channels kept here because the transfer failed: the Worker sends through them via us. */
  readonly #relayed = new Map<string, RTCDataChannel>();
  readonly #generations = new Map<string, number>();
  #generation = 0;
  #stats = new Map<string, PeerLinkStats>();
  #disposed = false;

  constructor(createWorker: () => Worker) {
    this.#worker = createWorker();
    this.#worker.onmessage = (event: MessageEvent<FromAudioWorker>) => this.#onMessage(event.data);
    this.#worker.onerror = (event) =>
      this.events.emit('error', { code: 'worker', message: `Audio worker failed: ${event.message}` });
  }

  /** Peer key → slot, for every peer with a channel. */
  get slots(): ReadonlyMap<string, number> {
    return this.#slots;
  }

  stats(peerKey: string): PeerLinkStats | undefined {
    return this.#stats.get(peerKey);
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
   * Must be called in the task that created `channel` (see PeerLink's onAudioChannel). Returns the
   * function that removes this peer again — and only this registration, not a later one for the same
   * key (a pair that re-forms gets a new link while the old one is still closing).
   */
  addPeer(peerKey: string, channel: RTCDataChannel): () => void {
    if (this.#disposed) return () => undefined;
    this.removePeer(peerKey);
    const generation = ++this.#generation;
    this.#generations.set(peerKey, generation);
    const release = () => {
      if (this.#generations.get(peerKey) === generation) this.removePeer(peerKey);
    };
    const slot = this.#freeSlot();
    if (slot < 0) {
      channel.close();
      this.events.emit('error', { code: 'too-many-peers', message: `At most ${MAX_PEERS} remote players.` });
      return release;
    }
    this.#slots.set(peerKey, slot);
    try {
      this.#worker.postMessage({ type: 'add-peer', peerKey, slot, channel } satisfies ToAudioWorker, [
        channel as unknown as Transferable,
      ]);
    } catch {
      // This browser cannot move data channels to workers: keep it here and relay both ways.
      this.#relayed.set(peerKey, channel);
      channel.binaryType = 'arraybuffer';
      channel.onmessage = ({ data }) => {
        if (data instanceof ArrayBuffer) this.#post({ type: 'frame', peerKey, bytes: data }, [data]);
      };
      this.#post({ type: 'add-peer', peerKey, slot });
    }
    this.events.emit('peer-added', { peerKey, slot });
    return release;
  }

  /** Tells the Worker whether a peer's audio uses our data path or a WebRTC track (see ToAudioWorker). */
  setPeerPath(peerKey: string, path: 'data' | 'track'): void {
    if (this.#slots.has(peerKey)) this.#post({ type: 'peer-path', peerKey, path });
  }

  removePeer(peerKey: string): void {
    const slot = this.#slots.get(peerKey);
    if (slot === undefined) return;
    this.#slots.delete(peerKey);
    this.#generations.delete(peerKey);
    this.#stats.delete(peerKey);
    const relayed = this.#relayed.get(peerKey);
    if (relayed) {
      relayed.onmessage = null;
      this.#relayed.delete(peerKey);
    }
    this.#post({ type: 'remove-peer', peerKey });
    this.events.emit('peer-removed', { peerKey, slot });
  }

  /** Benchmarks: every peer's recorded arrivals (see `trace` in init). */
  dumpTrace(): Promise<Extract<FromAudioWorker, { type: 'trace' }>> {
    return new Promise((resolve) => {
      const off = this.events.on('trace', (trace) => {
        off();
        resolve(trace);
      });
      this.#post({ type: 'dump-trace' });
    });
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
    this.#relayed.clear();
    this.events.clear();
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
        this.#stats = new Map(message.peers.map((p) => [p.peerKey, p]));
        this.events.emit('stats', {
          peers: message.peers,
          framesCaptured: message.framesCaptured,
          encoderSkipped: message.encoderSkipped,
        });
        return;
      case 'send': {
        const channel = this.#relayed.get(message.peerKey);
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
