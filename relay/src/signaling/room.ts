/**
 * One studio topic's live state: who is in the room (each connection bound to its ticket and given
 * an attested identity), the identities of earlier visits, and which Yjs client ids belong to whom.
 *
 * The room is the only place that decides admission and announces membership, so what every member
 * hears (`peer-joined`, `peer-updated`, `peer-left`) always matches what `subscribed` lists.
 *
 * Invariants:
 * - A peer id, a ticket id (`jti`) and a Yjs client id each belong to at most one live seat.
 * - A client id, once used in the room, belongs to that user until the room empties: another user can
 *   never take it over (peers attribute Yjs writes by client id).
 * - A seat leaves exactly once; its identity then moves to `past` (newest last, bounded).
 */
import { randomBytes } from 'node:crypto';
import type { AttestedPeer } from '../../../src/lib/protocol/attested.js';
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import { SIGNALING_MAX_PAST_PEERS, type ServerMessage } from '../../../src/lib/protocol/signaling.js';
import type { StudioRole } from '../../../src/lib/protocol/ticket.js';
import type { VerifiedTicketClaims } from '../auth/ticket-verifier.js';

/** What the room needs of a connection. */
export interface RoomMember {
  sendText(text: string): void;
  /**
   * The room removed this member (replaced ticket, revoked membership, deleted studio): tell it why
   * and close it. Called after the seat is gone and the others were told.
   */
  evicted(topic: string, code: EvictionCode, message: string): void;
}

export type EvictionCode =
  typeof ErrorCode.TicketReplaced | typeof ErrorCode.MembershipRevoked | typeof ErrorCode.StudioDeleted;

export interface Seat<M extends RoomMember> {
  readonly member: M;
  /** Replaced, never mutated, when the role changes, so snapshots already sent stay true. */
  peer: AttestedPeer;
  readonly jti: string;
  /** The ticket's `iat`: control messages older than the ticket do not apply to it. */
  readonly ticketIssuedAt: number;
}

export interface AdmitRequest<M extends RoomMember> {
  member: M;
  claims: VerifiedTicketClaims;
  client: number;
  /** The role to attest (the ticket's, unless a later membership change overrides it). */
  role: StudioRole;
  maxVisitsPerUser: number;
}

export type AdmitResult<M extends RoomMember> =
  | { ok: true; seat: Seat<M>; peers: AttestedPeer[]; past: AttestedPeer[]; clients: number }
  | { ok: false; code: ErrorCode; message: string };

/** How many client ids a room remembers the owner of; past that, the oldest non-live ones are forgotten. */
export const MAX_CLIENT_OWNERS = 4096;

export const EVICTION_MESSAGES: Record<EvictionCode, string> = {
  [ErrorCode.TicketReplaced]:
    'This ticket was used again from another tab or device; this connection was replaced.',
  [ErrorCode.MembershipRevoked]: 'You are no longer a member of this studio.',
  [ErrorCode.StudioDeleted]: 'This studio was deleted.',
};

/** A fresh peer id: 16 random bytes, 22 base64url characters (matches PEER_ID_PATTERN). */
export const newPeerId = (): string => randomBytes(16).toString('base64url');

export class Room<M extends RoomMember> {
  readonly topic: string;
  readonly #seats = new Map<string, Seat<M>>();
  readonly #byMember = new Map<M, Seat<M>>();
  #past: AttestedPeer[] = [];
  /** Yjs client id → user id, for every visit since the room opened (insertion order = age). */
  readonly #clientOwners = new Map<number, string>();
  readonly #now: () => number;

  constructor(topic: string, now: () => number = Date.now) {
    this.topic = topic;
    this.#now = now;
  }

  get size(): number {
    return this.#seats.size;
  }

  seatOf(member: M): Seat<M> | undefined {
    return this.#byMember.get(member);
  }

  seatByPeerId(peerId: string): Seat<M> | undefined {
    return this.#seats.get(peerId);
  }

  /** A snapshot: callers may evict while iterating. */
  seats(): Seat<M>[] {
    return [...this.#seats.values()];
  }

  past(): AttestedPeer[] {
    return [...this.#past];
  }

  /**
   * Admits `member` or says why not. Every check runs before anything changes, so a refused
   * subscribe never disturbs the room, not even the holder of the same ticket. When the ticket is
   * already live on another connection, that one is replaced (evicted) and the new one admitted.
   */
  admit(request: AdmitRequest<M>): AdmitResult<M> {
    const { member, claims, client } = request;
    const replaced = [...this.#seats.values()].find((s) => s.jti === claims.jti && s.member !== member);
    const others = [...this.#seats.values()].filter((s) => s !== replaced && s.member !== member);

    const owner = this.#clientOwners.get(client);
    if (others.some((s) => s.peer.client === client) || (owner !== undefined && owner !== claims.sub)) {
      return {
        ok: false,
        code: ErrorCode.ClientIdTaken,
        message:
          'Another participant of this studio already uses this document id (Yjs client id). Reload the page to get a new one.',
      };
    }
    if (others.filter((s) => s.peer.userId === claims.sub).length >= request.maxVisitsPerUser) {
      return {
        ok: false,
        code: ErrorCode.TooManyVisits,
        message: `You are already in this studio from ${request.maxVisitsPerUser} tabs or devices; close one to join here.`,
      };
    }
    if (others.length >= claims.maxPlayers) {
      return {
        ok: false,
        code: ErrorCode.RoomFull,
        message: `This studio is full (${claims.maxPlayers} players). Try again when someone leaves.`,
      };
    }

    if (replaced) this.#evict(replaced, ErrorCode.TicketReplaced);
    const peer: AttestedPeer = {
      peerId: newPeerId(),
      userId: claims.sub,
      role: request.role,
      name: claims.name,
      instrument: claims.instrument,
      client,
      joinedAt: this.#now(),
    };
    const seat: Seat<M> = { member, peer, jti: claims.jti, ticketIssuedAt: claims.iat };
    const peers = [...this.#seats.values()].map((s) => s.peer);
    this.#broadcast({ type: 'peer-joined', topic: this.topic, peer });
    this.#seats.set(peer.peerId, seat);
    this.#byMember.set(member, seat);
    this.#rememberClient(client, claims.sub);
    return { ok: true, seat, peers, past: this.past(), clients: this.#seats.size };
  }

  /** The member left on its own (unsubscribe, socket closed). Idempotent. */
  leave(member: M, reason = 'left'): void {
    const seat = this.#byMember.get(member);
    if (seat) this.#remove(seat, reason);
  }

  /** Removes a seat on the relay's initiative and tells its member why. */
  evict(seat: Seat<M>, code: EvictionCode): void {
    if (this.#seats.get(seat.peer.peerId) === seat) this.#evict(seat, code);
  }

  /** Gives a live seat a new role; everyone, the seat itself included, hears `peer-updated`. */
  updateRole(seat: Seat<M>, role: StudioRole): boolean {
    if (this.#seats.get(seat.peer.peerId) !== seat || seat.peer.role === role) return false;
    seat.peer = { ...seat.peer, role };
    this.#broadcast({ type: 'peer-updated', topic: this.topic, peer: seat.peer });
    return true;
  }

  /** Sends `text` to every live member (except `except`). */
  sendToAll(text: string, except?: M): void {
    for (const seat of [...this.#seats.values()]) if (seat.member !== except) seat.member.sendText(text);
  }

  #evict(seat: Seat<M>, code: EvictionCode): void {
    this.#remove(seat, code);
    seat.member.evicted(this.topic, code, EVICTION_MESSAGES[code]);
  }

  #remove(seat: Seat<M>, reason: string): void {
    this.#seats.delete(seat.peer.peerId);
    this.#byMember.delete(seat.member);
    // One past entry per client id (the newest visit with it), newest last.
    this.#past = this.#past.filter((p) => p.client !== seat.peer.client);
    this.#past.push(seat.peer);
    if (this.#past.length > SIGNALING_MAX_PAST_PEERS) this.#past.shift();
    this.#broadcast({ type: 'peer-left', topic: this.topic, peerId: seat.peer.peerId, reason });
  }

  /** To every seat live at this moment (a joiner is seated after, a leaver removed before). */
  #broadcast(message: ServerMessage): void {
    this.sendToAll(JSON.stringify(message));
  }

  #rememberClient(client: number, userId: string): void {
    this.#clientOwners.delete(client);
    this.#clientOwners.set(client, userId);
    if (this.#clientOwners.size <= MAX_CLIENT_OWNERS) return;
    const live = new Set([...this.#seats.values()].map((s) => s.peer.client));
    for (const oldest of this.#clientOwners.keys()) {
      if (live.has(oldest)) continue;
      this.#clientOwners.delete(oldest);
      break;
    }
  }
}
