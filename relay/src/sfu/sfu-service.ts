/**
 * The relay's SFU for all rooms: which mode each room is in, which source index each peer has, and
 * each signaling connection's (lazily created) WebRTC connection to the forwarder.
 *
 * - Room state follows the room: {@link SfuService.roomChanged} (called by the room registry on any
 *   membership change, coalesced to one pass per microtask) re-syncs source indexes, drops the SFU
 *   connections of members that no longer hold a seat there, re-decides the mode and, when the mode
 *   or the source list changed, sends `room-route` to every live member.
 * - A newcomer hears `room-route` right after `subscribed` ({@link SfuService.admitted}).
 * - A connection's SFU peer is created on its `sfu-signal` offer (a new offer replaces it) and
 *   disposed when its socket closes, its seat goes, its channel does not open in time, or the
 *   connection fails. A seat may offer at most {@link SFU_OFFER_LIMITS} (each offer is a native
 *   connection); beyond that it hears `sfu-unavailable` and keeps the connection it has.
 * - `sfu-unavailable` about a closed connection goes out only for the member's current connection
 *   whose channel never opened: an opened one's failure the browser sees itself, and a notice about
 *   a connection already replaced (by the player's next offer) would make it tear down the new one.
 * - With the SFU off, rooms stay in `mesh`, and `sfu-signal`/`route-request` get `sfu-unavailable`.
 */
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import type {
  RoomMode,
  RoomRouteMessage,
  RouteRequestMessage,
  SfuSignalMessage,
} from '../../../src/lib/protocol/sfu.js';
import type { ServerMessage } from '../../../src/lib/protocol/signaling.js';
import { studioTopic } from '../../../src/lib/protocol/ticket.js';
import type { Logger } from '../log.js';
import type { RoomMember } from '../signaling/room.js';
import type { RoomRegistry } from '../signaling/rooms.js';
import { Forwarder, type Endpoint } from './forwarder.js';
import { OfferLimiter, SFU_OFFER_LIMITS, type OfferLimits } from './offer-limiter.js';
import { decideRoomMode } from './room-mode.js';
import { SfuPeer, type SfuCloseReason, type SfuNetwork, type SfuPeerEvents } from './sfu-peer.js';
import { SourceIndexes } from './source-indexes.js';

/** What the SFU needs of a signaling connection. */
export interface SfuMember extends RoomMember {
  readonly id: string;
  send(message: ServerMessage): void;
  /** An error reply (rate-limited like every error the connection sends). */
  refuse(code: ErrorCode, message: string, topic: string): void;
}

export interface SfuSettings {
  enabled: boolean;
  meshLimit: number;
  meshHysteresis: number;
  network: SfuNetwork;
}

export interface SfuServiceOptions<M extends SfuMember> {
  settings: SfuSettings;
  rooms: RoomRegistry<M>;
  logger: Logger;
  forwarder?: Forwarder;
  /** Creates a member's WebRTC peer; node-datachannel unless tests say. */
  createPeer?: (
    name: string,
    network: SfuNetwork,
    events: SfuPeerEvents,
  ) => Pick<SfuPeer, 'handle' | 'send' | 'bufferedAmount' | 'dispose' | 'disposed'>;
  /** Offers one seat may make; {@link SFU_OFFER_LIMITS} unless tests say. */
  offerLimits?: OfferLimits;
  /** Clock (ms) of the offer limits; performance.now unless tests say. */
  now?: () => number;
}

/** A forced room mode, or `auto` to let the rules decide again. */
export type ForcedMode = RoomMode | 'auto';

interface RouteState {
  readonly sources: SourceIndexes;
  /** Peers whose `route-request {unreachable: true}` stands. */
  readonly unreachable: Set<string>;
  forced: RoomMode | null;
  mode: RoomMode;
}

interface MemberLink {
  readonly topic: string;
  readonly peer: Pick<SfuPeer, 'handle' | 'send' | 'bufferedAmount' | 'dispose' | 'disposed'>;
  readonly endpoint: Endpoint;
}

const CLOSE_MESSAGES: Partial<Record<SfuCloseReason, string>> = {
  'open-timeout': "The connection to the relay's SFU did not open within 30 s.",
  failed: "The connection to the relay's SFU failed.",
  'bad-offer': "The relay's SFU could not use this offer.",
};

export class SfuService<M extends SfuMember> {
  readonly forwarder: Forwarder;
  readonly #settings: SfuSettings;
  readonly #rooms: RoomRegistry<M>;
  readonly #logger: Logger;
  readonly #createPeer: NonNullable<SfuServiceOptions<M>['createPeer']>;
  readonly #routes = new Map<string, RouteState>();
  readonly #links = new Map<M, MemberLink>();
  readonly #dirty = new Set<string>();
  /** Per seat (topic + peer id, so a resumed seat keeps its count), dropped with the seat. */
  readonly #offerLimiters = new Map<string, { topic: string; peerId: string; limiter: OfferLimiter }>();
  readonly #offerLimits: OfferLimits;
  readonly #now: (() => number) | undefined;
  #disposed = false;

  constructor(options: SfuServiceOptions<M>) {
    this.#settings = options.settings;
    this.#rooms = options.rooms;
    this.#logger = options.logger;
    this.forwarder = options.forwarder ?? new Forwarder();
    this.#createPeer = options.createPeer ?? ((name, network, events) => new SfuPeer(name, network, events));
    this.#offerLimits = options.offerLimits ?? SFU_OFFER_LIMITS;
    this.#now = options.now;
  }

  /** The room's membership changed: re-sync it at the end of the current job (once per batch). */
  roomChanged(topic: string): void {
    if (this.#dirty.size === 0) queueMicrotask(() => this.#flushDirty());
    this.#dirty.add(topic);
  }

  /** `member` was just admitted (its `subscribed` is sent): it hears the room's route now. */
  admitted(member: M, topic: string): void {
    if (this.#reconcile(topic)) return;
    const message = this.#routeMessage(topic);
    if (message) member.send(message);
  }

  /** The member's socket closed: its SFU connection goes at once. */
  memberClosed(member: M): void {
    this.#links.get(member)?.peer.dispose();
  }

  signal(member: M, message: SfuSignalMessage): void {
    const seat = this.#seatFor(member, message.topic);
    if (!seat) return;
    const { signal } = message;
    let link = this.#links.get(member);
    if (signal.kind === 'candidate') {
      link?.peer.handle(signal);
      return;
    }
    if (signal.description.type !== 'offer') {
      member.refuse(ErrorCode.Malformed, 'The relay answers SFU offers; send an offer.', message.topic);
      return;
    }
    if (!this.#offerLimiter(message.topic, seat.peerId).take()) {
      member.refuse(
        ErrorCode.SfuUnavailable,
        `Too many SFU offers (at most ${this.#offerLimits.perSecond} a second and ${this.#offerLimits.perMinute} a minute); wait a few seconds before offering again.`,
        message.topic,
      );
      return;
    }
    // Every offer starts a new SFU connection: a browser offers again only from a new
    // RTCPeerConnection (a retry), whose fingerprint and ICE credentials the old one cannot take.
    link?.peer.dispose();
    link = this.#link(member, message.topic, seat.peerId);
    // A peer that cannot use the offer closes itself and tells the member (bad-offer).
    link?.peer.handle(signal);
  }

  routeRequest(member: M, message: RouteRequestMessage): void {
    const seat = this.#seatFor(member, message.topic);
    if (!seat) return;
    const state = this.#routes.get(message.topic);
    if (!state) return;
    if (message.unreachable) state.unreachable.add(seat.peerId);
    else state.unreachable.delete(seat.peerId);
    this.#reconcile(message.topic);
  }

  /**
   * Pins (or with `auto` releases) the mode of the studio's live room. Returns how many players
   * were told; 0 when the room is not live (the setting dies with the room).
   */
  forceMode(studioId: string, mode: ForcedMode): number {
    const topic = studioTopic(studioId);
    const room = this.#rooms.get(topic);
    if (!room) return 0;
    this.#reconcile(topic);
    const state = this.#routes.get(topic);
    if (!state) return 0;
    state.forced = mode === 'auto' ? null : mode;
    this.#reconcile(topic);
    return room.size;
  }

  /** The mode a live room is in (for /rooms and tests), or null. */
  modeOf(topic: string): RoomMode | null {
    return this.#routes.get(topic)?.mode ?? null;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const link of [...this.#links.values()]) link.peer.dispose();
    this.#routes.clear();
    this.#offerLimiters.clear();
  }

  #offerLimiter(topic: string, peerId: string): OfferLimiter {
    const key = `${topic}\n${peerId}`;
    let entry = this.#offerLimiters.get(key);
    if (!entry) {
      entry = { topic, peerId, limiter: new OfferLimiter(this.#offerLimits, this.#now) };
      this.#offerLimiters.set(key, entry);
    }
    return entry.limiter;
  }

  #seatFor(member: M, topic: string): { peerId: string } | null {
    if (!this.#settings.enabled) {
      member.refuse(ErrorCode.SfuUnavailable, 'This relay does not forward audio (its SFU is off).', topic);
      return null;
    }
    const seat = this.#rooms.get(topic)?.seatOf(member);
    if (!seat) {
      member.refuse(ErrorCode.NotSubscribed, 'Join the studio before using its SFU.', topic);
      return null;
    }
    return seat.peer;
  }

  #link(member: M, topic: string, peerId: string): MemberLink | undefined {
    if (this.#disposed) return undefined;
    const sourceIndex = this.#routes.get(topic)?.sources.indexOf(peerId);
    if (sourceIndex === undefined) {
      member.refuse(ErrorCode.SfuUnavailable, 'The SFU has no place for you in this room yet.', topic);
      return undefined;
    }
    let endpoint: Endpoint | null = null;
    let opened = false;
    let closed = false;
    const peer = this.#createPeer(`sfu-${member.id}`, this.#settings.network, {
      signal: (signal) => member.send({ type: 'sfu-signal', topic, signal }),
      open: () => {
        opened = true;
        if (endpoint) this.forwarder.setOpen(endpoint);
        this.#logger.info('sfu-open', { connection: member.id });
      },
      message: (data) => {
        if (endpoint) this.forwarder.receive(endpoint, data);
      },
      closed: (reason) => {
        if (closed) return;
        closed = true;
        if (endpoint) this.forwarder.remove(endpoint);
        const current = this.#links.get(member)?.peer === peer;
        if (current) this.#links.delete(member);
        this.#logger.info('sfu-closed', { connection: member.id, reason });
        // Only a current connection that never opened: the player's SfuLink retries on this notice,
        // which for a replaced connection would tear down the attempt that replaced it.
        const text = current && !opened ? CLOSE_MESSAGES[reason] : undefined;
        if (text !== undefined && !this.#disposed) member.refuse(ErrorCode.SfuUnavailable, text, topic);
      },
    });
    endpoint = this.forwarder.add(topic, sourceIndex, peer);
    const link: MemberLink = { topic, peer, endpoint };
    this.#links.set(member, link);
    return link;
  }

  #flushDirty(): void {
    const topics = [...this.#dirty];
    this.#dirty.clear();
    for (const topic of topics) this.#reconcile(topic);
  }

  /** Brings the topic's SFU state in line with its room; returns whether `room-route` went to everyone. */
  #reconcile(topic: string): boolean {
    if (this.#disposed) return false;
    const room = this.#rooms.get(topic);
    for (const [member, link] of this.#links) {
      if (link.topic === topic && room?.seatOf(member) === undefined) link.peer.dispose();
    }
    if (!room) {
      this.#routes.delete(topic);
      for (const [key, entry] of this.#offerLimiters)
        if (entry.topic === topic) this.#offerLimiters.delete(key);
      return false;
    }
    let state = this.#routes.get(topic);
    if (!state) {
      state = { sources: new SourceIndexes(), unreachable: new Set(), forced: null, mode: 'mesh' };
      this.#routes.set(topic, state);
    }
    const peerIds = room.seats().map((seat) => seat.peer.peerId);
    const seated = new Set(peerIds);
    for (const [key, entry] of this.#offerLimiters)
      if (entry.topic === topic && !seated.has(entry.peerId)) this.#offerLimiters.delete(key);
    const changed = state.sources.sync(peerIds);
    for (const peerId of state.unreachable)
      if (state.sources.indexOf(peerId) === undefined) state.unreachable.delete(peerId);
    const mode = decideRoomMode({
      previous: state.mode,
      players: peerIds.length,
      unreachable: state.unreachable.size > 0,
      forced: state.forced,
      sfuEnabled: this.#settings.enabled,
      meshLimit: this.#settings.meshLimit,
      meshHysteresis: this.#settings.meshHysteresis,
    });
    if (!changed && mode === state.mode) return false;
    if (mode !== state.mode) {
      this.#logger.info('room-mode', { mode, players: peerIds.length, forced: state.forced !== null });
    }
    state.mode = mode;
    room.sendToAll(JSON.stringify(this.#routeMessage(topic)));
    return true;
  }

  #routeMessage(topic: string): RoomRouteMessage | null {
    const state = this.#routes.get(topic);
    if (!state) return null;
    return { type: 'room-route', topic, mode: state.mode, sources: state.sources.sources() };
  }
}
