/**
 * Recording in a studio visit as reactive state for the components: the session's status and who
 * records (from its 'change' event), the take list and the storage figures (refreshed after each take
 * and while recording), the studio's recording policy, and what the take list can do (TakesActions:
 * the session's takes, the mix played from disk, the upload to PocketBase). Wraps a RecordingSession;
 * does not own it (the studio session does).
 */
import { createSubscriber } from 'svelte/reactivity';
import type { RecordingPolicy, RecordingView, TakesActions, TrackFacts } from '../components/recording/types';
import type { TypedPocketBase } from '../pb/client';
import { RECORDING_SAMPLE_RATE, type StorageInfo, type TakeSummary } from '../protocol/recording';
import { isRecordingPolicy } from '../protocol/ticket';
import { uploadTake } from '../recording/upload';
import {
  freeBytes,
  type Recorder,
  type RecordingSession,
  type RecordingStatus,
} from '../session/recording-session';
import { mixPlaybackBlob } from '../session/take-playback';

/** Below this many minutes of recording left, a warning shows before a take. */
export const LOW_STORAGE_MINUTES = 10;

export class RecordingRoom implements RecordingView {
  readonly session: RecordingSession;
  readonly #subscribe: () => void;
  readonly #players: () => number;
  readonly #selfChannels: () => 1 | 2;
  #takes = $state<TakeSummary[]>([]);
  #takesLoaded = $state(false);
  #takesError = $state<string | null>(null);
  #storage = $state<StorageInfo | null>(null);
  #policy = $state<RecordingPolicy | null>(null);
  #lastMayRecord: boolean;
  #uploads = $state(0);
  readonly #pb: TypedPocketBase | null;
  readonly #studioId: string;
  readonly actions: TakesActions;
  readonly #offs: Array<() => void> = [];
  #storageTimer: ReturnType<typeof setInterval> | null = null;
  #disposed = false;

  constructor(
    session: RecordingSession,
    options: {
      players: () => number;
      selfChannels?: () => 1 | 2;
      /** For the policy and uploads; null: neither (the panel says so). */
      pb: TypedPocketBase | null;
      studioId: string;
    },
  ) {
    this.session = session;
    this.#pb = options.pb;
    this.#studioId = options.studioId;
    this.actions = this.#buildActions();
    this.#lastMayRecord = session.status.mayRecord;
    this.#players = options.players;
    this.#selfChannels = options.selfChannels ?? (() => 1);
    this.#subscribe = createSubscriber((update) => session.events.on('change', update));
    this.#offs.push(
      session.events.on('take-ended', () => void this.refresh()),
      session.events.on('change', () => {
        // Our permission changed: the owner changed the policy (or our role); show the new one.
        if (session.status.mayRecord !== this.#lastMayRecord) {
          this.#lastMayRecord = session.status.mayRecord;
          void this.loadPolicy();
        }
        // While recording, storage shrinks: re-read it every few seconds (the estimate is cheap).
        const running = session.status.phase === 'recording';
        // The take being recorded shows in the list at once.
        if (running && !this.#storageTimer) void this.refreshTakes();
        if (running && !this.#storageTimer) {
          this.#storageTimer = setInterval(() => void this.refreshStorage(), 5000);
        } else if (!running && this.#storageTimer) {
          clearInterval(this.#storageTimer);
          this.#storageTimer = null;
        }
      }),
    );
  }

  get status(): RecordingStatus {
    this.#subscribe();
    return this.session.status;
  }

  get recorders(): Recorder[] {
    this.#subscribe();
    return this.session.recorders();
  }

  get takes(): TakeSummary[] {
    return this.#takes;
  }

  /** False until the first list arrived (the panel says "Looking for takes…" meanwhile). */
  get takesLoaded(): boolean {
    return this.#takesLoaded;
  }

  get takesError(): string | null {
    return this.#takesError;
  }

  get storage(): StorageInfo | null {
    return this.#storage;
  }

  get freeBytes(): number | null {
    return this.#storage ? freeBytes(this.#storage) : null;
  }

  /** About how many minutes of recording the free storage holds with the players present now. */
  get minutesLeft(): number | null {
    const free = this.freeBytes;
    return free === null ? null : minutesLeft(free, this.#players(), this.#selfChannels());
  }

  get lowStorage(): boolean {
    const minutes = this.minutesLeft;
    return minutes !== null && minutes < LOW_STORAGE_MINUTES;
  }

  /** Starts a take with fresh storage figures; a refusal is in `status.problem` (shown by the button). */
  async start(): Promise<void> {
    await this.refreshStorage();
    try {
      await this.session.start();
    } catch {
      // RecordingRefused: status.problem says why.
    }
  }

  async stop(): Promise<void> {
    await this.session.stop();
  }

  /** Re-reads the take list and the storage figures. */
  async refresh(): Promise<void> {
    await Promise.all([this.refreshTakes(), this.refreshStorage()]);
  }

  async refreshTakes(): Promise<void> {
    try {
      const takes = await this.session.list();
      if (this.#disposed) return;
      this.#takes = [...takes].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      this.#takesError = null;
    } catch (error) {
      if (!this.#disposed) this.#takesError = error instanceof Error ? error.message : String(error);
    } finally {
      if (!this.#disposed) this.#takesLoaded = true;
    }
  }

  async refreshStorage(): Promise<void> {
    try {
      const storage = await this.session.storage();
      if (!this.#disposed) this.#storage = storage;
    } catch {
      // Storage figures are advice; the recorder itself stops a take that runs out.
    }
  }

  /** Uploads finished in this visit: the studio's list of uploaded takes reloads when it changes. */
  get uploads(): number {
    return this.#uploads;
  }

  /** The studio's "Recording allowed"; null until read (or when it cannot be). */
  get policy(): RecordingPolicy | null {
    return this.#policy;
  }

  async loadPolicy(): Promise<void> {
    if (!this.#pb) return;
    try {
      const studio = await this.#pb
        .collection('studios')
        .getOne(this.#studioId, { fields: 'recordingAllowed', requestKey: null });
      if (!this.#disposed)
        this.#policy = isRecordingPolicy(studio.recordingAllowed) ? studio.recordingAllowed : 'everyone';
    } catch {
      // Shown as "unknown"; the relay enforces the policy either way.
    }
  }

  /** The owner's choice, saved to PocketBase (which tells the relay; it applies it to the room). */
  async setPolicy(policy: RecordingPolicy): Promise<void> {
    if (!this.#pb) throw new Error('Not connected to the server.');
    await this.#pb
      .collection('studios')
      .update(this.#studioId, { recordingAllowed: policy }, { requestKey: null });
    if (!this.#disposed) this.#policy = policy;
  }

  #buildActions(): TakesActions {
    const session = this.session;
    const pb = this.#pb;
    const studioId = this.#studioId;
    return {
      rename: (id, name) => session.rename(id, name),
      delete: (id) => session.delete(id),
      recover: (id) => session.recover(id),
      tracks: async (id): Promise<TrackFacts[]> =>
        (await session.manifest(id)).tracks.map((t) => ({
          name: t.name,
          kind: t.kind,
          frames: t.frames,
          aligned: t.aligned,
        })),
      export: (id, choice, onProgress, signal) => session.export(id, choice, onProgress, signal),
      playback: async (id) => {
        const manifest = await session.manifest(id);
        const root = await navigator.storage.getDirectory();
        return mixPlaybackBlob(manifest, root);
      },
      upload: pb
        ? async (request) => {
            const uploaded = await uploadTake(pb, {
              studioId,
              takeId: request.takeId,
              kind: request.kind,
              name: request.name,
              durationFrames: request.durationFrames,
              file: request.file,
              onProgress: request.onProgress,
              signal: request.signal,
            });
            if (!this.#disposed) this.#uploads++;
            return uploaded;
          }
        : null,
    };
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const off of this.#offs) off();
    if (this.#storageTimer) clearInterval(this.#storageTimer);
  }
}

/**
 * Roughly how long one can still record with `free` bytes: a take writes 32-bit float at 48 kHz, a
 * stereo mix plus one stem per player (the microphone's channels, stereo for each remote player).
 */
export function minutesLeft(free: number, players: number, selfChannels: 1 | 2 = 1): number {
  const channels = 2 + selfChannels + 2 * Math.max(0, players - 1);
  return Math.floor(free / (channels * 4 * RECORDING_SAMPLE_RATE * 60));
}
