/**
 * The studio's backing tracks as reactive state for BackingTrackPanel: the list in PocketBase (upload
 * with progress, delete), the shared transport (BackingTrackDoc, through `createSubscriber`), our
 * playback's load state (BackingTrackPlayer), the track's strip in our mix (MixerDoc: level, mute),
 * and the position and meter re-read on
 * animation frames while shown. The doc and the player belong to the session; dispose() stops this adapter.
 */
import type PocketBase from 'pocketbase';
import { createSubscriber } from 'svelte/reactivity';
import type {
  BackingTrackItem,
  BackingTrackView,
  TrackProblem,
} from '../components/BackingTrackPanel.svelte';
import {
  BackingTrackError,
  deleteBackingTrack,
  listBackingTracks,
  megabytes,
  uploadBackingTrack,
} from '../pb/backing-tracks';
import type { BackingTracksRecord } from '../pb/types';
import type { BackingLoad, BackingTrackPlayer } from '../session/backing-track-player';
import { BACKING_TRACK_SOURCE, type BackingTrackDoc, type BackingTransport } from '../sync/backing-track-doc';
import { DEFAULT_SOURCE_MIX, type MixerDoc, type MixerResult } from '../sync/mixer-doc';
import { FrameClock } from './frame-clock';

export class BackingTrackState implements BackingTrackView {
  readonly #pb: PocketBase;
  readonly #studioId: string;
  readonly #doc: BackingTrackDoc;
  readonly #player: BackingTrackPlayer;
  readonly #me: { userId: string; role: () => string };
  readonly #nameOf: (userId: string) => string | null;
  readonly #mixer: MixerDoc;
  readonly #subscribe: () => void;
  readonly #subscribeMix: () => void;
  readonly #frame: () => void;
  readonly #frames = new FrameClock();
  #records = $state<BackingTracksRecord[]>([]);
  #listError = $state<string | null>(null);
  #upload = $state<{ name: string; fraction: number } | null>(null);
  #problem = $state<TrackProblem | null>(null);
  #refusal = $state<string | null>(null);
  #load = $state<BackingLoad>({ kind: 'none' });
  #offLoad: () => void;
  #unsubscribe: (() => Promise<void>) | null = null;
  #disposed = false;

  constructor(options: {
    pb: PocketBase;
    studioId: string;
    doc: BackingTrackDoc;
    player: BackingTrackPlayer;
    /** Our user id, and our attested role now (it can change during the visit). */
    me: { userId: string; role: () => string };
    /** A present or known member's name, for "started by" and "by" (null: not known). */
    nameOf: (userId: string) => string | null;
    /** Our mix holds the track's strip (source BACKING_TRACK_SOURCE). */
    mixer: MixerDoc;
  }) {
    this.#pb = options.pb;
    this.#studioId = options.studioId;
    this.#doc = options.doc;
    this.#player = options.player;
    this.#me = options.me;
    this.#nameOf = options.nameOf;
    this.#mixer = options.mixer;
    this.#subscribeMix = createSubscriber((update) => options.mixer.subscribe(update));
    this.#load = options.player.load;
    this.#offLoad = options.player.events.on('load', (load) => (this.#load = load));
    this.#subscribe = createSubscriber((update) => options.doc.subscribe(update));
    this.#frame = createSubscriber((update) => this.#frames.subscribe(update));
    void this.refresh();
    void this.#follow();
  }

  /** Others' uploads and deletions, through PocketBase's realtime (it applies the same view rule). */
  async #follow(): Promise<void> {
    try {
      const off = await this.#pb.collection('backing_tracks').subscribe('*', () => void this.refresh(), {
        filter: this.#pb.filter('studio = {:studio}', { studio: this.#studioId }),
      });
      if (this.#disposed) void off();
      else this.#unsubscribe = off;
    } catch (error) {
      // Without realtime the list still refreshes after our own changes; say why it may lag.
      if (!this.#disposed) this.#listError = error instanceof Error ? error.message : String(error);
    }
  }

  get tracks(): BackingTrackItem[] {
    const role = this.#me.role();
    return this.#records.map((r) => ({
      id: r.id,
      title: r.title,
      durationMs: r.durationMs,
      uploaderName: this.#nameOf(r.uploader),
      canDelete: r.uploader === this.#me.userId || role === 'owner' || role === 'engineer',
    }));
  }
  /** The title of the track the transport names (null: none, or not in the list yet); not reactive. */
  get transportTitle(): string | null {
    const id = this.#doc.transport.trackId;
    return id ? (this.#records.find((r) => r.id === id)?.title ?? null) : null;
  }
  get listError(): string | null {
    return this.#listError;
  }
  get upload(): { name: string; fraction: number } | null {
    return this.#upload;
  }
  get problem(): TrackProblem | null {
    return this.#problem;
  }
  get refusal(): string | null {
    return this.#refusal;
  }
  get transport(): BackingTransport {
    this.#subscribe();
    return this.#doc.transport;
  }
  get canControl(): boolean {
    this.#subscribe();
    return this.#doc.canControl;
  }
  /** Who last started, moved or stopped the track (the transport's attested writer). */
  get changedBy(): string | null {
    const clock = this.transport.clock;
    return clock === '' ? null : (this.#nameOf(clock) ?? '');
  }
  get load(): BackingLoad {
    return this.#load;
  }
  get levelDb(): number {
    return this.#strip().gain;
  }
  get muted(): boolean {
    return this.#strip().mute;
  }
  /** Position now (ms), re-read on animation frames. */
  get positionMs(): number {
    this.#frame();
    this.#subscribe();
    return Math.max(0, this.#doc.positionNow());
  }
  get synced(): boolean {
    this.#frame();
    return this.#player.synced;
  }
  level(): { peak: number; rms: number } {
    this.#frame();
    return this.#player.level();
  }

  async refresh(): Promise<void> {
    try {
      const records = await listBackingTracks(this.#pb, this.#studioId);
      if (this.#disposed) return;
      this.#records = records;
      this.#listError = null;
    } catch (error) {
      if (!this.#disposed) this.#listError = error instanceof Error ? error.message : String(error);
    }
  }

  async add(file: File, title: string): Promise<void> {
    if (this.#upload) return;
    this.#problem = null;
    this.#upload = { name: file.name, fraction: 0 };
    try {
      await uploadBackingTrack(this.#pb, {
        studioId: this.#studioId,
        title: title || file.name.replace(/\.[^.]+$/, ''),
        file,
        onProgress: (fraction) => {
          if (this.#upload) this.#upload = { name: file.name, fraction };
        },
      });
      await this.refresh();
    } catch (error) {
      this.#problem = problemOf(error, file.size);
    } finally {
      this.#upload = null;
    }
  }

  async remove(id: string): Promise<void> {
    this.#problem = null;
    try {
      await deleteBackingTrack(this.#pb, id);
      await this.refresh();
    } catch (error) {
      this.#problem = problemOf(error, 0);
    }
  }

  play(trackId: string, fromMs = 0): void {
    if (this.#load.kind === 'error' && this.#load.trackId === trackId) this.#player.retry();
    this.#show(this.#doc.play(trackId, fromMs));
  }
  stop(): void {
    this.#show(this.#doc.stop());
  }
  seek(ms: number): void {
    this.#show(this.#doc.seek(Math.max(0, Math.round(ms))));
  }
  setLevelDb(db: number): void {
    this.#show(this.#mixer.setGain(this.#me.userId, BACKING_TRACK_SOURCE, db));
  }
  setMuted(muted: boolean): void {
    this.#show(this.#mixer.setMute(this.#me.userId, BACKING_TRACK_SOURCE, muted));
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#offLoad();
    void this.#unsubscribe?.();
    this.#frames.dispose();
  }

  #strip() {
    this.#subscribeMix();
    return this.#mixer.mixFor(this.#me.userId).sources[BACKING_TRACK_SOURCE] ?? DEFAULT_SOURCE_MIX;
  }

  #show(result: MixerResult): void {
    this.#refusal = result.ok ? null : result.message;
  }
}

function problemOf(error: unknown, size: number): TrackProblem {
  if (error instanceof BackingTrackError)
    return { code: error.code, message: error.message, size: megabytes(size) };
  return {
    code: 'failed',
    message: error instanceof Error ? error.message : String(error),
    size: megabytes(size),
  };
}
