/**
 * Who is in the studio, as the relay attests it: this connection's own identity, everyone live in
 * the room, and the identities of earlier visits (so Yjs writes made by a player who has since left
 * can still be attributed). Fed only from relay messages (`subscribed`, `peer-joined`,
 * `peer-updated`, `peer-left`); nothing a peer sends over the mesh can change it.
 *
 * Invariant: a Yjs client id maps to one identity for the life of the roster; the relay refuses a
 * second visit that declares a client id already used in the room, and a message that would rebind
 * one here is ignored.
 *
 * When the relay re-admits us under the same peer id (a resume: our socket dropped, or the relay
 * restarted and everyone is reconnecting), peers it does not list yet are kept for `rejoinGraceMs`:
 * they are probably resuming too, and dropping them would tear down links that still carry audio. A
 * peer that rejoins in time is kept silently; the others leave when the grace ends.
 *
 * Every entry carries `recording`: whether the relay says that participant records now ("everyone
 * knows", issue 9). Only the relay sets it (`subscribed` lists recorders, `peer-recording` changes
 * it); an identity update keeps it, a new visit starts without it.
 */
import type { AttestedPeer } from '../protocol/attested';
import { Emitter } from '../util/emitter';

/** A participant as the roster holds it: the attested identity and whether the relay says it records. */
export type RosterPeer = AttestedPeer & { readonly recording: boolean };

/** What the relay's `subscribed` lists: `recording: true` on those recording. */
type ListedPeer = AttestedPeer & { recording?: boolean };

const entry = (peer: AttestedPeer, recording: boolean): RosterPeer => ({ ...peer, recording });

export interface RosterEvents extends Record<string, unknown> {
  /** The relay (re)admitted us: `self` and the live peers were replaced (with their `recording`). */
  reset: { self: RosterPeer };
  joined: RosterPeer;
  /** A live peer's attested identity changed (its role, usually); may be `self`. */
  updated: { peer: RosterPeer; previous: RosterPeer };
  left: { peer: RosterPeer; reason: string };
  /** The relay says a live peer (or `self`) started or stopped recording. */
  recording: { peer: RosterPeer; on: boolean };
}

const MAX_REMEMBERED = 1024;

export class Roster {
  readonly events = new Emitter<RosterEvents>();
  readonly #rejoinGraceMs: number;
  /** Peers kept after a resume although the relay did not list them, each with its leave timer. */
  readonly #unconfirmed = new Map<string, ReturnType<typeof setTimeout>>();
  #self: RosterPeer | null = null;
  readonly #live = new Map<string, RosterPeer>();
  /** Every identity seen, by Yjs client id (live and past), in insertion order. */
  readonly #byClient = new Map<number, AttestedPeer>();

  constructor(options: { rejoinGraceMs?: number } = {}) {
    this.#rejoinGraceMs = options.rejoinGraceMs ?? 10_000;
  }

  get self(): RosterPeer | null {
    return this.#self;
  }

  /** Live peers other than us, ordered by when the relay admitted them. */
  peers(): RosterPeer[] {
    return [...this.#live.values()].sort((a, b) => a.joinedAt - b.joinedAt || (a.peerId < b.peerId ? -1 : 1));
  }

  get(peerId: string): RosterPeer | undefined {
    return this.#live.get(peerId);
  }

  /** Everyone the relay says records now, us included (us first). */
  recorders(): RosterPeer[] {
    const others = this.peers().filter((p) => p.recording);
    return this.#self?.recording ? [this.#self, ...others] : others;
  }

  /** The identity that writes with a Yjs client id: live, past, or ourselves. */
  byClient(client: number): AttestedPeer | undefined {
    return this.#byClient.get(client);
  }

  /** Is this Yjs client id a live peer's (not ours)? */
  isLiveClient(client: number): boolean {
    const peer = this.#byClient.get(client);
    return peer !== undefined && this.#live.get(peer.peerId) === peer;
  }

  /**
   * The relay's `peer-recording`: sets one live peer's (or our own) flag. Unknown peers are ignored
   * (a message that crossed a leave); a repeat changes nothing and emits nothing.
   */
  setRecording(peerId: string, on: boolean): void {
    const previous = peerId === this.#self?.peerId ? this.#self : this.#live.get(peerId);
    if (!previous || previous.recording === on) return;
    const peer = entry(previous, on);
    this.#byClient.set(peer.client, peer);
    if (previous === this.#self) this.#self = peer;
    else this.#live.set(peerId, peer);
    this.events.emit('recording', { peer, on });
  }

  /**
   * A (re)subscribe: the relay's view replaces ours. Peers that vanished meanwhile are reported left —
   * after the rejoin grace when we were resumed under the same peer id, at once otherwise.
   */
  reset(self: ListedPeer, peers: readonly ListedPeer[], past: readonly AttestedPeer[]): void {
    for (const peer of past) this.#remember(peer);
    const resumed = this.#self?.peerId === self.peerId;
    const previous = [...this.#live.values()];
    this.#live.clear();
    const me = entry(self, self.recording === true);
    this.#self = this.#remember(me) ? me : this.#self;
    for (const listed of peers) {
      const peer = entry(listed, listed.recording === true);
      if (peer.peerId === self.peerId || !this.#remember(peer)) continue;
      this.#live.set(peer.peerId, peer);
      this.#confirm(peer.peerId);
    }
    const vanished = previous.filter((peer) => !this.#live.has(peer.peerId));
    if (resumed && this.#rejoinGraceMs > 0) {
      for (const peer of vanished) {
        this.#live.set(peer.peerId, peer);
        if (!this.#unconfirmed.has(peer.peerId)) {
          const timer = setTimeout(() => this.leave(peer.peerId, 'gone'), this.#rejoinGraceMs);
          this.#unconfirmed.set(peer.peerId, timer);
        }
      }
    }
    this.events.emit('reset', { self: this.#self ?? me });
    if (!resumed || this.#rejoinGraceMs <= 0) {
      for (const peer of vanished) {
        this.#confirm(peer.peerId);
        this.events.emit('left', { peer, reason: 'gone' });
      }
    }
  }

  join(joined: AttestedPeer): void {
    // A joining seat is a new visit (or one the relay restored): it has not said it records yet.
    const peer = entry(joined, false);
    if (peer.peerId === this.#self?.peerId) return;
    const known = this.#live.get(peer.peerId);
    if (known && this.#unconfirmed.has(peer.peerId)) {
      // A peer kept through a resume is back: the same visit, re-attested by the relay.
      this.#confirm(peer.peerId);
      if (known.userId === peer.userId && known.client === peer.client) {
        this.#live.set(peer.peerId, peer);
        this.#byClient.set(peer.client, peer);
        if (known.role !== peer.role || known.name !== peer.name || known.instrument !== peer.instrument) {
          this.events.emit('updated', { peer, previous: known });
        }
        // Seated afresh (the relay restarted): its old flag is gone until it says so again.
        if (known.recording) this.events.emit('recording', { peer, on: false });
        return;
      }
      this.leave(peer.peerId, 'gone');
    }
    if (this.#live.has(peer.peerId)) return;
    if (!this.#remember(peer)) return;
    this.#live.set(peer.peerId, peer);
    this.events.emit('joined', peer);
  }

  update(updated: AttestedPeer): void {
    const previous = updated.peerId === this.#self?.peerId ? this.#self : this.#live.get(updated.peerId);
    if (!previous || previous.client !== updated.client || previous.userId !== updated.userId) return;
    // A new role or name does not end a recording: the flag is the relay's, and it did not change.
    const peer = entry(updated, previous.recording);
    this.#byClient.set(peer.client, peer);
    if (previous === this.#self) this.#self = peer;
    else this.#live.set(peer.peerId, peer);
    this.events.emit('updated', { peer, previous });
  }

  leave(peerId: string, reason: string): void {
    this.#confirm(peerId);
    const peer = this.#live.get(peerId);
    if (!peer) return;
    this.#live.delete(peerId);
    this.events.emit('left', { peer, reason });
  }

  dispose(): void {
    for (const timer of this.#unconfirmed.values()) clearTimeout(timer);
    this.#unconfirmed.clear();
    this.#live.clear();
    this.#byClient.clear();
    this.events.clear();
  }

  #confirm(peerId: string): void {
    const timer = this.#unconfirmed.get(peerId);
    if (timer !== undefined) clearTimeout(timer);
    this.#unconfirmed.delete(peerId);
  }

  /** Records an identity by client id; false when the id is bound to someone else. */
  #remember(peer: AttestedPeer): boolean {
    // A reconnect of the same visit keeps its client id under a new peer id; another user never.
    if (
      this.#byClient.get(peer.client)?.userId !== undefined &&
      this.#byClient.get(peer.client)?.userId !== peer.userId
    ) {
      return false;
    }
    this.#byClient.delete(peer.client);
    this.#byClient.set(peer.client, peer);
    if (this.#byClient.size > MAX_REMEMBERED) {
      const oldest = this.#byClient.keys().next().value;
      if (oldest !== undefined && !this.isLiveClient(oldest)) this.#byClient.delete(oldest);
    }
    return true;
  }
}
