/**
 * The recorder Worker's state machine, as a plain class (recorder.worker.ts wires it to `self`; tests
 * drive it over an in-memory OPFS). It owns one take at a time: opening it (recorder-take.ts), taking
 * tap blocks and net chunks from their ports (recorder-tracks.ts places them), flushing the files and
 * then the manifest every FLUSH_INTERVAL_MS (so after a crash the files hold at least what the
 * manifest says; recovery reads their sizes anyway), and finishing it on stop, error or a full disk
 * (recorder-storage.ts watches the estimate).
 *
 * Every request is answered exactly once, in the order received (RecorderClient matches answers to
 * requests by type, in order); `clock` and `track` need no answer and take effect at once.
 */
import {
  FLUSH_INTERVAL_MS,
  BACKING_TRACK,
  MIX_TRACK,
  RECORDING_SAMPLE_RATE,
  SELF_TRACK,
  STORAGE_CHECK_INTERVAL_MS,
  TRACK_FILE_SUFFIX,
  type ClockAnchor,
  type FromNet,
  type FromRecorder,
  type FromTap,
  type SourcePcm,
  type TakeManifest,
  type TakeStart,
  type TapBlock,
  type ToRecorder,
  type TrackInfo,
} from '../protocol/recording';
import {
  describeError,
  isQuotaError,
  type LocksLike,
  type OpfsDirectoryHandle,
  type OpfsSyncHandle,
  type StorageEstimateLike,
} from './opfs';
import { STORAGE_FULL_MESSAGE, checkRoomToStart, storageInfo, storageRunningOut } from './recorder-storage';
import { attempt, closeQuietly, openTakeFiles, takeManifest, type Port, type Take } from './recorder-take';
import {
  ChannelConverter,
  TrackRoutes,
  holdPending,
  remoteFileChannels,
  takePending,
  writeChunk,
  writeTapBlock,
  type Track,
} from './recorder-tracks';
import { RequestError, checkTakeStart, isAnchor, isChunk, isTapBlock } from './recorder-validation';
import { TakeBusyError, TakeStore, cleanTakeName } from './take-store';
import { TrackFile } from './track-file';

export interface RecorderEnv {
  /** navigator.storage.getDirectory(); throws where there is no OPFS. */
  root: () => Promise<OpfsDirectoryHandle>;
  /** navigator.storage.estimate(), or null where it does not exist. */
  estimate: () => Promise<StorageEstimateLike | null>;
  /** navigator.storage.persisted() (Workers may ask; only a Window may call persist()). */
  persisted: () => Promise<boolean>;
  /** navigator.locks, or null without Web Locks. */
  locks: LocksLike | null;
}

export interface RecorderCoreOptions {
  /** How long `start` waits for the first tap block before giving up, ms. */
  startTimeoutMs?: number;
  /** Called once `dispose` has finished the take (the Worker then closes itself). */
  onDisposed?: () => void;
}

export type RecorderPost = (message: FromRecorder, transfer?: Transferable[]) => void;

const PROGRESS_INTERVAL_MS = 1000;
const DEFAULT_START_TIMEOUT_MS = 5000;

export class RecorderCore {
  readonly #env: RecorderEnv;
  readonly #post: RecorderPost;
  readonly #store: TakeStore;
  readonly #startTimeoutMs: number;
  readonly #onDisposed: () => void;
  readonly #routes = new TrackRoutes();
  readonly #channels = new ChannelConverter();
  #anchor: ClockAnchor | null = null;
  #take: Take | null = null;
  #starting = false;
  #queue: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(env: RecorderEnv, post: RecorderPost, options: RecorderCoreOptions = {}) {
    this.#env = env;
    this.#post = post;
    this.#store = new TakeStore(env.root, env.locks);
    this.#startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.#onDisposed = options.onDisposed ?? (() => {});
  }

  /** The take being written, if any (tests and diagnostics). */
  get recordingId(): string | null {
    return this.#take?.id ?? null;
  }

  handle(message: ToRecorder): void {
    if (this.#disposed || typeof message !== 'object' || message === null) return;
    switch (message.type) {
      case 'clock':
        this.#setClock(message.clock);
        return;
      case 'track':
        this.#declare(message.track, message.sourceKeys);
        return;
      case 'dispose':
        this.dispose();
        return;
    }
    // Requests run one after another, so their answers leave in the order they came.
    this.#queue = this.#queue.then(() => this.#answer(message));
  }

  /** Finishes the running take (stopReason `stopped`) and ignores everything after. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    const take = this.#take;
    if (take) this.#finish(take, 'stopped', 'The recorder was closed.');
    this.#disposed = true;
    this.#onDisposed();
  }

  async #answer(message: Exclude<ToRecorder, { type: 'clock' | 'track' | 'dispose' }>): Promise<void> {
    if (this.#disposed) return;
    try {
      switch (message.type) {
        case 'start':
          await this.#start(message);
          return;
        case 'stop':
          this.#stop();
          return;
        case 'list':
          this.#post({ type: 'takes', takes: await this.#store.list(this.#liveManifest()) });
          return;
        case 'manifest':
          this.#post({ type: 'manifest', manifest: await this.#manifestOf(message.id) });
          return;
        case 'rename':
          await this.#rename(message.id, message.name);
          this.#post({ type: 'done', request: 'rename' });
          return;
        case 'delete':
          this.#refuseLive(message.id, 'A take cannot be deleted while it is being recorded.');
          await this.#store.delete(message.id);
          this.#post({ type: 'done', request: 'delete' });
          return;
        case 'recover': {
          this.#refuseLive(message.id, 'This take is being recorded; stop it first.');
          const manifest = await this.#store.recover(message.id);
          this.#post({
            type: 'recovered',
            id: manifest.id,
            durationFrames: manifest.durationFrames,
            manifest,
          });
          return;
        }
        case 'storage':
          this.#post({
            type: 'storage',
            storage: await storageInfo(
              () => this.#env.estimate(),
              () => this.#env.persisted(),
            ),
          });
          return;
        default:
          throw new RequestError(`Unknown request: ${String((message as { type?: unknown }).type)}`);
      }
    } catch (error) {
      const known =
        error instanceof RequestError || error instanceof TakeBusyError || error instanceof RangeError;
      this.#post({
        type: 'error',
        request: message.type,
        message: known ? error.message : `Recorder: ${describeError(error)}`,
      });
    }
  }

  // ---- requests -------------------------------------------------------------------------------

  async #start(message: Extract<ToRecorder, { type: 'start' }>): Promise<void> {
    if (this.#take || this.#starting) throw new RequestError('A take is already being recorded.');
    const start = checkTakeStart(message.take);
    if (!message.tapPort) throw new RequestError('The recorder needs the record tap.');
    if (!isAnchor(message.clock)) throw new RequestError('The recorder needs a clock anchor.');
    this.#anchor = message.clock;
    this.#starting = true;
    try {
      await this.#open(start, message.tapPort as Port, (message.netPort as Port | null) ?? null);
    } finally {
      this.#starting = false;
    }
  }

  async #open(start: TakeStart, tapPort: Port, netPort: Port | null): Promise<void> {
    try {
      await this.#env.root();
    } catch {
      throw new RequestError(
        'This browser cannot record here: it gives the page no private file storage (Origin Private File System). Try a current Chrome, Edge or Firefox outside private browsing.',
      );
    }
    await checkRoomToStart(() => this.#env.estimate());
    const files = await openTakeFiles(this.#store, start.id);
    if (this.#disposed) {
      await files.discard();
      throw new RequestError('The recorder was closed.');
    }
    const take: Take = {
      id: start.id,
      name: start.name,
      start,
      dir: files.dir,
      writer: files.writer,
      release: files.release,
      tapPort,
      netPort,
      anchor: this.#anchor!,
      tapHandles: { mix: files.mix, self: files.self, backing: files.backing },
      startContextFrame: null,
      startEpochMs: 0,
      tracks: new Map(),
      nextTapSample: null,
      timers: [],
      startTimer: null,
    };
    this.#take = take;
    tapPort.onmessage = (event) => this.#onTap(take, event.data as FromTap);
    if (netPort) netPort.onmessage = (event) => this.#onNet(take, event.data as FromNet);
    take.startTimer = setTimeout(() => {
      if (this.#take === take && take.startContextFrame === null)
        this.#finish(take, 'error', "No audio reached the recorder: is the studio's audio running?");
    }, this.#startTimeoutMs);
    take.timers.push(
      setInterval(() => this.#flushTick(take), FLUSH_INTERVAL_MS),
      setInterval(() => this.#progress(take), PROGRESS_INTERVAL_MS),
      setInterval(() => void this.#storageTick(take), STORAGE_CHECK_INTERVAL_MS),
    );
  }

  #stop(): void {
    const take = this.#take;
    if (!take) throw new RequestError('No take is being recorded.');
    const recorded = take.startContextFrame !== null;
    this.#finish(take, 'stopped');
    // A take stopped before its first audio block was dropped; the start request got its error.
    if (!recorded) throw new RequestError('The take stopped before any audio arrived; nothing was recorded.');
  }

  #refuseLive(id: string, message: string): void {
    if (this.#take?.id === id) throw new RequestError(message);
  }

  async #manifestOf(id: string): Promise<TakeManifest> {
    const live = this.#liveManifest();
    if (live && live.id === id) return live;
    return this.#store.manifest(id);
  }

  async #rename(id: string, name: string): Promise<void> {
    const take = this.#take;
    if (take && take.id === id) {
      take.name = cleanTakeName(name);
      if (take.startContextFrame !== null) this.#writeManifest(take);
      return;
    }
    await this.#store.rename(id, name);
  }

  // ---- clock and tracks ---------------------------------------------------------------------------

  #setClock(clock: ClockAnchor): void {
    if (!isAnchor(clock)) return;
    this.#anchor = clock;
    if (this.#take) this.#take.anchor = clock;
  }

  #declare(info: TrackInfo, sourceKeys: string[]): void {
    const track = this.#routes.declare(info, sourceKeys);
    if (!track) {
      this.#post({
        type: 'error',
        request: 'track',
        message: 'Recorder: a track declaration was malformed.',
      });
      return;
    }
    const live = this.#take?.tracks.get(track.id);
    if (live) {
      // Names may change (a player renames); channels are fixed once the file exists.
      live.info = { ...track, channels: live.file ? live.file.channels : track.channels };
    }
  }

  // ---- the tap: microphone and mix ------------------------------------------------------------------

  #onTap(take: Take, data: FromTap): void {
    if (this.#take !== take || typeof data !== 'object' || data === null) return;
    // `tap-dropped` needs nothing here: the next block's later frame leaves the gap, marked concealed.
    if (data.type !== 'tap-block') return;
    try {
      this.#writeBlock(take, data);
    } catch (error) {
      this.#returnBuffers(take, data);
      this.#fail(take, error);
      return;
    }
    this.#returnBuffers(take, data);
  }

  #writeBlock(take: Take, block: TapBlock): void {
    if (!isTapBlock(block)) return;
    const first = take.startContextFrame === null;
    if (first) this.#begin(take, block);
    const at = block.contextFrame - take.startContextFrame!;
    if (at < 0) return;
    const written = writeTapBlock(
      take.tracks.get(SELF_TRACK)!,
      take.tracks.get(MIX_TRACK)!,
      take.tracks.get(BACKING_TRACK)!,
      block,
      at,
      take.nextTapSample,
      this.#channels,
    );
    take.nextTapSample = written.next;
    // Recovery places a file only through the manifest: a backing stem that just began is named now.
    if (written.startedBacking && !first) this.#writeManifest(take);
    if (first) {
      // After the first block is written, so the manifest names both files' start.
      this.#writeManifest(take);
      this.#post({ type: 'started', id: take.id, startEpochMs: take.startEpochMs });
    }
  }

  /** The first tap block: take sample 0, the start time, the mix and self files. */
  #begin(take: Take, block: TapBlock): void {
    const handles = take.tapHandles!;
    take.tapHandles = null;
    take.startContextFrame = block.contextFrame;
    take.startEpochMs =
      take.anchor.epochMs + ((block.contextFrame - take.anchor.contextFrame) * 1000) / RECORDING_SAMPLE_RATE;
    const by = take.start.recordedBy;
    const mix = this.#routes.track(take.tracks, MIX_TRACK, {
      id: MIX_TRACK,
      kind: 'mix',
      userId: null,
      name: 'Mix',
      instrument: '',
      channels: 2,
    });
    mix.file = new TrackFile(handles.mix, 2);
    const self = this.#routes.track(take.tracks, SELF_TRACK, {
      id: SELF_TRACK,
      kind: 'self',
      userId: by.userId,
      name: by.name,
      instrument: '',
      channels: block.inputChannels,
    });
    // The microphone's channel count is what the tap sends, whatever was declared.
    self.info = { ...self.info, channels: block.inputChannels };
    self.file = new TrackFile(handles.self, block.inputChannels);
    const backing = this.#routes.track(take.tracks, BACKING_TRACK, {
      id: BACKING_TRACK,
      kind: 'backing',
      userId: null,
      name: 'Backing track',
      instrument: '',
      channels: 2,
    });
    backing.info = { ...backing.info, channels: 2 };
    backing.file = new TrackFile(handles.backing, 2);
    if (take.startTimer !== null) clearTimeout(take.startTimer);
    take.startTimer = null;
  }

  #returnBuffers(take: Take, block: TapBlock): void {
    const buffers = [block.input?.buffer, block.mix?.buffer, block.backing?.buffer].filter(
      (b, i, all): b is ArrayBuffer => b instanceof ArrayBuffer && all.indexOf(b) === i,
    );
    try {
      take.tapPort.postMessage(
        { type: 'tap-return', input: block.input, mix: block.mix, backing: block.backing },
        buffers,
      );
    } catch {
      // A buffer that cannot be transferred (detached by a confused sender): the tap allocates anew.
    }
  }

  // ---- the net port: remote players ---------------------------------------------------------------

  #onNet(take: Take, data: FromNet): void {
    if (this.#take !== take || typeof data !== 'object' || data === null) return;
    if (data.type !== 'source-pcm' || !Array.isArray(data.chunks)) return;
    for (const chunk of data.chunks) {
      try {
        this.#placeChunk(take, chunk);
      } catch (error) {
        this.#fail(take, error);
        return;
      }
    }
  }

  #placeChunk(take: Take, chunk: SourcePcm): void {
    if (!isChunk(chunk)) return;
    // Before sample 0 there is no timeline to place on (the first tap block defines it).
    if (take.startContextFrame === null) return;
    const info = this.#routes.route(chunk.sourceKey);
    if (!info) return; // a source no track was declared for
    const track = this.#routes.track(take.tracks, info.id, info);
    if (track.file) {
      this.#writeChunk(take, track, chunk);
      return;
    }
    holdPending(track, chunk);
    if (!track.opening) void this.#openRemote(take, track);
  }

  async #openRemote(take: Take, track: Track): Promise<void> {
    track.opening = true;
    let handle: OpfsSyncHandle;
    try {
      const file = await take.dir.getFileHandle(`${track.info.id}${TRACK_FILE_SUFFIX}`, { create: true });
      handle = await file.createSyncAccessHandle();
    } catch (error) {
      if (this.#take === take) this.#fail(take, error);
      return;
    }
    if (this.#take !== take) {
      closeQuietly(handle);
      return;
    }
    track.file = new TrackFile(handle, remoteFileChannels(track));
    track.opening = false;
    const pending = takePending(track);
    try {
      for (const chunk of pending) this.#writeChunk(take, track, chunk);
    } catch (error) {
      this.#fail(take, error);
    }
  }

  #writeChunk(take: Take, track: Track, chunk: SourcePcm): void {
    const present = take.nextTapSample ?? 0;
    if (writeChunk(track, chunk, take.anchor, take.startContextFrame!, present, this.#channels))
      this.#writeManifest(take);
  }

  // ---- flushing, progress, storage ------------------------------------------------------------------

  #flushTick(take: Take): void {
    if (this.#take !== take || take.startContextFrame === null) return;
    try {
      // Audio first, then the manifest: the manifest never claims more than the files hold.
      for (const track of take.tracks.values()) track.file?.flush();
      this.#writeManifest(take);
    } catch (error) {
      this.#fail(take, error);
    }
  }

  #progress(take: Take): void {
    if (this.#take !== take || take.startContextFrame === null) return;
    let bytes = 0;
    let durationFrames = 0;
    let tracks = 0;
    for (const track of take.tracks.values()) {
      if (!track.file || track.file.end === null) continue;
      tracks++;
      bytes += track.file.bytes;
      durationFrames = Math.max(durationFrames, track.file.end);
    }
    this.#post({ type: 'progress', id: take.id, durationFrames, bytes, tracks });
  }

  async #storageTick(take: Take): Promise<void> {
    const stop = await storageRunningOut(() => this.#env.estimate());
    if (this.#take !== take || stop === null) return;
    this.#finish(take, 'storage-full', stop);
  }

  #writeManifest(take: Take): void {
    take.writer.write(takeManifest(take, 'recording'));
  }

  #fail(take: Take, error: unknown): void {
    if (isQuotaError(error)) this.#finish(take, 'storage-full', STORAGE_FULL_MESSAGE);
    else this.#finish(take, 'error', `Recording stopped: ${describeError(error)}`);
  }

  /**
   * Ends the take, synchronously: ports detached, audio flushed, the final manifest in both copies,
   * handles closed, the lock released, `stopped` posted. Each step is tried on its own: a failure
   * (a full disk) never keeps the others from running, and what was flushed stays.
   */
  #finish(take: Take, reason: NonNullable<TakeManifest['stopReason']>, message?: string): void {
    if (this.#take !== take) return;
    this.#take = null;
    for (const timer of take.timers) clearInterval(timer);
    if (take.startTimer !== null) clearTimeout(take.startTimer);
    take.tapPort.onmessage = null;
    // Not closed: a close right after the post could drop `tap-stop`, and the tap must hear it.
    attempt(() => take.tapPort.postMessage({ type: 'tap-stop' }));
    if (take.netPort) {
      take.netPort.onmessage = null;
      attempt(() => take.netPort!.close());
    }
    if (take.startContextFrame === null) {
      // No audio yet: nothing to keep. The start request is answered with why.
      if (take.tapHandles) {
        closeQuietly(take.tapHandles.mix);
        closeQuietly(take.tapHandles.self);
        closeQuietly(take.tapHandles.backing);
      }
      closeQuietly(take.writer);
      take.release();
      void this.#store
        .takesDirectory()
        .then((takes) => takes.removeEntry(take.id, { recursive: true }))
        .catch(() => {});
      this.#post({
        type: 'error',
        request: 'start',
        message: message ?? 'The take stopped before any audio arrived; nothing was recorded.',
      });
      return;
    }
    for (const track of take.tracks.values()) attempt(() => track.file?.flush());
    const manifest = takeManifest(take, 'complete', reason, message);
    let finalMessage = message;
    if (!attempt(() => take.writer.writeBoth(manifest))) {
      finalMessage = `${message ?? 'Stopped.'} The take's list entry could not be updated; recover it from the list.`;
    }
    for (const track of take.tracks.values()) if (track.file) closeQuietly(track.file);
    // No backing track played: its empty file goes (the manifest never named it).
    if (take.tracks.get(BACKING_TRACK)?.file?.startSample === null)
      void take.dir.removeEntry(`${BACKING_TRACK}${TRACK_FILE_SUFFIX}`).catch(() => {});
    closeQuietly(take.writer);
    take.release();
    this.#post({
      type: 'stopped',
      id: take.id,
      reason,
      ...(finalMessage === undefined ? {} : { message: finalMessage }),
      manifest,
    });
  }

  #liveManifest(): TakeManifest | null {
    const take = this.#take;
    return take && take.startContextFrame !== null ? takeManifest(take, 'recording') : null;
  }
}
