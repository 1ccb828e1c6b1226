/**
 * Who connects to whom in one studio: a full mesh over the participants the relay attests.
 *
 * The relay's roster (signaling v2) says who is in the room; a peer never announces itself, and a
 * signal is believed to come from the peer the relay stamped on it. Meeting rule (no glare): of two
 * peers, the one with the smaller relay-assigned id creates the link and sends the offer; the other
 * opens a link only when that offer arrives from a peer the roster lists.
 *
 * A link that has not opened within `connectTimeoutMs` is closed, so a pair that cannot connect
 * does not wait on a dead link forever (audio slots belong to participants, not links: see
 * session/studio-audio.ts). When a link closes while its peer is still in the room (ICE gave up, the
 * timeout), the initiator tries again after a growing delay.
 *
 * The mesh can be switched off (`setActive(false)`): while the room's audio goes through the relay's
 * SFU it holds no links at all (no N² connections in a big room), keeps tracking who is present, and
 * opens nothing, not even on a peer's offer; switched on again, the pairs form anew.
 */
import {
  parseMeshSignal,
  MESH_SIGNAL_VERSION,
  type MeshSignal,
  type PeerSignal,
} from '../protocol/mesh-signal';
import { Emitter } from '../util/emitter';
import type { PeerLinkEvents } from './peer-link';

/** What the mesh needs of a link (PeerLink in the browser, a fake in unit tests). */
export interface MeshLink {
  readonly remoteId: string;
  readonly events: Emitter<PeerLinkEvents>;
  handleSignal(signal: PeerSignal): void;
  close(reason?: string): void;
}

/** What the mesh needs of signaling (SignalingClient in the browser). */
export interface MeshSignaling {
  publish(data: unknown, to?: string): boolean;
}

export interface MeshEvents extends Record<string, unknown> {
  'peer-open': { peerId: string; link: MeshLink };
  'peer-close': { peerId: string; reason: string };
  /** A link was dropped because it did not open in time (diagnostics). */
  'link-timeout': { peerId: string };
  /** A link closed before it ever opened (ICE gave up), not by us: the pair may be unreachable. */
  'link-failed': { peerId: string; reason: string };
}

export interface MeshOptions {
  signaling: MeshSignaling;
  createLink(options: {
    remoteId: string;
    initiator: boolean;
    sendSignal(signal: PeerSignal): void;
  }): MeshLink;
  /** A link that has not opened after this long is closed (default 20 s). */
  connectTimeoutMs?: number;
  /** First delay before an initiator re-creates a failed link; doubles up to 30 s (default 1 s). */
  retryDelayMs?: number;
  /** Whether links form from the start (default true); see `setActive`. */
  active?: boolean;
}

interface Entry {
  link: MeshLink;
  timer: ReturnType<typeof setTimeout> | null;
  open: boolean;
  /** A signal of this link could not be sent (no relay connection): the other side may never hear it. */
  unsent: boolean;
}

const MAX_RETRY_DELAY_MS = 30_000;

export class Mesh {
  readonly events = new Emitter<MeshEvents>();
  readonly #options: MeshOptions;
  readonly #connectTimeoutMs: number;
  readonly #links = new Map<string, Entry>();
  /** Live peers (from the relay), other than us. */
  readonly #present = new Set<string>();
  readonly #retries = new Map<string, { delay: number; timer: ReturnType<typeof setTimeout> | null }>();
  #localId: string | null = null;
  #active: boolean;
  #disposed = false;

  constructor(options: MeshOptions) {
    this.#options = options;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.#active = options.active ?? true;
  }

  get active(): boolean {
    return this.#active;
  }

  /** Whether the link to `peerId` is open. */
  isOpen(peerId: string): boolean {
    return this.#links.get(peerId)?.open === true;
  }

  /**
   * Switches the mesh on (pairs form with everyone present, retry delays start afresh) or off (every
   * link closes with `reason`, nothing new opens).
   */
  setActive(active: boolean, reason = 'inactive'): void {
    if (this.#disposed || this.#active === active) return;
    this.#active = active;
    for (const id of [...this.#retries.keys()]) this.#clearRetry(id);
    if (active) {
      for (const id of this.#present) this.#connect(id);
    } else {
      for (const id of [...this.#links.keys()]) this.#drop(id, reason);
    }
  }

  get localId(): string | null {
    return this.#localId;
  }

  /** Remote ids with an open link. */
  get peers(): string[] {
    return [...this.#links].filter(([, entry]) => entry.open).map(([id]) => id);
  }

  /**
   * The relay (re)admitted us as `localId` with these peers present. Links made under another local id
   * are closed: the other side knows us by the id the relay gave us.
   */
  reset(localId: string, peerIds: readonly string[]): void {
    if (this.#disposed) return;
    if (this.#localId !== localId) {
      for (const id of [...this.#links.keys()]) this.#drop(id, 'rejoined');
      this.#localId = localId;
    }
    const now = new Set(peerIds.filter((id) => id !== localId));
    for (const id of [...this.#present]) if (!now.has(id)) this.leave(id, 'gone');
    // A link still forming that lost a signal while we were away would only wait for its timeout
    // (and, answering, swallow the initiator's next offer): start the pair again now.
    for (const [id, entry] of [...this.#links]) {
      if (entry.open || !entry.unsent) continue;
      this.#drop(id, 'signal-lost');
      this.#clearRetry(id);
    }
    for (const id of now) this.join(id);
  }

  join(peerId: string): void {
    if (this.#disposed || peerId === this.#localId) return;
    this.#present.add(peerId);
    this.#connect(peerId);
  }

  leave(peerId: string, reason: string): void {
    this.#present.delete(peerId);
    this.#clearRetry(peerId);
    this.#drop(peerId, reason);
  }

  /** A message the relay delivered to us from `from` (attested by the relay). */
  handle(from: string, data: unknown): void {
    if (this.#disposed || !this.#present.has(from)) return;
    const signal: MeshSignal | null = parseMeshSignal(data);
    if (!signal) return;
    const isOffer = signal.signal.kind === 'description' && signal.signal.description.type === 'offer';
    let entry = this.#links.get(from);
    // Only an offer from the peer that initiates for this pair opens a link; stray candidates are dropped.
    if (!entry && isOffer && this.#active && !this.#initiates(from)) entry = this.#create(from, false);
    entry?.link.handleSignal(signal.signal);
  }

  /** Closes every link. Idempotent. The relay tells the others we left when our socket unsubscribes. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const id of [...this.#retries.keys()]) this.#clearRetry(id);
    for (const id of [...this.#links.keys()]) this.#drop(id, 'leaving');
    this.#present.clear();
    this.events.clear();
  }

  #initiates(peerId: string): boolean {
    return this.#localId !== null && this.#localId < peerId;
  }

  #connect(peerId: string): void {
    if (!this.#active || this.#links.has(peerId) || !this.#initiates(peerId)) return;
    if (this.#retries.get(peerId)?.timer) return;
    this.#create(peerId, true);
  }

  #create(peerId: string, initiator: boolean): Entry {
    // Filled in below; a link may signal from within createLink, before the entry exists.
    const state = { unsent: false };
    const link = this.#options.createLink({
      remoteId: peerId,
      initiator,
      sendSignal: (signal) => {
        const data = { type: 'signal', v: MESH_SIGNAL_VERSION, signal };
        if (!this.#options.signaling.publish(data, peerId)) state.unsent = true;
      },
    });
    const entry: Entry = Object.assign(state, { link, open: false, timer: null });
    entry.timer = setTimeout(() => {
      entry.timer = null;
      if (entry.open || this.#links.get(peerId) !== entry) return;
      this.events.emit('link-timeout', { peerId });
      link.close('connect-timeout');
    }, this.#connectTimeoutMs);
    this.#links.set(peerId, entry);
    link.events.on('open', () => {
      if (this.#links.get(peerId) !== entry || entry.open) return;
      entry.open = true;
      this.#clearTimer(entry);
      this.#retries.delete(peerId);
      this.events.emit('peer-open', { peerId, link });
    });
    link.events.on('close', ({ reason }) => this.#onClosed(peerId, entry, reason));
    return entry;
  }

  #onClosed(peerId: string, entry: Entry, reason: string): void {
    if (this.#links.get(peerId) !== entry) return;
    this.#links.delete(peerId);
    this.#clearTimer(entry);
    if (entry.open) this.events.emit('peer-close', { peerId, reason });
    else this.events.emit('link-failed', { peerId, reason });
    // Not a goodbye: the peer is still in the room behind a broken path. The initiator tries again.
    if (!this.#disposed && this.#active && this.#present.has(peerId) && this.#initiates(peerId)) {
      this.#scheduleRetry(peerId);
    }
  }

  #scheduleRetry(peerId: string): void {
    const retry = this.#retries.get(peerId) ?? { delay: this.#options.retryDelayMs ?? 1000, timer: null };
    if (retry.timer) return;
    retry.timer = setTimeout(() => {
      retry.timer = null;
      retry.delay = Math.min(retry.delay * 2, MAX_RETRY_DELAY_MS);
      if (this.#present.has(peerId)) this.#connect(peerId);
    }, retry.delay);
    this.#retries.set(peerId, retry);
  }

  #clearRetry(peerId: string): void {
    const retry = this.#retries.get(peerId);
    if (retry?.timer) clearTimeout(retry.timer);
    this.#retries.delete(peerId);
  }

  #drop(peerId: string, reason: string): void {
    const entry = this.#links.get(peerId);
    if (!entry) return;
    this.#links.delete(peerId);
    this.#clearTimer(entry);
    entry.link.close(reason);
    if (entry.open) this.events.emit('peer-close', { peerId, reason });
  }

  #clearTimer(entry: Entry): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
  }
}
