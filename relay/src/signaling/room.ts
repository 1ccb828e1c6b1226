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
 * - A seat is live (held by a connection) or suspended (its socket dropped without an unsubscribe;
 *   it waits a grace for a resume). A suspended seat is still a member for everyone: it is listed in
 *   `peers`, counts for `clients`, `room-full` and visits, but hears nothing; targeted messages to it
 *   are dropped. A resume takes the seat over without `peer-left`/`peer-joined`, so peers keep
 *   their links; only when the grace ends do they hear `peer-left` (`disconnected`).
 * - "Everyone knows": a seat records only while it may (`mayRecord`, from the ticket's `rec` and later
 *   control messages). Every change of a seat's `recording` is broadcast as `peer-recording` to every
 *   live member, the seat's own included, before anything else about that seat (a leaving recorder's
 *   `off` precedes its `peer-left`). A suspended seat keeps its flag through the grace.
 */
import { randomBytes } from 'node:crypto';
import type { AttestedPeer } from '../../../src/lib/protocol/attested.js';
import { ErrorCode, RECORDING_NOT_ALLOWED_MESSAGE } from '../../../src/lib/protocol/errors.js';
import {
  SIGNALING_MAX_PAST_PEERS,
  type RoomPeer,
  type ServerMessage,
} from '../../../src/lib/protocol/signaling.js';
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
  /**
   * A resume moved this member's seat to a newer connection of the same page: it holds no seat any
   * more and should go quietly (no error: the page is already on the new connection).
   */
  superseded(topic: string): void;
}

export type EvictionCode =
  typeof ErrorCode.TicketReplaced | typeof ErrorCode.MembershipRevoked | typeof ErrorCode.StudioDeleted;

export interface Seat<M extends RoomMember> {
  /** The connection holding the seat; null while suspended (its socket dropped, a resume may come). */
  readonly member: M | null;
  /** Replaced, never mutated, when the role changes, so snapshots already sent stay true. */
  peer: AttestedPeer;
  readonly jti: string;
  /** The ticket's `iat`: control messages older than the ticket do not apply to it. */
  readonly ticketIssuedAt: number;
  /** May this seat record (the ticket's `rec`, overridden by newer control messages)? */
  mayRecord: boolean;
  /** Does this seat say it records now (its own `recording` message, only while `mayRecord`)? */
  recording: boolean;
}

/** A seat as `subscribed` lists it: the attested identity, with `recording: true` while it records. */
export function roomPeer(seat: Seat<RoomMember>): RoomPeer {
  return seat.recording ? { ...seat.peer, recording: true } : seat.peer;
}

/** What {@link Room.setRecording} did. */
export type RecordingChange = 'changed' | 'unchanged' | 'not-allowed' | 'no-seat';

export interface AdmitRequest<M extends RoomMember> {
  member: M;
  claims: VerifiedTicketClaims;
  client: number;
  /** The role to attest (the ticket's, unless a later membership change overrides it). */
  role: StudioRole;
  /** May the visit record (the ticket's `rec`, unless a later change overrides it)? */
  mayRecord: boolean;
  maxVisitsPerUser: number;
  /**
   * A peer id whose resume token the caller has verified for this ticket's user, this studio and
   * `client`: its seat (live or suspended) is taken over silently, or, when the room no longer has
   * it (relay restart, grace over), the visit is seated afresh with that peer id.
   */
  resumePeerId?: string;
}

export type AdmitResult<M extends RoomMember> =
  | {
      ok: true;
      seat: Seat<M>;
      peers: RoomPeer[];
      past: AttestedPeer[];
      clients: number;
      /** `taken-over`: an existing seat continues; `restored`: a fresh seat with the resumed peer id. */
      resumed: 'taken-over' | 'restored' | null;
    }
  | { ok: false; code: ErrorCode; message: string };

/** How many client ids a room remembers the owner of; past that, the oldest non-live ones are forgotten. */
export const MAX_CLIENT_OWNERS = 4096;
/**
 * Per-user shares of `past` and of the client-owner memory. Without them one member re-subscribing in a
 * loop with fresh client ids could push every other player's history out (newcomers would then drop
 * those players' Yjs writes) and eventually free a departed player's client id for itself. With them,
 * churn evicts only the churning user's own oldest entries; the global bounds above are reached only
 * by many distinct members.
 */
export const MAX_PAST_PER_USER = 16;
export const MAX_CLIENTS_PER_USER = 64;

export const EVICTION_MESSAGES: Record<EvictionCode, string> = {
  [ErrorCode.TicketReplaced]:
    'This ticket was used again from another tab or device; this connection was replaced.',
  [ErrorCode.MembershipRevoked]: 'You are no longer a member of this studio.',
  [ErrorCode.StudioDeleted]: 'This studio was deleted.',
};

/** Reason in `peer-left` when a dropped socket was not resumed in time. */
export const DISCONNECTED = 'disconnected';

/** A fresh peer id: 16 random bytes, 22 base64url characters (matches PEER_ID_PATTERN). */
export const newPeerId = (): string => randomBytes(16).toString('base64url');

export class Room<M extends RoomMember> {
  readonly topic: string;
  readonly #seats = new Map<string, Seat<M>>();
  readonly #byMember = new Map<M, Seat<M>>();
  #past: AttestedPeer[] = [];
  /** Yjs client id → user id, for every visit since the room opened (insertion order = age). */
  readonly #clientOwners = new Map<number, string>();
  /** Grace timers of suspended seats, by peer id. */
  readonly #graceTimers = new Map<string, NodeJS.Timeout>();
  readonly #now: () => number;
  readonly #onChange: (topic: string) => void;

  /** `onChange` hears every change of who holds a seat (the SFU follows the room with it). */
  constructor(
    topic: string,
    now: () => number = Date.now,
    onChange: (topic: string) => void = () => undefined,
  ) {
    this.topic = topic;
    this.#now = now;
    this.#onChange = onChange;
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
   * A verified resume takes its seat over instead (see {@link AdmitRequest.resumePeerId}); the seat
   * taken over is never counted against the newcomer.
   */
  admit(request: AdmitRequest<M>): AdmitResult<M> {
    const { member, claims, client } = request;
    const all = [...this.#seats.values()];
    const resumable = request.resumePeerId === undefined ? undefined : this.#seats.get(request.resumePeerId);
    // The token binds the peer id to this user and client id, so a seat with that id is theirs; the
    // check is defence in depth (a seat that is not theirs is never taken over, nor its id reused).
    const mine = resumable?.peer.userId === claims.sub && resumable.peer.client === client;
    const takenOver = mine ? resumable : undefined;
    const restoredId = request.resumePeerId !== undefined && !resumable ? request.resumePeerId : undefined;
    const replaced = all.find((s) => s.jti === claims.jti && s !== takenOver && s.member !== member);
    let others = all.filter((s) => s !== replaced && s !== takenOver && s.member !== member);
    // A suspended visit gives way to a new one of the same user from the same page (client id)
    // that brings no usable token: it is back, and its client id would otherwise be refused.
    const givenUp = others.filter(
      (s) => s.member === null && s.peer.userId === claims.sub && s.peer.client === client,
    );
    others = others.filter((s) => !givenUp.includes(s));

    const owner = this.#clientOwners.get(client);
    if (others.some((s) => s.peer.client === client) || (owner !== undefined && owner !== claims.sub)) {
      return {
        ok: false,
        code: ErrorCode.ClientIdTaken,
        message:
          'Another participant of this studio already uses this document id (Yjs client id). Reload the page to get a new one.',
      };
    }
    // The user's suspended visits also give way to a new one that would exceed the limit: the user
    // is evidently back from another page (a crashed tab reopened), and too-many-visits is final
    // for a page, while a suspended visit only waits for a resume that is unlikely to come.
    const visits = others.filter((s) => s.peer.userId === claims.sub);
    const excess = visits.length - request.maxVisitsPerUser + 1;
    const outnumbered = excess > 0 ? visits.filter((s) => s.member === null).slice(0, excess) : [];
    if (excess > outnumbered.length) {
      return {
        ok: false,
        code: ErrorCode.TooManyVisits,
        message: `You are already in this studio from ${request.maxVisitsPerUser} tabs or devices; close one to join here.`,
      };
    }
    givenUp.push(...outnumbered);
    others = others.filter((s) => !outnumbered.includes(s));
    if (others.length >= claims.maxPlayers) {
      return {
        ok: false,
        code: ErrorCode.RoomFull,
        message: `This studio is full (${claims.maxPlayers} players). Try again when someone leaves.`,
      };
    }

    if (replaced) this.#evict(replaced, ErrorCode.TicketReplaced);
    for (const seat of givenUp) this.#remove(seat, DISCONNECTED);
    const identity = { role: request.role, name: claims.name, instrument: claims.instrument };
    const seat: Seat<M> = takenOver
      ? this.#takeOver(takenOver, member, identity, claims, request.mayRecord)
      : this.#seat(
          member,
          {
            peerId: restoredId ?? newPeerId(),
            userId: claims.sub,
            ...identity,
            client,
            joinedAt: this.#now(),
          },
          claims,
          request.mayRecord,
        );
    this.#rememberClient(client, claims.sub);
    return {
      ok: true,
      seat,
      peers: [...this.#seats.values()].flatMap((s) => (s === seat ? [] : [roomPeer(s)])),
      past: this.past(),
      clients: this.#seats.size,
      resumed: takenOver ? 'taken-over' : restoredId !== undefined ? 'restored' : null,
    };
  }

  /**
   * The member's socket dropped without an unsubscribe: its seat stays, silent, for `graceMs`
   * (a resume takes it over), then leaves with `disconnected`, after which `onExpired` runs. A grace
   * of 0 leaves at once. Idempotent; a member without a seat is ignored.
   */
  suspend(member: M, graceMs: number, onExpired?: () => void): void {
    const seat = this.#byMember.get(member);
    if (!seat) return;
    if (graceMs <= 0) {
      this.#remove(seat, DISCONNECTED);
      return;
    }
    this.#byMember.delete(member);
    const suspended: Seat<M> = { ...seat, member: null };
    this.#seats.set(seat.peer.peerId, suspended);
    const timer = setTimeout(() => {
      if (this.#seats.get(suspended.peer.peerId) !== suspended) return;
      this.#remove(suspended, DISCONNECTED);
      onExpired?.();
    }, graceMs);
    // A pending grace must not keep a stopping relay alive.
    timer.unref();
    this.#graceTimers.set(seat.peer.peerId, timer);
    this.#onChange(this.topic);
  }

  /** Forgets every grace timer (relay shutdown: nobody is told anything). */
  dispose(): void {
    for (const timer of this.#graceTimers.values()) clearTimeout(timer);
    this.#graceTimers.clear();
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

  /**
   * The seat's own `recording` message. `on` needs `mayRecord` ('not-allowed' otherwise; `off` is
   * always allowed). A change is broadcast to every live member, the seat's own included; a repeat
   * ('unchanged', e.g. the client re-sending after a resume) is confirmed to the seat alone.
   */
  setRecording(seat: Seat<M>, on: boolean): RecordingChange {
    if (this.#seats.get(seat.peer.peerId) !== seat) return 'no-seat';
    if (on && !seat.mayRecord) return 'not-allowed';
    if (seat.recording === on) {
      seat.member?.sendText(this.#recordingText(seat));
      return 'unchanged';
    }
    seat.recording = on;
    this.#broadcast({ type: 'peer-recording', topic: this.topic, peerId: seat.peer.peerId, on });
    return 'changed';
  }

  /**
   * Whether the seat may record changed (studio setting or role, from PocketBase): the seat hears
   * `recording-permission`; a recorder no longer allowed is stopped (everyone hears `off`) and told
   * why with `recording-not-allowed`. Returns whether anything changed.
   */
  setMayRecord(seat: Seat<M>, allowed: boolean): boolean {
    if (this.#seats.get(seat.peer.peerId) !== seat || seat.mayRecord === allowed) return false;
    seat.mayRecord = allowed;
    seat.member?.sendText(JSON.stringify({ type: 'recording-permission', topic: this.topic, allowed }));
    if (!allowed && seat.recording) {
      seat.recording = false;
      this.#broadcast({ type: 'peer-recording', topic: this.topic, peerId: seat.peer.peerId, on: false });
      seat.member?.sendText(
        JSON.stringify({
          type: 'error',
          code: ErrorCode.RecordingNotAllowed,
          message: RECORDING_NOT_ALLOWED_MESSAGE,
          topic: this.topic,
        }),
      );
    }
    return true;
  }

  /** Sends `text` to every live member (except `except`); suspended seats hear nothing. */
  sendToAll(text: string, except?: M): void {
    for (const seat of [...this.#seats.values()]) {
      if (seat.member !== null && seat.member !== except) seat.member.sendText(text);
    }
  }

  #recordingText(seat: Seat<M>): string {
    return JSON.stringify({
      type: 'peer-recording',
      topic: this.topic,
      peerId: seat.peer.peerId,
      on: seat.recording,
    });
  }

  #seat(member: M, peer: AttestedPeer, claims: VerifiedTicketClaims, mayRecord: boolean): Seat<M> {
    const seat: Seat<M> = {
      member,
      peer,
      jti: claims.jti,
      ticketIssuedAt: claims.iat,
      mayRecord,
      recording: false,
    };
    this.#broadcast({ type: 'peer-joined', topic: this.topic, peer });
    this.#seats.set(peer.peerId, seat);
    this.#byMember.set(member, seat);
    this.#onChange(this.topic);
    return seat;
  }

  /**
   * Moves `old` to `member` under the same peer id, bound to the new ticket (its `jti` and `iat`
   * now count). The others hear nothing unless the attested identity changed (`peer-updated`).
   * The visit's `joinedAt` stays: it is the same visit.
   */
  #takeOver(
    old: Seat<M>,
    member: M,
    identity: Pick<AttestedPeer, 'role' | 'name' | 'instrument'>,
    claims: VerifiedTicketClaims,
    mayRecord: boolean,
  ): Seat<M> {
    this.#clearGrace(old.peer.peerId);
    const peer: AttestedPeer = { ...old.peer, ...identity };
    const changed = (Object.keys(identity) as (keyof typeof identity)[]).some((k) => peer[k] !== old.peer[k]);
    // The same visit keeps recording through a resume, unless the new ticket no longer allows it.
    const stopped = old.recording && !mayRecord;
    const seat: Seat<M> = {
      member,
      peer: changed ? peer : old.peer,
      jti: claims.jti,
      ticketIssuedAt: claims.iat,
      mayRecord,
      recording: old.recording && mayRecord,
    };
    if (old.member !== null) this.#byMember.delete(old.member);
    this.#seats.set(peer.peerId, seat);
    this.#byMember.set(member, seat);
    // The newcomer learns its identity from `subscribed`; the connection it replaces is going.
    const toOthers = (text: string) => {
      for (const s of this.#seats.values()) {
        if (s.member !== null && s !== seat) s.member.sendText(text);
      }
    };
    if (stopped) toOthers(this.#recordingText(seat));
    if (changed) toOthers(JSON.stringify({ type: 'peer-updated', topic: this.topic, peer: seat.peer }));
    old.member?.superseded(this.topic);
    this.#onChange(this.topic);
    return seat;
  }

  #clearGrace(peerId: string): void {
    clearTimeout(this.#graceTimers.get(peerId));
    this.#graceTimers.delete(peerId);
  }

  #evict(seat: Seat<M>, code: EvictionCode): void {
    this.#remove(seat, code);
    // A suspended seat has no connection left to tell.
    seat.member?.evicted(this.topic, code, EVICTION_MESSAGES[code]);
  }

  #remove(seat: Seat<M>, reason: string): void {
    this.#clearGrace(seat.peer.peerId);
    this.#seats.delete(seat.peer.peerId);
    if (seat.member !== null) this.#byMember.delete(seat.member);
    // One past entry per client id (the newest visit with it), newest last.
    this.#past = this.#past.filter((p) => p.client !== seat.peer.client);
    this.#past.push(seat.peer);
    const user = seat.peer.userId;
    if (this.#past.filter((p) => p.userId === user).length > MAX_PAST_PER_USER) {
      this.#past.splice(
        this.#past.findIndex((p) => p.userId === user),
        1,
      );
    }
    if (this.#past.length > SIGNALING_MAX_PAST_PEERS) this.#past.shift();
    // A recorder that leaves (or whose grace ended) stops recording, and everyone hears it first.
    if (seat.recording) {
      seat.recording = false;
      this.#broadcast({ type: 'peer-recording', topic: this.topic, peerId: seat.peer.peerId, on: false });
    }
    this.#broadcast({ type: 'peer-left', topic: this.topic, peerId: seat.peer.peerId, reason });
    this.#onChange(this.topic);
  }

  /** To every seat live at this moment (a joiner is seated after, a leaver removed before). */
  #broadcast(message: ServerMessage): void {
    this.sendToAll(JSON.stringify(message));
  }

  #rememberClient(client: number, userId: string): void {
    this.#clientOwners.delete(client);
    this.#clientOwners.set(client, userId);
    const owned = [...this.#clientOwners].filter(([, owner]) => owner === userId).length;
    if (owned <= MAX_CLIENTS_PER_USER && this.#clientOwners.size <= MAX_CLIENT_OWNERS) return;
    // Over the user's share: forget that user's own oldest client id; over the total: anyone's oldest.
    const live = new Set([...this.#seats.values()].map((s) => s.peer.client));
    for (const [oldest, owner] of this.#clientOwners) {
      if (live.has(oldest) || (owned > MAX_CLIENTS_PER_USER && owner !== userId)) continue;
      this.#clientOwners.delete(oldest);
      break;
    }
  }
}
