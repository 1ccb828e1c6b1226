/**
 * The metronome as reactive state for the studio page. Tempo, bar and who controls it come from the
 * MetronomeDoc (Yjs) through `createSubscriber`; the beat shown is computed from the shared timeline on
 * animation frames (FrameClock, about 30 Hz) while something renders it. The doc and the player belong
 * to the session; dispose() only stops this adapter.
 */
import { createSubscriber } from 'svelte/reactivity';
import type { MetronomeEditors, MetronomeDoc, Transport } from '../sync/metronome-doc';
import type { MixerResult } from '../sync/mixer-doc';
import type { MetronomePlayer } from '../session/metronome-player';
import type { MetronomeView } from '../components/MetronomePanel.svelte';
import { FrameClock } from './frame-clock';

const CLICK_KEY = 'bandmesh.metronome.clickDb';

/** Where the shared timeline is now, for the beat indicator. */
export interface BeatPosition {
  /** 1-based beat within the bar (or within the count-in bar). */
  beat: number;
  /** 1-based bar; 0 during the count-in. */
  bar: number;
  countIn: boolean;
}

export class MetronomeState implements MetronomeView {
  readonly #doc: MetronomeDoc;
  readonly #player: MetronomePlayer;
  readonly #subscribe: () => void;
  readonly #frame: () => void;
  readonly #frames = new FrameClock();
  #clickDb = $state(0);
  #refusal = $state<string | null>(null);

  readonly #storage: Storage | null;

  constructor(options: { doc: MetronomeDoc; player: MetronomePlayer; storage?: Storage | null }) {
    this.#doc = options.doc;
    this.#player = options.player;
    this.#storage = options.storage ?? null;
    // The click level is this player's own, so this browser remembers it (like the audio settings).
    const saved = Number(this.#storage?.getItem(CLICK_KEY) ?? Number.NaN);
    if (Number.isFinite(saved)) options.player.setClickDb(saved);
    this.#clickDb = options.player.clickDb;
    this.#subscribe = createSubscriber((update) => options.doc.subscribe(update));
    this.#frame = createSubscriber((update) => this.#frames.subscribe(update));
  }

  get transport(): Transport {
    this.#subscribe();
    return this.#doc.transport;
  }
  get editors(): MetronomeEditors {
    this.#subscribe();
    return this.#doc.editors;
  }
  get canEdit(): boolean {
    this.#subscribe();
    return this.#doc.canEdit;
  }
  get canSetEditors(): boolean {
    this.#subscribe();
    return this.#doc.canSetEditors;
  }
  get clickDb(): number {
    return this.#clickDb;
  }
  get refusal(): string | null {
    return this.#refusal;
  }

  /** The beat playing now; null while stopped or before the count-in. Re-read on animation frames. */
  get position(): BeatPosition | null {
    this.#frame();
    const t = this.transport;
    const beat = this.#player.beatNow();
    if (beat === null || beat < -t.beatsPerBar) return null;
    const whole = Math.floor(beat);
    const inBar = ((whole % t.beatsPerBar) + t.beatsPerBar) % t.beatsPerBar;
    return {
      beat: inBar + 1,
      bar: whole < 0 ? 0 : Math.floor(whole / t.beatsPerBar) + 1,
      countIn: whole < 0,
    };
  }

  /** Whether our offset to the timeline's clock is measured (else the click may be off by a few ms). */
  get synced(): boolean {
    this.#frame();
    return this.#player.synced;
  }

  start(): void {
    this.#show(this.#doc.start());
  }
  stop(): void {
    this.#show(this.#doc.stop());
  }
  setTempo(bpm: number): void {
    this.#show(this.#doc.setTempo(bpm));
  }
  setBeatsPerBar(beats: number): void {
    this.#show(this.#doc.setBeatsPerBar(beats));
  }
  setEditors(editors: MetronomeEditors): void {
    this.#show(this.#doc.setEditors(editors));
  }
  setClickDb(db: number): void {
    this.#player.setClickDb(db);
    this.#clickDb = this.#player.clickDb;
    this.#storage?.setItem(CLICK_KEY, String(this.#clickDb));
  }

  dispose(): void {
    this.#frames.dispose();
  }

  #show(result: MixerResult): void {
    this.#refusal = result.ok ? null : result.message;
  }
}
