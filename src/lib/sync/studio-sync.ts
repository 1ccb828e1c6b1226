/**
 * The studio's shared state: one Yjs document and its awareness (presence), kept in sync with every
 * peer over the mesh's reliable channel using y-protocols. This is the only module family that
 * imports yjs; the rest of the app sees typed verbs and snapshots.
 *
 * Wire format on the reliable channel (one message per send): varuint tag, then the y-protocols
 * payload — tag 0 is document sync (step 1, step 2, update), tag 1 an awareness update.
 * Each peer sends only its own awareness state, so when a link closes, the states that arrived over it
 * are exactly the ones to forget.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { Emitter } from '../util/emitter';
import { isPresence, type Presence, type PresentPeer } from './presence';

export const SyncTag = { Doc: 0, Awareness: 1 } as const;

export interface SyncPeer {
  send(bytes: Uint8Array): boolean;
}

export interface StudioSyncEvents extends Record<string, unknown> {
  presence: PresentPeer[];
  /** A message from a peer could not be decoded; it was dropped. */
  'bad-message': { peerId: string; error: unknown };
}

/** Origin marker for changes that came from a peer, so they are not echoed back to it. */
interface RemoteOrigin {
  peerId: string;
}

export class StudioSync {
  readonly events = new Emitter<StudioSyncEvents>();
  readonly #doc = new Y.Doc();
  readonly #awareness = new awarenessProtocol.Awareness(this.#doc);
  readonly #peers = new Map<string, SyncPeer>();
  /** Awareness client ids learned over each peer's link. */
  readonly #clientsByPeer = new Map<string, Set<number>>();
  #disposed = false;

  constructor() {
    this.#doc.on('update', this.#onDocUpdate);
    this.#awareness.on('update', this.#onAwarenessUpdate);
    this.#awareness.on('change', this.#onAwarenessChange);
  }

  /** The document, for typed models built on it (the mixer comes here). */
  get doc(): Y.Doc {
    return this.#doc;
  }

  setLocalPresence(presence: Presence): void {
    this.#awareness.setLocalState(presence);
  }

  /** Everyone present, this player included (marked `self`), in a stable order. */
  presence(): PresentPeer[] {
    const present: PresentPeer[] = [];
    for (const [clientId, state] of this.#awareness.getStates()) {
      if (isPresence(state)) present.push({ ...state, clientId, self: clientId === this.#doc.clientID });
    }
    return present.sort((a, b) => a.joinedAt - b.joinedAt || a.clientId - b.clientId);
  }

  /** Starts syncing with a peer whose link just opened. */
  attach(peerId: string, peer: SyncPeer): void {
    if (this.#disposed) return;
    this.#peers.set(peerId, peer);
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SyncTag.Doc);
    syncProtocol.writeSyncStep1(encoder, this.#doc);
    peer.send(encoding.toUint8Array(encoder));
    if (this.#awareness.getLocalState() !== null) {
      peer.send(this.#encodeAwareness([this.#doc.clientID]));
    }
  }

  /** Stops syncing with a peer whose link closed and forgets its presence. */
  detach(peerId: string): void {
    this.#peers.delete(peerId);
    const clients = this.#clientsByPeer.get(peerId);
    this.#clientsByPeer.delete(peerId);
    if (clients && clients.size > 0) {
      awarenessProtocol.removeAwarenessStates(this.#awareness, [...clients], { peerId });
    }
  }

  /** Handles one message from a peer's reliable channel. Never throws: bad input is reported and dropped. */
  receive(peerId: string, bytes: Uint8Array): void {
    const peer = this.#peers.get(peerId);
    if (!peer || this.#disposed) return;
    const origin: RemoteOrigin = { peerId };
    try {
      const decoder = decoding.createDecoder(bytes);
      const tag = decoding.readVarUint(decoder);
      if (tag === SyncTag.Doc) {
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, SyncTag.Doc);
        syncProtocol.readSyncMessage(decoder, encoder, this.#doc, origin);
        // A step-1 request gets a step-2 answer; other messages need none.
        if (encoding.length(encoder) > 1) peer.send(encoding.toUint8Array(encoder));
      } else if (tag === SyncTag.Awareness) {
        awarenessProtocol.applyAwarenessUpdate(this.#awareness, decoding.readVarUint8Array(decoder), origin);
      } else {
        throw new Error(`unknown sync tag ${tag}`);
      }
    } catch (error) {
      this.events.emit('bad-message', { peerId, error });
    }
  }

  /** Tells peers this player is gone (so presence updates at once) and releases the document. */
  dispose(): void {
    if (this.#disposed) return;
    awarenessProtocol.removeAwarenessStates(this.#awareness, [this.#doc.clientID], 'local');
    this.#disposed = true;
    this.#doc.off('update', this.#onDocUpdate);
    this.#awareness.off('update', this.#onAwarenessUpdate);
    this.#awareness.off('change', this.#onAwarenessChange);
    this.#awareness.destroy();
    this.#doc.destroy();
    this.#peers.clear();
    this.#clientsByPeer.clear();
    this.events.clear();
  }

  readonly #onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SyncTag.Doc);
    syncProtocol.writeUpdate(encoder, update);
    const bytes = encoding.toUint8Array(encoder);
    // Forward to everyone but the peer it came from, so a peer missing one link still converges.
    const from = (origin as RemoteOrigin | null)?.peerId;
    for (const [peerId, peer] of this.#peers) if (peerId !== from) peer.send(bytes);
  };

  readonly #onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    const remote = (origin as RemoteOrigin | null)?.peerId;
    if (remote !== undefined) {
      // Remember which client ids live behind this link, so detach() can forget them.
      const known = this.#clientsByPeer.get(remote) ?? new Set<number>();
      for (const id of [...added, ...updated]) known.add(id);
      for (const id of removed) known.delete(id);
      this.#clientsByPeer.set(remote, known);
      return; // each peer speaks for itself: never relay others' presence
    }
    const mine = [...added, ...updated, ...removed].filter((id) => id === this.#doc.clientID);
    if (mine.length === 0) return;
    const bytes = this.#encodeAwareness(mine);
    for (const peer of this.#peers.values()) peer.send(bytes);
  };

  readonly #onAwarenessChange = (): void => {
    if (!this.#disposed) this.events.emit('presence', this.presence());
  };

  #encodeAwareness(clients: number[]): Uint8Array {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SyncTag.Awareness);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.#awareness, clients));
    return encoding.toUint8Array(encoder);
  }
}
