/**
 * One studio visit as reactive state for the studio page: presence, relay connection and errors.
 * It owns the session it is given and disposes it.
 */
import { createSubscriber } from 'svelte/reactivity';
import type { SignalingState } from '../net/signaling-client';
import type { StudioSession } from '../session/studio-session';

export interface PresentPlayer {
  key: string;
  name: string;
  instrument: string;
  role: string;
  self: boolean;
}

export class StudioRoom {
  readonly #session: StudioSession;
  readonly #subscribe: () => void;
  #error = $state<{ message: string; fatal: boolean } | null>(null);
  #connection = $state<{ state: SignalingState; detail?: string }>({ state: 'connecting' });

  constructor(session: StudioSession) {
    this.#session = session;
    this.#subscribe = createSubscriber((update) => session.events.on('presence', update));
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
      name: p.name,
      instrument: p.instrument,
      role: p.role,
      self: p.self,
    }));
  }

  get connection(): { state: SignalingState; detail?: string } {
    return this.#connection;
  }

  get error(): { message: string; fatal: boolean } | null {
    return this.#error;
  }

  dispose(): void {
    this.#session.dispose();
  }
}
