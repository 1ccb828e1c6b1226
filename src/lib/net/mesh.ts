/**
 * Who connects to whom in one studio: a full mesh formed through the relay's studio topic.
 *
 * Meeting rule (no glare): on an `announce` from X, the peer with the smaller id creates the link as
 * initiator; the larger one answers with a targeted `announce` so X learns about it and initiates.
 * A link that closes without a `leave` (ICE gave up) is re-announced so the pair can form again.
 */
import {
  MESH_SIGNAL_VERSION,
  parseMeshSignal,
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
  publish(data: unknown): boolean;
}

export interface MeshEvents extends Record<string, unknown> {
  'peer-open': { peerId: string; link: MeshLink };
  'peer-close': { peerId: string; reason: string };
}

export interface MeshOptions {
  localId: string;
  signaling: MeshSignaling;
  createLink(options: {
    remoteId: string;
    initiator: boolean;
    sendSignal(signal: PeerSignal): void;
  }): MeshLink;
}

export class Mesh {
  readonly localId: string;
  readonly events = new Emitter<MeshEvents>();
  readonly #options: MeshOptions;
  readonly #links = new Map<string, MeshLink>();
  readonly #open = new Set<string>();
  /** Peers we answered with a targeted announce since the last (re)subscribe: answer each once. */
  readonly #answered = new Set<string>();
  #disposed = false;

  constructor(options: MeshOptions) {
    this.#options = options;
    this.localId = options.localId;
  }

  /** Remote ids with an open link. */
  get peers(): string[] {
    return [...this.#open];
  }

  /** Call when the studio topic is (re)joined. */
  announce(): void {
    this.#answered.clear();
    this.#publish({ type: 'announce', v: MESH_SIGNAL_VERSION, from: this.localId });
  }

  /** Feed every `data` published on the studio topic here. */
  handle(data: unknown): void {
    if (this.#disposed) return;
    const signal = parseMeshSignal(data);
    if (!signal || signal.from === this.localId) return;
    if ('to' in signal && signal.to !== undefined && signal.to !== this.localId) return;
    switch (signal.type) {
      case 'announce':
        this.#onAnnounce(signal.from);
        return;
      case 'signal': {
        // Only an offer may open a link from the other side; stray candidates of a closed link are dropped.
        const isOffer = signal.signal.kind === 'description' && signal.signal.description.type === 'offer';
        const link = this.#links.get(signal.from) ?? (isOffer ? this.#linkFor(signal.from, false) : null);
        link?.handleSignal(signal.signal);
        return;
      }
      case 'leave':
        this.#links.get(signal.from)?.close('left');
        return;
    }
  }

  /** Says goodbye and closes every link. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#publish({ type: 'leave', v: MESH_SIGNAL_VERSION, from: this.localId });
    for (const link of [...this.#links.values()]) link.close('leaving');
    this.#links.clear();
    this.events.clear();
  }

  #onAnnounce(remoteId: string): void {
    if (this.#links.has(remoteId)) return;
    if (this.localId < remoteId) {
      this.#linkFor(remoteId, true);
    } else if (!this.#answered.has(remoteId)) {
      this.#answered.add(remoteId);
      this.#publish({ type: 'announce', v: MESH_SIGNAL_VERSION, from: this.localId, to: remoteId });
    }
  }

  #linkFor(remoteId: string, initiator: boolean): MeshLink {
    const existing = this.#links.get(remoteId);
    if (existing) return existing;
    const link = this.#options.createLink({
      remoteId,
      initiator,
      sendSignal: (signal) =>
        this.#publish({ type: 'signal', v: MESH_SIGNAL_VERSION, from: this.localId, to: remoteId, signal }),
    });
    this.#links.set(remoteId, link);
    link.events.on('open', () => {
      this.#open.add(remoteId);
      this.events.emit('peer-open', { peerId: remoteId, link });
    });
    link.events.on('close', ({ reason }) => {
      if (this.#links.get(remoteId) !== link) return;
      this.#links.delete(remoteId);
      this.#answered.delete(remoteId);
      const wasOpen = this.#open.delete(remoteId);
      if (wasOpen) this.events.emit('peer-close', { peerId: remoteId, reason });
      // Not a goodbye: the peer may still be there behind a broken path. Offer to meet again.
      if (!this.#disposed && reason !== 'left') {
        this.#publish({ type: 'announce', v: MESH_SIGNAL_VERSION, from: this.localId, to: remoteId });
      }
    });
    return link;
  }

  #publish(signal: MeshSignal): void {
    this.#options.signaling.publish(signal);
  }
}
