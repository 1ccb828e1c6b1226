/**
 * Plays the studio's metronome here: maps the shared timeline (sync/metronome-doc.ts, on its writer's
 * clock) onto our AudioContext's frames through that writer's clock offset (shared-clock.ts) and our
 * context's played-time mapping (audio/context-clock.ts), and hands the playback worklet the result,
 * which renders each click on its frame (worklet/dsp/click.ts). Both inputs move slowly, so the mapping
 * is resent whenever the timeline, the clock estimates (once a second) or the engine change. The click
 * level is this player's own, like the rest of the personal mix.
 */
import { Emitter } from '../util/emitter';
import { beatAt, type MetronomeDoc } from '../sync/metronome-doc';
import { dbToGain } from './audio-settings';
import type { SharedClock } from './shared-clock';

/** What the player needs of the audio engine (AudioEngine implements it). */
export interface MetronomeEngine {
  readonly context: { readonly sampleRate: number };
  playedFrameAt(epochMs: number): number;
  setMetronome(message: {
    running: boolean;
    beatZeroFrame: number;
    framesPerBeat: number;
    beatsPerBar: number;
    firstBeat: number;
    gain: number;
  }): void;
  readonly events: {
    on(type: 'click', listener: (click: { beat: number; epochMs: number }) => void): () => void;
  };
}

export const CLICK_DB_MIN = -60;
export const CLICK_DB_MAX = 6;

export interface MetronomePlayerEvents extends Record<string, unknown> {
  /** Benchmark: a click started; `sharedMs` is when it is heard, on the timeline's clock. */
  click: { beat: number; sharedMs: number };
}

export class MetronomePlayer {
  readonly events = new Emitter<MetronomePlayerEvents>();
  readonly #doc: Pick<MetronomeDoc, 'transport'>;
  readonly #clock: SharedClock;
  readonly #engine: () => MetronomeEngine | null;
  readonly #now: () => number;
  #clickDb = -6;
  #attached: MetronomeEngine | null = null;
  #offClick: (() => void) | null = null;
  #disposed = false;

  constructor(options: {
    /** The timeline (MetronomeDoc: only its validated transport is read). */
    doc: Pick<MetronomeDoc, 'transport'>;
    clock: SharedClock;
    engine: () => MetronomeEngine | null;
    /** Our epoch clock, ms. */
    now?: () => number;
  }) {
    this.#doc = options.doc;
    this.#clock = options.clock;
    this.#engine = options.engine;
    this.#now = options.now ?? (() => performance.timeOrigin + performance.now());
  }

  get clickDb(): number {
    return this.#clickDb;
  }

  setClickDb(db: number): void {
    if (!Number.isFinite(db)) return;
    this.#clickDb = Math.min(CLICK_DB_MAX, Math.max(CLICK_DB_MIN, db));
    this.refresh();
  }

  /** Whether we know the offset to the clock the timeline is on (else our own clock stands in for it). */
  get synced(): boolean {
    const clock = this.#doc.transport.clock;
    return clock === '' || this.#clock.offsetOf(clock) !== null;
  }

  /** The timeline's clock − ours (ms); 0 while unknown. */
  #offset(): number {
    const clock = this.#doc.transport.clock;
    return clock === '' ? 0 : (this.#clock.offsetOf(clock) ?? 0);
  }

  /** The beat now (fractional, negative during the count-in); null while stopped. */
  beatNow(): number | null {
    const t = this.#doc.transport;
    return t.running ? beatAt(t, this.#now() + this.#offset()) : null;
  }

  /** Sends the timeline, as it maps onto our frames now, to the playback worklet (if audio is on). */
  refresh(): void {
    if (this.#disposed) return;
    const engine = this.#engine();
    this.#attach(engine);
    if (!engine) return;
    const t = this.#doc.transport;
    const sr = engine.context.sampleRate;
    // Beat 0 on the timeline's clock, then on ours, then as the context frame heard at that moment.
    const beatZeroMs = t.timeOrigin - (t.beatOrigin * 60_000) / t.bpm - this.#offset();
    engine.setMetronome({
      running: t.running,
      beatZeroFrame: t.running ? engine.playedFrameAt(beatZeroMs) : 0,
      framesPerBeat: (sr * 60) / t.bpm,
      beatsPerBar: t.beatsPerBar,
      firstBeat: -t.beatsPerBar,
      gain: this.#clickDb <= CLICK_DB_MIN ? 0 : dbToGain(this.#clickDb),
    });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#attach(null);
    this.events.clear();
  }

  #attach(engine: MetronomeEngine | null): void {
    if (engine === this.#attached) return;
    this.#offClick?.();
    this.#offClick = null;
    this.#attached = engine;
    if (engine)
      this.#offClick = engine.events.on('click', ({ beat, epochMs }) =>
        this.events.emit('click', { beat, sharedMs: epochMs + this.#offset() }),
      );
  }
}
