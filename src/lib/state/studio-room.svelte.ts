/**
 * One studio visit as reactive state for the studio page: presence, relay connection and errors.
 * It owns the session it is given and disposes it.
 */
import type { TFunction } from 'i18next';
import type PocketBase from 'pocketbase';
import { createSubscriber } from 'svelte/reactivity';
import type { SignalingState } from '../net/signaling-client';
import type { NetworkPath } from '../session/participants';
import type { StudioSession } from '../session/studio-session';
import { AccountPreferences } from './account-preferences';
import { AudioRoom } from './audio-room.svelte';
import { BackingTrackState } from './backing-track.svelte';
import { ChatState } from './chat.svelte';
import { EffectsState } from './effects.svelte';
import { MetronomeState } from './metronome.svelte';
import { MixerState } from './mixer.svelte';

/** A player as the relay attests it (never as the player describes itself), plus what we see of it. */
export interface PresentPlayer {
  key: string;
  userId: string;
  name: string;
  instrument: string;
  role: string;
  self: boolean;
  /** In the room but no link to it yet (or it is re-forming). */
  connecting: boolean;
  /** How this player's audio reaches us ('opus', 'pcm' over the data channel, or 'track'), once it does. */
  path: string | null;
  /** The network path it takes: direct, through TURN, or through the relay's SFU; null while unknown. */
  route: NetworkPath | null;
}

export class StudioRoom {
  readonly #session: StudioSession;
  readonly #subscribe: () => void;
  readonly audio: AudioRoom;
  readonly mixer: MixerState;
  readonly metronome: MetronomeState;
  /** The studio's backing tracks (null without a PocketBase client to list them). */
  readonly backingTrack: BackingTrackState | null;
  readonly chat: ChatState;
  readonly effects: EffectsState;
  #error = $state<{ message: string; fatal: boolean } | null>(null);
  #connection = $state<{ state: SignalingState; detail?: string }>({ state: 'connecting' });
  /** The last thing a peer sent that was refused or undecodable; cleared after a while. */
  // Who sent what: the page words it in the reader's language (describeProblem).
  #notice = $state<PeerProblem | null>(null);
  #noticeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    session: StudioSession,
    options: { me: string; storage?: Storage | null; pb?: PocketBase | null },
  ) {
    this.#session = session;
    this.#subscribe = createSubscriber((update) => session.events.on('presence', update));
    this.audio = new AudioRoom(session.audio, {
      storage: options.storage ?? null,
      account: options.pb ? new AccountPreferences(options.pb) : null,
    });
    this.mixer = new MixerState({
      mixer: session.mixer,
      me: options.me,
      // Everyone present: MixerState leaves out whoever's mix is shown (not necessarily us).
      players: () => this.players.map((p) => p.userId),
      meters: (userId) => session.audio.levelOf(userId),
      latencyOf: (userId) => this.audio.latencyOf(userId),
      pathOf: (userId) => this.audio.pathOf(userId),
      identityOf: (userId) => this.players.find((p) => p.userId === userId) ?? null,
    });
    this.metronome = new MetronomeState({
      doc: session.metronome.doc,
      player: session.metronome.player,
      storage: options.storage ?? null,
    });
    this.backingTrack = options.pb
      ? new BackingTrackState({
          pb: options.pb,
          studioId: session.backingTrack.studioId,
          doc: session.backingTrack.doc,
          player: session.backingTrack.player,
          me: { userId: options.me, role: () => session.roster.self?.role ?? 'member' },
          nameOf: (userId) => this.players.find((p) => p.userId === userId)?.name ?? null,
          mixer: session.mixer,
        })
      : null;
    const backingTrack = this.backingTrack;
    // A take's backing stem is named after the track the transport plays (the titles live here).
    if (backingTrack) session.recording.nameBackingTrack(() => backingTrack.transportTitle);
    this.chat = new ChatState({ doc: session.chat.doc });
    const audio = this.audio;
    this.effects = new EffectsState({
      pb: options.pb ?? null,
      storage: options.storage ?? null,
      apply: (settings) => audio.setEffects(settings),
    });
    session.events.on('connection', (state) => {
      this.#connection = state;
      if (state.state === 'open' && !this.#error?.fatal) this.#error = null;
    });
    session.events.on('error', ({ message, fatal }) => (this.#error = { message, fatal }));
    session.events.on('problem', ({ name, code }) => this.#showNotice({ name, code }));
  }

  #showNotice(problem: PeerProblem): void {
    this.#notice = problem;
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => (this.#notice = null), 8000);
  }

  get notice(): PeerProblem | null {
    return this.#notice;
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
      connecting: !p.connected,
      path: p.self || !p.connected ? null : this.audio.pathOf(p.userId),
      // Read with the path: pathOf refreshes this getter every second.
      route: p.self || !p.connected ? null : this.#session.networkOf(p.userId),
    }));
  }

  get connection(): { state: SignalingState; detail?: string } {
    return this.#connection;
  }

  get error(): { message: string; fatal: boolean } | null {
    return this.#error;
  }

  dispose(): void {
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
    this.mixer.dispose();
    this.metronome.dispose();
    this.backingTrack?.dispose();
    this.effects.dispose();
    this.#session.dispose();
  }
}

/** A refused or broken message from a peer: who (null: not known), and the session's code for it. */
export interface PeerProblem {
  name: string | null;
  code: string;
}

/** A sentence for a peer problem in the reader's language: who, and what it means for the player. */
export function describeProblem({ name, code }: PeerProblem, t: TFunction): string {
  const who = name ?? t('peerProblem.aPlayer');
  switch (code) {
    case 'too-large':
      return t('peerProblem.tooLarge', { who });
    case 'refused-structs':
      return t('peerProblem.refusedStructs', { who });
    case 'send-failed':
      return t('peerProblem.sendFailed', { who: name ?? t('peerProblem.aPlayerLower') });
    default:
      return t('peerProblem.unreadable', { who });
  }
}
