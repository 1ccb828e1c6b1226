/**
 * The mixer as reactive state for the studio page. Mix values come from a MixerDoc (Yjs) through
 * `createSubscriber`; meters come from the audio engine (shared memory) through a reader called on
 * animation frames at about 30 Hz (FrameClock) while something renders them — never through Yjs.
 * The MixerDoc belongs to the session; dispose() only stops this adapter.
 */
import { createSubscriber } from 'svelte/reactivity';
import { DEFAULT_SOURCE_MIX, type MixerDoc, type MixerResult } from '../sync/mixer-doc';
import type { ChannelStripData } from '../components/ChannelStrip.svelte';
import type { MeterReading } from '../components/Meter.svelte';
import { FrameClock } from './frame-clock';

/** The mixer UI's contracts are the components' own prop types: one definition each. */
export type MeterLevel = MeterReading;
export type MixerStrip = ChannelStripData;

export interface MixerStateOptions {
  mixer: MixerDoc;
  /** The local player's user id. */
  me: string;
  /** User ids present now (read inside the getter, so a rune-backed source keeps strips reactive). */
  players?: () => readonly string[];
  /** Reads one source's current level from the engine's shared memory; null when silent/unknown. */
  meters?: (userId: string) => MeterLevel | null;
  latencyOf?: (userId: string) => number | null;
  /** How a player's audio reaches us (StudioAudio.pathOf): `off` marks its strip as stopped. */
  pathOf?: (userId: string) => string | null;
  /**
   * A present player's name and instrument as the relay attests them (from their PocketBase profile).
   * Strips show these; the player's own channel entry in the shared document is only the fallback.
   */
  identityOf?: (userId: string) => { name: string; instrument: string } | null;
}

export class MixerState {
  readonly #options: MixerStateOptions;
  readonly #subscribe: () => void;
  readonly #frame: () => void;
  readonly #frames = new FrameClock();
  #listener = $state('');
  /** A choice that fell back to our own mix (see `listener`). */
  #abandoned: string | null = null;
  #refusal = $state<string | null>(null);
  #disposed = false;

  constructor(options: MixerStateOptions) {
    this.#options = options;
    this.#listener = options.me;
    this.#subscribe = createSubscriber((update) => options.mixer.subscribe(update));
    this.#frame = createSubscriber((update) => this.#frames.subscribe(update));
  }

  /**
   * Whose personal mix is shown and edited (engineers and owners may pick another player). Falls back
   * to our own once the chosen player is no longer present or we may no longer edit others, so the
   * panel never shows (or edits) the mix of someone the "Mix for" list cannot name. The fallback
   * sticks until the next choice: a player who comes back must not silently take over the panel
   * while we edit our own mix. (Remembered in a plain field: a getter may not write $state.)
   */
  get listener(): string {
    const chosen = this.#listener;
    const { me, players, mixer } = this.#options;
    if (chosen === me || chosen === this.#abandoned) return me;
    this.#subscribe();
    if (!mixer.canEditOthers || (players && !players().includes(chosen))) {
      this.#abandoned = chosen;
      return me;
    }
    return chosen;
  }
  set listener(userId: string) {
    this.#abandoned = null;
    this.#listener = userId;
  }

  get canEditOthers(): boolean {
    this.#subscribe();
    return this.#options.mixer.canEditOthers;
  }

  /** One strip per player heard by the listener (everyone present but the listener). */
  get strips(): MixerStrip[] {
    if (this.#disposed) return [];
    this.#subscribe();
    const { mixer, players, latencyOf, pathOf, identityOf } = this.#options;
    const listener = this.listener;
    const mix = mixer.mixFor(listener);
    const channels = mixer.channels();
    const ids = players ? players() : channels.map((c) => c.userId);
    return ids
      .filter((id, i) => id !== listener && ids.indexOf(id) === i)
      .map((userId) => {
        const channel = channels.find((c) => c.userId === userId);
        const attested = identityOf?.(userId);
        return {
          userId,
          name: attested?.name || channel?.name || userId,
          instrument: attested ? attested.instrument : (channel?.instrument ?? ''),
          colour: channel?.colour ?? '#7f8aa3',
          ...DEFAULT_SOURCE_MIX,
          ...mix.sources[userId],
          latencyMs: latencyOf?.(userId) ?? null,
          audioOff: pathOf?.(userId) === 'off',
        };
      });
  }

  get monitor(): number {
    this.#subscribe();
    return this.#options.mixer.mixFor(this.listener).monitor;
  }

  get master(): number {
    this.#subscribe();
    return this.#options.mixer.mixFor(this.listener).master;
  }

  /** The last refused change, in words; cleared by the next accepted one. */
  get refusal(): string | null {
    return this.#refusal;
  }

  /** Current level of one source; re-read on animation frames at about 30 Hz while rendered. */
  meter(userId: string): MeterLevel | null {
    if (this.#disposed) return null;
    this.#frame();
    return this.#options.meters?.(userId) ?? null;
  }

  setGain(source: string, db: number): boolean {
    return this.#do((m, l) => m.setGain(l, source, db));
  }
  setPan(source: string, pan: number): boolean {
    return this.#do((m, l) => m.setPan(l, source, pan));
  }
  setMute(source: string, mute: boolean): boolean {
    return this.#do((m, l) => m.setMute(l, source, mute));
  }
  setSolo(source: string, solo: boolean): boolean {
    return this.#do((m, l) => m.setSolo(l, source, solo));
  }
  setMonitor(db: number): boolean {
    return this.#do((m, l) => m.setMonitor(l, db));
  }
  setMaster(db: number): boolean {
    return this.#do((m, l) => m.setMaster(l, db));
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#frames.dispose();
  }

  #do(change: (mixer: MixerDoc, listener: string) => MixerResult): boolean {
    if (this.#disposed) return false;
    const result = change(this.#options.mixer, this.listener);
    this.#refusal = result.ok ? null : result.message;
    return result.ok;
  }
}
