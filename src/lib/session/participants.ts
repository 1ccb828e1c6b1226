/**
 * One record per remote participant of a studio visit. Identity comes only from the relay (a Roster:
 * records are created, updated and removed by its events); everything else on a record is what this
 * client learned about that participant's audio, written by the one module that owns each fact:
 * - the session: the open mesh link (`setLink`) and what the peer advertises in presence (`setAdvertised`);
 * - StudioAudio: the audio slot (`setSlot`) and the Worker's stats for its source (`setStats`);
 * - TrackPaths: the route its audio takes (`setRoute`), the track receiver and its delay (`setReceiver`,
 *   `setTrackDelay`);
 * - the session: the network path its audio takes to us (`setNetwork`: direct, via TURN, via the
 *   relay's SFU), from the room's route, the Worker's per-path frame counts and the link's ICE pair.
 * Values for a peer the roster does not list are ignored (a link or presence from outside the room
 * carries no identity); the session re-sends presence on its next change.
 *
 * Invariant: a record exists exactly while the roster lists its peer as live; 'left' is emitted once
 * per record, after it is removed. Setters emit 'change' only when the value changed.
 */
import type { AttestedPeer } from '../protocol/attested';
import type { SourceStats } from '../protocol/audio-worker';
import type { AudioReceiveStats, PeerLinkEvents } from '../net/peer-link';
import type { Roster } from '../net/roster';
import type { AudioPath } from '../sync/presence';
import type { TrackReceiver } from '../audio/track-receiver';
import { Emitter } from '../util/emitter';

/** What the audio side needs of a mesh link (PeerLink satisfies it). */
export interface ParticipantLink {
  readonly remoteId: string;
  readonly events: Emitter<PeerLinkEvents>;
  addAudioTrack(track: MediaStreamTrack): void;
  removeAudioTrack(): void;
  audioReceiveStats(): Promise<AudioReceiveStats | null>;
}

/** What a participant says about its own audio (presence): the paths it can use, and whether it runs. */
export interface AdvertisedAudio {
  paths: AudioPath[];
  on: boolean;
}

/** How a participant's audio reaches us: our data path or a WebRTC track. */
export type AudioRoute = AudioPath;

/**
 * Which network path a participant's audio takes to us: a direct link, a link whose ICE pair goes
 * through a TURN server, or the relay's SFU.
 */
export type NetworkPath = 'direct' | 'turn' | 'relay';

export interface Participant {
  readonly identity: AttestedPeer;
  readonly link: ParticipantLink | null;
  readonly audio: AdvertisedAudio | null;
  /** Packet ring, status and parameter index of its source; null until given one. */
  readonly slot: number | null;
  /** Null while no link carries its audio. */
  readonly route: AudioRoute | null;
  /** Its WebRTC track playing in our engine (track route, audio running). */
  readonly receiver: TrackReceiver | null;
  /** The audio Worker's latest counters for its source. */
  readonly stats: SourceStats | null;
  /** Track route: RTT/2 + WebRTC jitter-buffer delay, ms; null until measured. */
  readonly trackDelayMs: number | null;
  /** The network path its audio takes to us; null while none carries it. */
  readonly network: NetworkPath | null;
}

export interface ParticipantsEvents extends Record<string, unknown> {
  /** Anything about one participant changed (`field`), or it joined (`identity`) or left (`left`). */
  change: { peerId: string; field: keyof Participant | 'left' };
  joined: Participant;
  left: { participant: Participant; reason: string };
}

type Record_ = { -readonly [K in keyof Participant]: Participant[K] };

export class Participants {
  readonly events = new Emitter<ParticipantsEvents>();
  readonly #roster: Roster;
  readonly #records = new Map<string, Record_>();
  readonly #offs: Array<() => void>;
  #disposed = false;

  constructor(options: { roster: Roster }) {
    this.#roster = options.roster;
    const events = options.roster.events;
    this.#offs = [
      events.on('reset', () => this.#reset()),
      events.on('joined', (peer) => this.#add(peer)),
      events.on('updated', ({ peer }) => this.#set(peer.peerId, 'identity', peer)),
      events.on('left', ({ peer, reason }) => this.#remove(peer.peerId, reason)),
    ];
    this.#reset();
  }

  /** This visit's own attested identity (not a record: there is none for ourselves). */
  get self(): AttestedPeer | null {
    return this.#roster.self;
  }

  get(peerId: string): Participant | undefined {
    return this.#records.get(peerId);
  }

  /** Every remote participant, ordered by when the relay admitted it. */
  list(): Participant[] {
    return [...this.#records.values()].sort(byJoined);
  }

  /** A user's visits (a player may have two tabs open), ordered by when they joined. */
  byUser(userId: string): Participant[] {
    return this.list().filter((p) => p.identity.userId === userId);
  }

  setLink(peerId: string, link: ParticipantLink | null): boolean {
    return this.#set(peerId, 'link', link);
  }

  setAdvertised(peerId: string, audio: AdvertisedAudio | null): boolean {
    const record = this.#records.get(peerId);
    if (record && sameAdvertised(record.audio, audio)) return true;
    return this.#set(peerId, 'audio', audio ? { paths: [...audio.paths], on: audio.on } : null);
  }

  setSlot(peerId: string, slot: number | null): boolean {
    return this.#set(peerId, 'slot', slot);
  }

  setRoute(peerId: string, route: AudioRoute | null): boolean {
    return this.#set(peerId, 'route', route);
  }

  setReceiver(peerId: string, receiver: TrackReceiver | null): boolean {
    return this.#set(peerId, 'receiver', receiver);
  }

  setStats(peerId: string, stats: SourceStats | null): boolean {
    return this.#set(peerId, 'stats', stats);
  }

  setTrackDelay(peerId: string, ms: number | null): boolean {
    return this.#set(peerId, 'trackDelayMs', ms);
  }

  setNetwork(peerId: string, path: NetworkPath | null): boolean {
    return this.#set(peerId, 'network', path);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const off of this.#offs) off();
    this.#records.clear();
    this.events.clear();
  }

  /** Sets one field; false when the peer has no record. Emits only on a real change. */
  #set<K extends keyof Record_>(peerId: string, field: K, value: Record_[K]): boolean {
    const record = this.#records.get(peerId);
    if (!record || this.#disposed) return false;
    if (record[field] === value) return true;
    record[field] = value;
    this.events.emit('change', { peerId, field });
    return true;
  }

  #reset(): void {
    const live = this.#roster.peers();
    const ids = new Set(live.map((p) => p.peerId));
    for (const peerId of [...this.#records.keys()]) if (!ids.has(peerId)) this.#remove(peerId, 'gone');
    for (const peer of live) {
      if (this.#records.has(peer.peerId)) this.#set(peer.peerId, 'identity', peer);
      else this.#add(peer);
    }
  }

  #add(peer: AttestedPeer): void {
    if (this.#records.has(peer.peerId) || peer.peerId === this.#roster.self?.peerId) return;
    this.#records.set(peer.peerId, {
      identity: peer,
      link: null,
      audio: null,
      slot: null,
      route: null,
      receiver: null,
      stats: null,
      trackDelayMs: null,
      network: null,
    });
    this.events.emit('joined', this.#records.get(peer.peerId)!);
    this.events.emit('change', { peerId: peer.peerId, field: 'identity' });
  }

  #remove(peerId: string, reason: string): void {
    const record = this.#records.get(peerId);
    if (!record) return;
    this.#records.delete(peerId);
    this.events.emit('left', { participant: record, reason });
    this.events.emit('change', { peerId, field: 'left' });
  }
}

const byJoined = (a: Participant, b: Participant) =>
  a.identity.joinedAt - b.identity.joinedAt || (a.identity.peerId < b.identity.peerId ? -1 : 1);

function sameAdvertised(a: AdvertisedAudio | null, b: AdvertisedAudio | null): boolean {
  if (a === null || b === null) return a === b;
  return a.on === b.on && a.paths.length === b.paths.length && a.paths.every((p, i) => p === b.paths[i]);
}
