/**
 * The recorder Worker's state machine, as a plain class (recorder.worker.ts wires it to `self`; tests
 * drive it over an in-memory OPFS). It owns one take at a time:
 *
 * - the tap port brings the microphone as captured and the mix as heard, stamped with AudioContext
 *   frames; take sample 0 is the first block's frame, every block is written where its frame says and
 *   its buffers go straight back to the tap's pool;
 * - the net port brings each remote source's decoded frames, stamped with their capture time on the
 *   local epoch clock; `track` declarations say which track a source key feeds (a reconnect adds a key
 *   to the same track, so the stem continues), and a per-track TrackPlacer keeps a stem contiguous;
 * - every FLUSH_INTERVAL_MS the track files are flushed and then the manifest rewritten, so after a
 *   crash the files hold at least what the manifest says (recovery reads their sizes anyway);
 * - storage: a take does not start below MIN_FREE_BYTES, stops cleanly when the estimate drops below it
 *   or any write hits the quota: what was written is flushed and kept, the manifest says `storage-full`.
 *
 * Every request is answered exactly once, in the order received (RecorderClient matches answers to
 * requests by type, in order); `clock` and `track` need no answer and take effect at once.
 */
import {
  FLUSH_INTERVAL_MS,
  MIN_FREE_BYTES,
  MIX_TRACK,
  RECORDING_SAMPLE_RATE,
  RECORDING_VERSION,
  SELF_TRACK,
  STORAGE_CHECK_INTERVAL_MS,
  TRACK_FILE_SUFFIX,
  isTrackId,
  type ClockAnchor,
  type FromNet,
  type FromRecorder,
  type FromTap,
  type SourcePcm,
  type StorageInfo,
  type TakeManifest,
  type TakeStart,
  type TakeTrack,
  type TapBlock,
  type ToRecorder,
  type TrackId,
  type TrackInfo,
} from '../protocol/recording';
import { TrackPlacer, epochToTakeSample } from './alignment';
import {
  describeError,
  isQuotaError,
  type LocksLike,
  type OpfsDirectoryHandle,
  type OpfsSyncHandle,
  type StorageEstimateLike,
} from './opfs';
import { ManifestWriter, TakeBusyError, TakeStore, cleanTakeName, durationOf, isTakeId } from './take-store';
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

/** The parts of a MessagePort the recorder uses. */
type Port = Pick<MessagePort, 'postMessage' | 'close'> & {
  onmessage: ((event: MessageEvent) => void) | null;
};

const PROGRESS_INTERVAL_MS = 1000;
const DEFAULT_START_TIMEOUT_MS = 5000;
/** Remote audio held while its track file opens, frames (5 s): opening takes milliseconds. */
const MAX_PENDING_FRAMES = 5 * RECORDING_SAMPLE_RATE;
const MAX_BLOCK_FRAMES = 1 << 16;
const MB = 1024 * 1024;

interface Track {
  info: TrackInfo;
  file: TrackFile | null;
  opening: boolean;
  pending: SourcePcm[];
  pendingFrames: number;
  placer: TrackPlacer;
  lastSourceKey: string | null;
  concealed: Array<[number, number]>;
  aligned: boolean;
  uncertaintyMs: number | null;
  order: number;
}

interface Take {
  id: string;
  name: string;
  start: TakeStart;
  dir: OpfsDirectoryHandle;
  writer: ManifestWriter;
  release: () => void;
  tapPort: Port;
  netPort: Port | null;
  anchor: ClockAnchor;
  /** Handles of mix and self, opened at start; their TrackFiles are made at the first block. */
  tapHandles: { mix: OpfsSyncHandle; self: OpfsSyncHandle } | null;
  startContextFrame: number | null;
  startEpochMs: number;
  tracks: Map<TrackId, Track>;
  /** Take sample the next tap block should start at (a later one leaves a gap: dropped blocks). */
  nextTapSample: number | null;
  timers: Array<ReturnType<typeof setInterval>>;
  startTimer: ReturnType<typeof setTimeout> | null;
  unroutedChunks: number;
  droppedTapBlocks: number;
}

/** A human-readable error for a request (the client rejects that request's promise with it). */
class RequestError extends Error {}

export class RecorderCore {
  readonly #env: RecorderEnv;
  readonly #post: RecorderPost;
  readonly #store: TakeStore;
  readonly #startTimeoutMs: number;
  readonly #onDisposed: () => void;
  /** Track declarations survive takes: the players in the room stay declared for the next take. */
  readonly #declared = new Map<TrackId, TrackInfo>();
  readonly #routes = new Map<string, TrackId>();
  #anchor: ClockAnchor | null = null;
  #take: Take | null = null;
  #starting = false;
  #queue: Promise<void> = Promise.resolve();
  #disposed = false;
  #trackOrder = 0;
  /** Channel conversion output, reused: each conversion is written out before the next one. */
  #scratch: Float32Array = new Float32Array(0);

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
          this.#post({ type: 'storage', storage: await this.#storage() });
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
    const free = freeBytes(await this.#env.estimate().catch(() => null));
    if (free !== null && free < MIN_FREE_BYTES) {
      throw new RequestError(
        `Not enough storage to record: ${Math.floor(free / MB)} MB free, at least ${MIN_FREE_BYTES / MB} MB needed. Delete old takes or free some disk space.`,
      );
    }
    const takes = await this.#store.takesDirectory();
    if (
      await takes.getDirectoryHandle(start.id).then(
        () => true,
        () => false,
      )
    )
      throw new RequestError('A take with this id already exists.');
    const release = await this.#store.hold(start.id);
    if (!release) throw new RequestError('This take is already being recorded in another tab.');

    const opened: Array<{ close(): void }> = [];
    let dir: OpfsDirectoryHandle | null = null;
    try {
      dir = await takes.getDirectoryHandle(start.id, { create: true });
      const writer = await ManifestWriter.open(dir);
      opened.push(writer);
      const openTrack = async (id: TrackId) => {
        const file = await dir!.getFileHandle(`${id}${TRACK_FILE_SUFFIX}`, { create: true });
        if (typeof file.createSyncAccessHandle !== 'function')
          throw new RequestError(
            'This browser cannot write recordings from a Worker (no createSyncAccessHandle).',
          );
        const handle = await file.createSyncAccessHandle();
        opened.push(handle);
        return handle;
      };
      const mix = await openTrack(MIX_TRACK);
      const self = await openTrack(SELF_TRACK);
      if (this.#disposed) throw new RequestError('The recorder was closed.');
      const take: Take = {
        id: start.id,
        name: start.name,
        start,
        dir,
        writer,
        release,
        tapPort,
        netPort,
        anchor: this.#anchor!,
        tapHandles: { mix, self },
        startContextFrame: null,
        startEpochMs: 0,
        tracks: new Map(),
        nextTapSample: null,
        timers: [],
        startTimer: null,
        unroutedChunks: 0,
        droppedTapBlocks: 0,
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
    } catch (error) {
      for (const handle of opened) closeQuietly(handle);
      release();
      if (dir) await takes.removeEntry(start.id, { recursive: true }).catch(() => {});
      if (error instanceof RequestError) throw error;
      if (isQuotaError(error)) throw new RequestError('Storage is full: the take could not start.');
      throw new RequestError(`The take could not start: ${describeError(error)}`);
    }
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

  async #storage(): Promise<StorageInfo> {
    const estimate = await this.#env.estimate().catch(() => null);
    return {
      usage: estimate?.usage ?? null,
      quota: estimate?.quota ?? null,
      persisted: await this.#env.persisted().catch(() => false),
    };
  }

  // ---- clock and tracks ---------------------------------------------------------------------------

  #setClock(clock: ClockAnchor): void {
    if (!isAnchor(clock)) return;
    this.#anchor = clock;
    if (this.#take) this.#take.anchor = clock;
  }

  #declare(info: TrackInfo, sourceKeys: string[]): void {
    const track = checkTrackInfo(info);
    if (!track || !Array.isArray(sourceKeys)) {
      this.#post({
        type: 'error',
        request: 'track',
        message: 'Recorder: a track declaration was malformed.',
      });
      return;
    }
    this.#declared.set(track.id, track);
    for (const [key, id] of [...this.#routes]) if (id === track.id) this.#routes.delete(key);
    if (track.kind === 'remote')
      for (const key of sourceKeys) if (typeof key === 'string') this.#routes.set(key, track.id);
    const live = this.#take?.tracks.get(track.id);
    if (live) {
      // Names may change (a player renames); channels are fixed once the file exists.
      live.info = { ...track, channels: live.file ? live.file.channels : track.channels };
    }
  }

  #trackState(take: Take, id: TrackId, fallback: TrackInfo): Track {
    let track = take.tracks.get(id);
    if (!track) {
      track = {
        info: this.#declared.get(id) ?? fallback,
        file: null,
        opening: false,
        pending: [],
        pendingFrames: 0,
        placer: new TrackPlacer(),
        lastSourceKey: null,
        concealed: [],
        aligned: true,
        uncertaintyMs: null,
        order: this.#trackOrder++,
      };
      take.tracks.set(id, track);
    }
    return track;
  }

  // ---- the tap: microphone and mix ------------------------------------------------------------------

  #onTap(take: Take, data: FromTap): void {
    if (this.#take !== take || typeof data !== 'object' || data === null) return;
    if (data.type === 'tap-dropped') {
      if (Number.isSafeInteger(data.blocks)) take.droppedTapBlocks += data.blocks;
      return;
    }
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
    const { contextFrame, frames, inputChannels, input, mix } = block;
    if (
      !Number.isSafeInteger(contextFrame) ||
      !Number.isSafeInteger(frames) ||
      frames <= 0 ||
      frames > MAX_BLOCK_FRAMES ||
      (inputChannels !== 1 && inputChannels !== 2) ||
      !(input instanceof Float32Array) ||
      !(mix instanceof Float32Array) ||
      input.length < frames * inputChannels ||
      mix.length < frames * 2
    )
      return;
    const first = take.startContextFrame === null;
    if (first) this.#begin(take, block);
    const at = contextFrame - take.startContextFrame!;
    if (at < 0) return;
    const self = take.tracks.get(SELF_TRACK)!;
    const mixTrack = take.tracks.get(MIX_TRACK)!;
    const expected = take.nextTapSample;
    if (expected !== null && at > expected) {
      // Blocks the tap had to drop: the files hold zeros there; say so.
      addRange(self.concealed, expected, at);
      addRange(mixTrack.concealed, expected, at);
    }
    self.file!.write(at, this.#toChannels(input, inputChannels, self.file!.channels, frames), frames);
    mixTrack.file!.write(at, mix, frames);
    take.nextTapSample = Math.max(expected ?? 0, at + frames);
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
    const mix = this.#trackState(take, MIX_TRACK, {
      id: MIX_TRACK,
      kind: 'mix',
      userId: null,
      name: 'Mix',
      instrument: '',
      channels: 2,
    });
    mix.file = new TrackFile(handles.mix, 2);
    const self = this.#trackState(take, SELF_TRACK, {
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
    if (take.startTimer !== null) clearTimeout(take.startTimer);
    take.startTimer = null;
  }

  #returnBuffers(take: Take, block: TapBlock): void {
    const buffers = [block.input?.buffer, block.mix?.buffer].filter(
      (b, i, all): b is ArrayBuffer => b instanceof ArrayBuffer && all.indexOf(b) === i,
    );
    try {
      take.tapPort.postMessage({ type: 'tap-return', input: block.input, mix: block.mix }, buffers);
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
    const id = this.#routes.get(chunk.sourceKey);
    const info = id === undefined ? undefined : this.#declared.get(id);
    if (id === undefined || !info) {
      take.unroutedChunks++;
      return;
    }
    const track = this.#trackState(take, id, info);
    if (track.file) {
      this.#writeChunk(take, track, chunk);
      return;
    }
    track.pending.push(chunk);
    track.pendingFrames += chunk.frames;
    while (track.pendingFrames > MAX_PENDING_FRAMES && track.pending.length > 1)
      track.pendingFrames -= track.pending.shift()!.frames;
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
    // A remote track is declared with room for stereo; its first frames say what the sender sends,
    // so a mono player's stem takes half the space (later stereo frames are folded to mono).
    const first = track.pending[0];
    const channels = track.info.kind === 'remote' && first?.channels === 1 ? 1 : track.info.channels;
    track.file = new TrackFile(handle, channels);
    track.opening = false;
    const pending = track.pending;
    track.pending = [];
    track.pendingFrames = 0;
    try {
      for (const chunk of pending) this.#writeChunk(take, track, chunk);
    } catch (error) {
      this.#fail(take, error);
    }
  }

  #writeChunk(take: Take, track: Track, chunk: SourcePcm): void {
    const file = track.file!;
    const epochMs = chunk.captureEpochMs ?? chunk.arrivalEpochMs;
    const computed = epochToTakeSample(take.anchor, epochMs, take.startContextFrame!);
    if (track.lastSourceKey !== chunk.sourceKey) {
      // A new stream (a reconnect): placed where its clock says, not glued to the old one's end.
      track.placer.reset();
      track.lastSourceKey = chunk.sourceKey;
    }
    const at = track.placer.place(computed, chunk.frames);
    const isNew = file.startSample === null;
    const written = file.write(
      at,
      this.#toChannels(chunk.samples, chunk.channels, file.channels, chunk.frames),
      chunk.frames,
    );
    if (written === 0) return;
    if (chunk.captureEpochMs === null) track.aligned = false;
    if (chunk.uncertaintyMs !== null)
      track.uncertaintyMs = Math.max(track.uncertaintyMs ?? 0, chunk.uncertaintyMs);
    if (chunk.concealed) addRange(track.concealed, Math.max(at, file.startSample!), at + chunk.frames);
    // A new stem's start goes on disk at once: recovery places a file only through the manifest.
    if (isNew) this.#writeManifest(take);
  }

  #toChannels(samples: Float32Array, from: 1 | 2, to: 1 | 2, frames: number): Float32Array {
    const out = toChannels(samples, from, to, frames, this.#scratch);
    if (out !== samples) this.#scratch = out;
    return out;
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
    const free = freeBytes(await this.#env.estimate().catch(() => null));
    if (this.#take !== take || free === null || free >= MIN_FREE_BYTES) return;
    this.#finish(
      take,
      'storage-full',
      `Storage is almost full (${Math.floor(free / MB)} MB left): the take stopped; everything recorded until now is kept.`,
    );
  }

  #writeManifest(take: Take): void {
    take.writer.write(this.#manifest(take, 'recording'));
  }

  #fail(take: Take, error: unknown): void {
    if (isQuotaError(error))
      this.#finish(
        take,
        'storage-full',
        'Storage is full: the take stopped; everything recorded until now is kept.',
      );
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
    const manifest = this.#manifest(take, 'complete', reason, message);
    let finalMessage = message;
    if (!attempt(() => take.writer.writeBoth(manifest))) {
      finalMessage = `${message ?? 'Stopped.'} The take's list entry could not be updated; recover it from the list.`;
    }
    for (const track of take.tracks.values()) if (track.file) closeQuietly(track.file);
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
    return take && take.startContextFrame !== null ? this.#manifest(take, 'recording') : null;
  }

  #manifest(
    take: Take,
    state: TakeManifest['state'],
    stopReason?: TakeManifest['stopReason'],
    stopMessage?: string,
  ): TakeManifest {
    const tracks: TakeTrack[] = [...take.tracks.values()]
      .filter((t) => t.file !== null && t.file.startSample !== null)
      .sort((a, b) => a.order - b.order)
      .map((t) => ({
        id: t.info.id,
        kind: t.info.kind,
        userId: t.info.userId,
        name: t.info.name,
        instrument: t.info.instrument,
        channels: t.file!.channels,
        file: `${t.info.id}${TRACK_FILE_SUFFIX}`,
        startSample: t.file!.startSample!,
        frames: t.file!.frames,
        concealed: t.concealed.map(([a, b]): [number, number] => [a, b]),
        aligned: t.aligned,
        clockUncertaintyMs: t.uncertaintyMs,
      }));
    return {
      version: RECORDING_VERSION,
      id: take.id,
      name: take.name,
      studio: { ...take.start.studio },
      recordedBy: { ...take.start.recordedBy },
      startedAt: new Date(take.startEpochMs).toISOString(),
      startEpochMs: take.startEpochMs,
      startContextFrame: take.startContextFrame ?? 0,
      sampleRate: RECORDING_SAMPLE_RATE,
      state,
      durationFrames: durationOf(tracks),
      tracks,
      ...(stopReason ? { stopReason } : {}),
      ...(stopMessage !== undefined ? { stopMessage } : {}),
    };
  }
}

// ---- helpers ----------------------------------------------------------------------------------------

function attempt(step: () => void): boolean {
  try {
    step();
    return true;
  } catch {
    return false;
  }
}

function closeQuietly(handle: { close(): void }): void {
  attempt(() => handle.close());
}

function freeBytes(estimate: StorageEstimateLike | null): number | null {
  if (!estimate || typeof estimate.quota !== 'number' || typeof estimate.usage !== 'number') return null;
  return Math.max(0, estimate.quota - estimate.usage);
}

function isAnchor(clock: unknown): clock is ClockAnchor {
  if (typeof clock !== 'object' || clock === null) return false;
  const c = clock as Record<string, unknown>;
  return (
    typeof c.contextFrame === 'number' &&
    Number.isFinite(c.contextFrame) &&
    typeof c.epochMs === 'number' &&
    Number.isFinite(c.epochMs)
  );
}

const isShortText = (value: unknown, max = 200): value is string =>
  typeof value === 'string' && value.length <= max;

function checkTakeStart(take: TakeStart): TakeStart {
  if (typeof take !== 'object' || take === null || !isTakeId(take.id))
    throw new RequestError('The recorder needs a take id of letters, digits, _ or -.');
  const { studio, recordedBy } = take;
  if (
    typeof studio !== 'object' ||
    studio === null ||
    !isShortText(studio.id) ||
    !isShortText(studio.slug) ||
    !isShortText(studio.name) ||
    typeof recordedBy !== 'object' ||
    recordedBy === null ||
    !isShortText(recordedBy.userId) ||
    !isShortText(recordedBy.name)
  )
    throw new RequestError('The recorder needs the studio and the recording player.');
  return {
    id: take.id,
    name: cleanTakeName(take.name),
    studio: { id: studio.id, slug: studio.slug, name: studio.name },
    recordedBy: { userId: recordedBy.userId, name: recordedBy.name },
  };
}

function checkTrackInfo(info: TrackInfo): TrackInfo | null {
  if (typeof info !== 'object' || info === null || typeof info.id !== 'string' || !isTrackId(info.id))
    return null;
  const kindOk =
    (info.kind === 'mix' && info.id === MIX_TRACK) ||
    (info.kind === 'self' && info.id === SELF_TRACK) ||
    (info.kind === 'remote' && info.id.startsWith('u-'));
  if (!kindOk || (info.channels !== 1 && info.channels !== 2)) return null;
  if (
    !(info.userId === null || isShortText(info.userId)) ||
    !isShortText(info.name) ||
    !isShortText(info.instrument)
  )
    return null;
  return {
    id: info.id,
    kind: info.kind,
    userId: info.userId,
    name: info.name,
    instrument: info.instrument,
    channels: info.channels,
  };
}

function isChunk(chunk: SourcePcm): boolean {
  return (
    typeof chunk === 'object' &&
    chunk !== null &&
    typeof chunk.sourceKey === 'string' &&
    (chunk.captureEpochMs === null || Number.isFinite(chunk.captureEpochMs)) &&
    Number.isFinite(chunk.arrivalEpochMs) &&
    (chunk.uncertaintyMs === null || (Number.isFinite(chunk.uncertaintyMs) && chunk.uncertaintyMs >= 0)) &&
    Number.isSafeInteger(chunk.frames) &&
    chunk.frames > 0 &&
    chunk.frames <= MAX_BLOCK_FRAMES &&
    (chunk.channels === 1 || chunk.channels === 2) &&
    chunk.samples instanceof Float32Array &&
    chunk.samples.length >= chunk.frames * chunk.channels
  );
}

/**
 * Interleaved `frames` frames from `from` channels to `to` (mono → both sides; stereo → their mean),
 * into `scratch` (returned, or a larger one when it is too small).
 */
function toChannels(
  samples: Float32Array,
  from: 1 | 2,
  to: 1 | 2,
  frames: number,
  scratch: Float32Array,
): Float32Array {
  if (from === to) return samples;
  const out = scratch.length >= frames * to ? scratch : new Float32Array(frames * to);
  if (to === 2) {
    for (let i = 0; i < frames; i++) out[2 * i] = out[2 * i + 1] = samples[i]!;
  } else {
    for (let i = 0; i < frames; i++) out[i] = (samples[2 * i]! + samples[2 * i + 1]!) / 2;
  }
  return out;
}

/** Adds [start, end) to sorted, merged ranges (adjacent ranges merge). */
export function addRange(ranges: Array<[number, number]>, start: number, end: number): void {
  if (end <= start) return;
  const last = ranges.at(-1);
  if (!last || start > last[1]) {
    ranges.push([start, end]);
    return;
  }
  if (start >= last[0]) {
    last[1] = Math.max(last[1], end);
    return;
  }
  ranges.push([start, end]);
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const top = merged.at(-1);
    if (top && r[0] <= top[1]) top[1] = Math.max(top[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  ranges.splice(0, ranges.length, ...merged);
}
