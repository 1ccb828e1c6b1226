/**
 * One studio visit as reactive state for the studio page: presence, relay connection and errors.
 * It owns the session it is given and disposes it.
 */
import { createSubscriber } from 'svelte/reactivity';
import type { SignalingState } from '../net/signaling-client';
import type { StudioSession } from '../session/studio-session';
import { AudioRoom } from './audio-room.svelte';
import { MixerState } from './mixer.svelte';

export interface PresentPlayer {
  key: string;
  userId: string;
  name: string;
  instrument: string;
  role: string;
  self: boolean;
  /** How this player's audio reaches us ('opus', 'pcm' over the data channel, or 'track'), once it does. */
  path: string | null;
}

export class StudioRoom {
  readonly #session: StudioSession;
  readonly #subscribe: () => void;
  readonly audio: AudioRoom;
  readonly mixer: MixerState;
  #error = $state<{ message: string; fatal: boolean } | null>(null);
  #connection = $state<{ state: SignalingState; detail?: string }>({ state: 'connecting' });

  constructor(session: StudioSession, options: { me: string; storage?: Storage | null }) {
    this.#session = session;
    this.#subscribe = createSubscriber((update) => session.events.on('presence', update));
    this.audio = new AudioRoom(session.audio, { storage: options.storage ?? null });
    this.mixer = new MixerState({
      mixer: session.mixer,
      me: options.me,
      // Everyone present: MixerState leaves out whoever's mix is shown (not necessarily us).
      players: () => this.players.map((p) => p.userId),
      meters: (userId) => session.audio.levelOf(userId),
      latencyOf: (userId) => this.audio.latencyOf(userId),
    });
    session.events.on('connection', (state) => {
      this.#connection = state;
      if (state.state === 'open' && !this.#error?.fatal) this.#error = null;
    });
    session.events.on('error', ({ message, fatal }) => (this.#error = { message, fatal }));
  }

  get players(): PresentPlayer[] {
    this.#subscribe();
    return this.#session.presence().map((p) => ({
      key: p.peerId,
      userId: p.userId,
      name: p.name,
      instrument: p.instrument,
      role: p.role,
      self: p.self,
      path: p.self ? null : this.audio.pathOf(p.userId),
    }));
  }

  get connection(): { state: SignalingState; detail?: string } {
    return this.#connection;
  }

  get error(): { message: string; fatal: boolean } | null {
    return this.#error;
  }

  dispose(): void {
    this.mixer.dispose();
    this.#session.dispose();
  }
}
