/**
 * The main thread's handle on the recorder Worker (recorder.worker.ts). It owns the Worker, turns the
 * Worker's answers into promises (each request is answered once, in order, so answers are matched to
 * the oldest waiting request of their kind), and asks for persistent storage on the first take: a
 * Worker cannot call `navigator.storage.persist()`.
 */
import type {
  ClockAnchor,
  FromRecorder,
  StorageInfo,
  TakeManifest,
  TakeStart,
  TakeSummary,
  ToRecorder,
  TrackInfo,
} from '../protocol/recording';
import { Emitter } from '../util/emitter';

export type RecorderEvents = {
  started: { id: string; startEpochMs: number };
  progress: { id: string; durationFrames: number; bytes: number; tracks: number };
  stopped: { id: string; reason: 'stopped' | 'storage-full' | 'error' | 'crashed'; message?: string };
  error: { request?: string; message: string };
};

type RequestType = 'start' | 'stop' | 'list' | 'rename' | 'delete' | 'recover' | 'manifest' | 'storage';
interface Waiting {
  resolve: (value: never) => void;
  reject: (error: Error) => void;
}

/** Time the Worker gets to finish a take after `dispose` before it is terminated. */
const DISPOSE_GRACE_MS = 2000;

function createRecorderWorker(): Worker {
  // Vite bundles the Worker from this exact expression (and Node tests can import this module).
  return new Worker(new URL('./recorder.worker.ts', import.meta.url), { type: 'module' });
}

export class RecorderClient {
  readonly events = new Emitter<RecorderEvents>();
  readonly #worker: Worker;
  readonly #waiting = new Map<RequestType, Waiting[]>();
  #recording = false;
  #currentId: string | null = null;
  #lastStopped: TakeManifest | null = null;
  #askedPersist = false;
  #disposed = false;

  constructor(createWorker: () => Worker = createRecorderWorker) {
    this.#worker = createWorker();
    this.#worker.onmessage = (event: MessageEvent<FromRecorder>) => this.#onMessage(event.data);
    this.#worker.onerror = (event) => this.#onCrash(`The recorder stopped working: ${event.message}`);
  }

  get recording(): boolean {
    return this.#recording;
  }

  /**
   * Starts a take. Resolves when the first audio block is on disk; rejects with a message for a person
   * (storage low, no OPFS in this browser, no audio from the tap).
   */
  async start(
    take: TakeStart,
    ports: { tapPort: MessagePort; netPort: MessagePort | null },
    clock: ClockAnchor,
  ): Promise<{ startEpochMs: number }> {
    if (this.#disposed) throw new Error('The recorder was closed.');
    if (this.#recording || this.#isWaiting('start')) throw new Error('A take is already being recorded.');
    this.#askPersist();
    const answer = this.#request<{ id: string; startEpochMs: number }>(
      'start',
      { type: 'start', take, tapPort: ports.tapPort, netPort: ports.netPort, clock },
      ports.netPort ? [ports.tapPort, ports.netPort] : [ports.tapPort],
    );
    const { startEpochMs } = await answer;
    return { startEpochMs };
  }

  track(info: TrackInfo, sourceKeys: string[]): void {
    this.#send({ type: 'track', track: info, sourceKeys: [...sourceKeys] });
  }

  clock(anchor: ClockAnchor): void {
    this.#send({ type: 'clock', clock: { contextFrame: anchor.contextFrame, epochMs: anchor.epochMs } });
  }

  /** Stops the take; resolves with its manifest (also when it had already stopped by itself). */
  async stop(): Promise<TakeManifest> {
    if (!this.#recording && !this.#isWaiting('start')) {
      if (this.#lastStopped) return this.#lastStopped;
      throw new Error('No take is being recorded.');
    }
    return this.#request<TakeManifest>('stop', { type: 'stop' });
  }

  list(): Promise<TakeSummary[]> {
    return this.#request('list', { type: 'list' });
  }

  rename(id: string, name: string): Promise<void> {
    return this.#request('rename', { type: 'rename', id, name });
  }

  delete(id: string): Promise<void> {
    return this.#request('delete', { type: 'delete', id });
  }

  /** Finalises an unfinished take from its files; resolves with the recovered manifest. */
  recover(id: string): Promise<TakeManifest> {
    return this.#request('recover', { type: 'recover', id });
  }

  manifest(id: string): Promise<TakeManifest> {
    return this.#request('manifest', { type: 'manifest', id });
  }

  storage(): Promise<StorageInfo> {
    return this.#request('storage', { type: 'storage' });
  }

  /** Finishes a running take (the Worker writes its manifest), then ends the Worker. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#send({ type: 'dispose' });
    this.#disposed = true;
    this.#recording = false;
    this.#rejectAll('The recorder was closed.');
    this.events.clear();
    this.#worker.onmessage = null;
    this.#worker.onerror = null;
    // The Worker closes itself once the take is finished; this only ends one that hangs.
    const worker = this.#worker;
    setTimeout(() => worker.terminate(), DISPOSE_GRACE_MS);
  }

  #askPersist(): void {
    if (this.#askedPersist) return;
    this.#askedPersist = true;
    // Without it the browser may evict the takes under storage pressure; refusal is not an error.
    // Not awaited: Firefox asks the person, and the take must not wait for the answer.
    const storage = typeof navigator === 'undefined' ? undefined : navigator.storage;
    if (typeof storage?.persist === 'function') void storage.persist().catch(() => false);
  }

  #isWaiting(type: RequestType): boolean {
    return (this.#waiting.get(type)?.length ?? 0) > 0;
  }

  #send(message: ToRecorder, transfer: Transferable[] = []): void {
    if (!this.#disposed) this.#worker.postMessage(message, transfer);
  }

  #request<T>(type: RequestType, message: ToRecorder, transfer: Transferable[] = []): Promise<T> {
    if (this.#disposed) return Promise.reject(new Error('The recorder was closed.'));
    return new Promise<T>((resolve, reject) => {
      let queue = this.#waiting.get(type);
      if (!queue) this.#waiting.set(type, (queue = []));
      queue.push({ resolve: resolve as (value: never) => void, reject });
      this.#send(message, transfer);
    });
  }

  #settle(type: RequestType, value: unknown): void {
    const waiting = this.#waiting.get(type)?.shift();
    (waiting?.resolve as ((value: unknown) => void) | undefined)?.(value);
  }

  #fail(type: RequestType, message: string): boolean {
    const waiting = this.#waiting.get(type)?.shift();
    waiting?.reject(new Error(message));
    return waiting !== undefined;
  }

  #rejectAll(message: string): void {
    for (const queue of this.#waiting.values())
      for (const waiting of queue.splice(0)) waiting.reject(new Error(message));
  }

  #onMessage(message: FromRecorder): void {
    switch (message.type) {
      case 'started':
        this.#recording = true;
        this.#currentId = message.id;
        this.#settle('start', { id: message.id, startEpochMs: message.startEpochMs });
        this.events.emit('started', { id: message.id, startEpochMs: message.startEpochMs });
        return;
      case 'progress':
        this.events.emit('progress', {
          id: message.id,
          durationFrames: message.durationFrames,
          bytes: message.bytes,
          tracks: message.tracks,
        });
        return;
      case 'stopped': {
        this.#recording = false;
        this.#currentId = null;
        if (message.manifest) this.#lastStopped = message.manifest;
        const why = message.message ?? 'The take stopped.';
        // A take that stops while `start` still waits (its first manifest could not be written).
        this.#fail('start', why);
        for (const waiting of this.#waiting.get('stop')?.splice(0) ?? []) {
          if (message.manifest) (waiting.resolve as (value: unknown) => void)(message.manifest);
          else waiting.reject(new Error(why));
        }
        this.events.emit('stopped', {
          id: message.id,
          reason: message.reason,
          ...(message.message === undefined ? {} : { message: message.message }),
        });
        return;
      }
      case 'takes':
        this.#settle('list', message.takes);
        return;
      case 'recovered':
        if (message.manifest) this.#settle('recover', message.manifest);
        else this.#fail('recover', 'The take was recovered but its manifest could not be read.');
        return;
      case 'manifest':
        this.#settle('manifest', message.manifest);
        return;
      case 'storage':
        this.#settle('storage', message.storage);
        return;
      case 'done':
        this.#settle(message.request, undefined);
        return;
      case 'error': {
        const request = message.request;
        if (request && request !== 'track' && request !== 'clock' && request !== 'dispose') {
          if (this.#fail(request, message.message)) return;
          // A stop that raced a take ending by itself was already answered by `stopped`.
          if (request === 'stop') return;
        }
        this.events.emit('error', { ...(request ? { request } : {}), message: message.message });
        return;
      }
    }
  }

  #onCrash(message: string): void {
    const id = this.#currentId;
    const wasRecording = this.#recording;
    this.#recording = false;
    this.#currentId = null;
    this.#rejectAll(message);
    this.events.emit('error', { message });
    // The take's files stay; the take list offers it as unfinished.
    if (wasRecording && id) this.events.emit('stopped', { id, reason: 'error', message });
  }
}
