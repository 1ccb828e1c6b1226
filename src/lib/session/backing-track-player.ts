/**
 * Plays the studio's backing track here. When the shared transport (sync/backing-track-doc.ts) names a
 * track, this player downloads it (a member's file token), decodes it with the AudioContext
 * (decodeAudioData also resamples it to the context's rate) and hands the channels to the playback
 * worklet once; then it maps the transport onto our frames through the writer's clock offset
 * (shared-clock.ts) and our context's played-time mapping, like the metronome (metronome-player.ts),
 * and resends that mapping as the estimates move. The track's level and mute come from our personal
 * mix in the mixer doc (source BACKING_TRACK_SOURCE), like a player's strip.
 */
import { BACKING_MAX_FRAMES } from '../protocol/audio-worklet';
import type { BackingTransport } from '../sync/backing-track-doc';
import { Emitter } from '../util/emitter';
import { dbToGain } from './audio-settings';
import type { SharedClock } from './shared-clock';

/** What the player needs of the audio engine (AudioEngine implements it). */
export interface BackingEngine {
  readonly context: {
    readonly sampleRate: number;
    decodeAudioData(data: ArrayBuffer): Promise<AudioBuffer>;
  };
  playedFrameAt(epochMs: number): number;
  loadBackingTrack(id: number, channels: Float32Array[]): void;
  setBackingTrack(message: {
    id: number;
    playing: boolean;
    startFrame: number;
    fromFrame: number;
    gain: number;
  }): void;
  backingLevel(): { peak: number; rms: number };
  readonly events: {
    on(
      type: 'backing-started',
      listener: (e: { id: number; fromFrame: number; epochMs: number }) => void,
    ): () => void;
  };
}

export type BackingLoad =
  | { kind: 'none' }
  | { kind: 'loading'; trackId: string }
  | { kind: 'ready'; trackId: string; durationMs: number }
  | { kind: 'error'; trackId: string; message: string };

export interface BackingTrackPlayerEvents extends Record<string, unknown> {
  load: BackingLoad;
  /** Benchmark: position `fromMs` of the track started sounding at `sharedMs` on the timeline's clock. */
  started: { trackId: string; fromMs: number; sharedMs: number };
}

/** At or below this the track is off (the mixer's floor). */
export const TRACK_DB_MIN = -60;

export class BackingTrackPlayer {
  readonly events = new Emitter<BackingTrackPlayerEvents>();
  readonly #doc: { readonly transport: BackingTransport };
  readonly #clock: SharedClock;
  readonly #engine: () => BackingEngine | null;
  readonly #download: ((trackId: string) => Promise<ArrayBuffer>) | null;
  readonly #mix: () => { gainDb: number; mute: boolean };
  #load: BackingLoad = { kind: 'none' };
  /** The downloaded file (kept: a new AudioContext after an audio restart decodes it again). */
  #bytes: { trackId: string; data: ArrayBuffer } | null = null;
  /** What the worklet of which engine holds, under which id. */
  #loaded: { engine: BackingEngine; trackId: string; id: number } | null = null;
  #decoding: BackingEngine | null = null;
  #nextId = 1;
  #attached: BackingEngine | null = null;
  #offStarted: (() => void) | null = null;
  #disposed = false;

  constructor(options: {
    doc: { readonly transport: BackingTransport };
    clock: SharedClock;
    engine: () => BackingEngine | null;
    /** The track's file (authorised download); null: tracks cannot be fetched in this visit. */
    download: ((trackId: string) => Promise<ArrayBuffer>) | null;
    /** The track's strip in our personal mix (MixerDoc); read at every refresh. */
    mix: () => { gainDb: number; mute: boolean };
  }) {
    this.#doc = options.doc;
    this.#clock = options.clock;
    this.#engine = options.engine;
    this.#download = options.download;
    this.#mix = options.mix;
  }

  get load(): BackingLoad {
    return this.#load;
  }
  /** Whether we know the offset to the clock the transport is on (else ours stands in for it). */
  get synced(): boolean {
    const clock = this.#doc.transport.clock;
    return clock === '' || this.#clock.offsetOf(clock) !== null;
  }

  /** The track as we hear it now; zeros while audio is off. */
  level(): { peak: number; rms: number } {
    return this.#engine()?.backingLevel() ?? { peak: 0, rms: 0 };
  }

  /** Forgets a failed load, so the next refresh tries again (the person chose the track again). */
  retry(): void {
    if (this.#load.kind === 'error') this.#setLoad({ kind: 'none' });
    this.refresh();
  }

  /** Loads what the transport names, then sends its mapping onto our frames to the worklet. */
  refresh(): void {
    if (this.#disposed) return;
    const engine = this.#engine();
    this.#attach(engine);
    const t = this.#doc.transport;
    // A failed download or decode is not retried on every refresh: choosing the track again retries.
    const failed = this.#load.kind === 'error' && this.#load.trackId === t.trackId;
    if (t.trackId !== '' && this.#bytes?.trackId !== t.trackId && this.#load.kind !== 'loading' && !failed)
      void this.#fetch(t.trackId);
    if (!engine) return;
    const loaded = this.#loaded;
    if (!loaded || loaded.engine !== engine || loaded.trackId !== t.trackId) {
      if (this.#bytes?.trackId === t.trackId && this.#decoding !== engine && !failed)
        void this.#decode(engine, this.#bytes);
      engine.setBackingTrack({ id: 0, playing: false, startFrame: 0, fromFrame: 0, gain: 0 });
      return;
    }
    const sr = engine.context.sampleRate;
    const mix = this.#mix();
    const offset = t.clock === '' ? 0 : (this.#clock.offsetOf(t.clock) ?? 0);
    engine.setBackingTrack({
      id: loaded.id,
      playing: t.playing,
      // startAt on the writer's clock, then on ours, then as the context frame heard at that moment.
      startFrame: t.playing ? Math.round(engine.playedFrameAt(t.startAt - offset)) : 0,
      fromFrame: Math.round((t.fromMs * sr) / 1000),
      gain: mix.mute || mix.gainDb <= TRACK_DB_MIN ? 0 : dbToGain(mix.gainDb),
    });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#attach(null);
    this.#bytes = null;
    this.#loaded = null;
    this.events.clear();
  }

  #setLoad(load: BackingLoad): void {
    this.#load = load;
    this.events.emit('load', load);
  }

  async #fetch(trackId: string): Promise<void> {
    if (!this.#download)
      return this.#setLoad({ kind: 'error', trackId, message: 'Backing tracks cannot be loaded here.' });
    this.#setLoad({ kind: 'loading', trackId });
    try {
      const data = await this.#download(trackId);
      if (this.#disposed) return;
      this.#bytes = { trackId, data };
      this.refresh();
    } catch (error) {
      if (this.#disposed) return;
      this.#setLoad({
        kind: 'error',
        trackId,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async #decode(engine: BackingEngine, bytes: { trackId: string; data: ArrayBuffer }): Promise<void> {
    this.#decoding = engine;
    try {
      // decodeAudioData detaches what it is given: decode a copy, keep the file for a later context.
      const audio = await engine.context.decodeAudioData(bytes.data.slice(0));
      if (this.#disposed || this.#engine() !== engine) return;
      if (audio.length > BACKING_MAX_FRAMES * (engine.context.sampleRate / 48_000))
        throw new Error('This track is longer than 20 minutes, more than a player can hold in memory.');
      const channels: Float32Array[] = [];
      for (let c = 0; c < Math.min(2, audio.numberOfChannels); c++) {
        const data = new Float32Array(audio.length);
        audio.copyFromChannel(data, c);
        channels.push(data);
      }
      const id = this.#nextId++;
      engine.loadBackingTrack(id, channels);
      this.#loaded = { engine, trackId: bytes.trackId, id };
      this.#setLoad({
        kind: 'ready',
        trackId: bytes.trackId,
        durationMs: (audio.length / audio.sampleRate) * 1000,
      });
      this.refresh();
    } catch (error) {
      if (this.#disposed) return;
      const message =
        error instanceof Error && error.message.startsWith('This track')
          ? error.message
          : 'This browser could not decode the track.';
      this.#setLoad({ kind: 'error', trackId: bytes.trackId, message });
    } finally {
      if (this.#decoding === engine) this.#decoding = null;
    }
  }

  #attach(engine: BackingEngine | null): void {
    if (engine === this.#attached) return;
    this.#offStarted?.();
    this.#offStarted = null;
    this.#attached = engine;
    if (engine)
      this.#offStarted = engine.events.on('backing-started', ({ id, fromFrame, epochMs }) => {
        const loaded = this.#loaded;
        if (!loaded || loaded.id !== id) return;
        const clock = this.#doc.transport.clock;
        const offset = clock === '' ? 0 : (this.#clock.offsetOf(clock) ?? 0);
        this.events.emit('started', {
          trackId: loaded.trackId,
          fromMs: (fromFrame * 1000) / engine.context.sampleRate,
          sharedMs: epochMs + offset,
        });
      });
  }
}
