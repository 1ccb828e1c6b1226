/**
 * The studio's shared state: one Yjs document and its awareness, kept in sync with every peer over
 * the mesh's reliable channel (wire format: protocol/sync-wire.ts). This module family is the only
 * importer of yjs; the rest of the app sees typed verbs and snapshots.
 *
 * Trust (ADR 0008): a link's peer is known only by what the relay attests, including the Yjs client
 * id it writes with. Over a link we accept
 * - document structs as update-guard.ts allows (a live participant's items only from that
 *   participant, never relayed; so we also never forward other peers' updates, only our own);
 * - awareness only for the link's own client id, and only the shape of an AudioPresence.
 * Messages larger than a data channel allows are sent in pieces; updates and reassembled messages
 * have size limits. Anything refused or undecodable is reported as a `problem`, never swallowed.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import {
  SYNC_MAX_AWARENESS_BYTES,
  SYNC_MAX_UPDATE_BYTES,
  SYNC_UPDATE_BYTES_PER_MINUTE,
  SyncTag,
} from '../protocol/sync-wire';
import { Emitter } from '../util/emitter';
import { ChunkAssembler, splitMessage } from './chunks';
import { isAudioPresence, type AudioPresence } from './presence';
import { answerStateVector, guardUpdate, type SyncAuthority } from './update-guard';

export { SyncTag } from '../protocol/sync-wire';
export type { SyncAuthority } from './update-guard';

export interface SyncPeer {
  send(bytes: Uint8Array): boolean;
}

export type SyncProblemCode =
  'too-large' | 'malformed' | 'refused-structs' | 'unattested-link' | 'send-failed';

export interface StudioSyncEvents extends Record<string, unknown> {
  /** Some peer's audio presence changed (or a peer's went away). */
  presence: undefined;
  /** Something a peer sent was refused, or could not be decoded, or could not be sent. */
  problem: { peerId: string; code: SyncProblemCode; message: string };
}

interface LinkState {
  peer: SyncPeer;
  /** The client id the relay attests for this peer. */
  client: number;
  assembler: ChunkAssembler;
  /** Whether the peer's awareness state arrived (it then counts as present). */
  heard: boolean;
  /** Whether its answer to our one sync step 1 arrived: a later step 2 is held to the update limit. */
  answered: boolean;
  /** Update bytes this link may still deliver (refilled at SYNC_UPDATE_BYTES_PER_MINUTE). */
  budget: { bytes: number; at: number };
}

/** Origin marker for changes that came from a peer. */
interface RemoteOrigin {
  peerId: string;
}

export class StudioSync {
  readonly events = new Emitter<StudioSyncEvents>();
  readonly #doc = new Y.Doc();
  readonly #awareness: awarenessProtocol.Awareness;
  readonly #authority: SyncAuthority;
  readonly #now: () => number;
  readonly #links = new Map<string, LinkState>();
  #nextChunkId = 1;
  #disposed = false;

  constructor(options: { authority: SyncAuthority; now?: () => number }) {
    this.#authority = options.authority;
    this.#now = options.now ?? (() => performance.now());
    this.#awareness = new awarenessProtocol.Awareness(this.#doc);
    // Awareness starts with `{}`; we say nothing until the session sets our audio presence.
    this.#awareness.setLocalState(null);
    this.#doc.on('update', this.#onDocUpdate);
    this.#awareness.on('update', this.#onAwarenessUpdate);
    this.#awareness.on('change', this.#onAwarenessChange);
  }

  /** The document, for typed models built on it (the mixer). */
  get doc(): Y.Doc {
    return this.#doc;
  }

  /** The Yjs client id our writes carry; declared to the relay, which attests it to the others. */
  get clientId(): number {
    return this.#doc.clientID;
  }

  setLocalAudio(presence: AudioPresence): void {
    if (!this.#disposed) this.#awareness.setLocalState(presence);
  }

  /** What the peer writing with `client` last said about its audio, or null. */
  audioOf(client: number): AudioPresence | null {
    const state = this.#awareness.getStates().get(client);
    return client !== this.#doc.clientID && isAudioPresence(state) ? state : null;
  }

  /** Whether the link to `peerId` is attached and its presence arrived. */
  heard(peerId: string): boolean {
    return this.#links.get(peerId)?.heard === true;
  }

  /** Starts syncing with a peer whose link just opened. */
  attach(peerId: string, peer: SyncPeer): void {
    if (this.#disposed) return;
    const client = this.#authority.clientOf(peerId);
    if (client === undefined) {
      this.#problem(peerId, 'unattested-link', 'A link opened to a peer the relay does not list.');
      return;
    }
    this.#links.set(peerId, {
      peer,
      client,
      assembler: new ChunkAssembler(),
      heard: false,
      answered: false,
      budget: { bytes: SYNC_UPDATE_BYTES_PER_MINUTE, at: this.#now() },
    });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SyncTag.Doc);
    syncProtocol.writeSyncStep1(encoder, this.#doc);
    this.#send(peerId, encoding.toUint8Array(encoder));
    if (this.#awareness.getLocalState() !== null) {
      this.#send(peerId, this.#encodeAwareness([this.#doc.clientID]));
    }
  }

  /**
   * The way to a peer changed (its direct link opened or closed; the relay carries the sync meanwhile):
   * ask again for what we lack and repeat our presence, so a message lost in the changeover is repaired.
   */
  resync(peerId: string): void {
    if (this.#disposed || !this.#links.has(peerId)) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SyncTag.Doc);
    syncProtocol.writeSyncStep1(encoder, this.#doc);
    this.#send(peerId, encoding.toUint8Array(encoder));
    if (this.#awareness.getLocalState() !== null) {
      this.#send(peerId, this.#encodeAwareness([this.#doc.clientID]));
    }
  }

  /** Stops syncing with a peer whose link closed and forgets its presence. */
  detach(peerId: string): void {
    const link = this.#links.get(peerId);
    if (!link) return;
    this.#links.delete(peerId);
    const had = this.#awareness.getStates().has(link.client);
    // Forget its clock too: when the pair meets again the peer re-sends its state with the same clock
    // if nothing changed, and y-protocols would ignore that as old news.
    this.#awareness.meta.delete(link.client);
    if (had) {
      awarenessProtocol.removeAwarenessStates(this.#awareness, [link.client], { peerId });
    } else if (link.heard) {
      this.events.emit('presence', undefined);
    }
  }

  /** Handles one message from a peer's reliable channel. Never throws: bad input is reported and dropped. */
  receive(peerId: string, bytes: Uint8Array): void {
    const link = this.#links.get(peerId);
    if (!link || this.#disposed) return;
    try {
      const decoder = decoding.createDecoder(bytes);
      const tag = decoding.readVarUint(decoder);
      if (tag !== SyncTag.Chunk) {
        this.#handle(peerId, link, tag, decoder);
        return;
      }
      const result = link.assembler.push(decoder);
      if (result.kind === 'refused') {
        this.#problem(
          peerId,
          result.reason === 'too-large' ? 'too-large' : 'malformed',
          `A message in pieces was refused (${result.reason}).`,
        );
      } else if (result.kind === 'done') {
        const inner = decoding.createDecoder(result.bytes);
        const innerTag = decoding.readVarUint(inner);
        if (innerTag === SyncTag.Chunk) throw new Error('nested pieces');
        this.#handle(peerId, link, innerTag, inner);
      }
    } catch (error) {
      this.#problem(peerId, 'malformed', `A message could not be decoded: ${describe(error)}.`);
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
    this.#links.clear();
    this.events.clear();
  }

  #handle(peerId: string, link: LinkState, tag: number, decoder: decoding.Decoder): void {
    if (tag === SyncTag.Doc) this.#handleDoc(peerId, link, decoder);
    else if (tag === SyncTag.Awareness)
      this.#handleAwareness(peerId, link, decoding.readVarUint8Array(decoder));
    else throw new Error(`unknown sync tag ${tag}`);
  }

  #handleDoc(peerId: string, link: LinkState, decoder: decoding.Decoder): void {
    const type = decoding.readVarUint(decoder);
    if (type === syncProtocol.messageYjsSyncStep1) {
      const vector = answerStateVector(decoding.readVarUint8Array(decoder), {
        peerClient: link.client,
        selfClient: this.#doc.clientID,
        live: this.#liveClients(),
      });
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, SyncTag.Doc);
      encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2);
      encoding.writeVarUint8Array(encoder, Y.encodeStateAsUpdate(this.#doc, vector));
      this.#send(peerId, encoding.toUint8Array(encoder));
      return;
    }
    if (type !== syncProtocol.messageYjsSyncStep2 && type !== syncProtocol.messageYjsUpdate) {
      throw new Error(`unknown sync message ${type}`);
    }
    const update = decoding.readVarUint8Array(decoder);
    // The whole state may exceed the update limit, but only once: we ask for it once per link.
    const limited = type === syncProtocol.messageYjsUpdate || link.answered;
    if (type === syncProtocol.messageYjsSyncStep2) link.answered = true;
    if (limited && update.length > SYNC_MAX_UPDATE_BYTES) {
      this.#problem(
        peerId,
        'too-large',
        `An update of ${update.length} bytes was refused (limit ${SYNC_MAX_UPDATE_BYTES}).`,
      );
      return;
    }
    if (limited && !this.#spend(link, update.length)) {
      this.#problem(peerId, 'too-large', 'Updates above the per-minute budget were refused.');
      return;
    }
    const guarded = guardUpdate(update, {
      linkClient: link.client,
      selfClient: this.#doc.clientID,
      authority: this.#authority,
    });
    if (guarded.dropped.length > 0) {
      this.#problem(
        peerId,
        'refused-structs',
        `Writes attributed to ${guarded.dropped.length} other participant(s) were refused.`,
      );
    }
    Y.applyUpdate(this.#doc, guarded.update, { peerId } satisfies RemoteOrigin);
  }

  #spend(link: LinkState, bytes: number): boolean {
    const now = this.#now();
    const refill = ((now - link.budget.at) / 60_000) * SYNC_UPDATE_BYTES_PER_MINUTE;
    link.budget.bytes = Math.min(SYNC_UPDATE_BYTES_PER_MINUTE, link.budget.bytes + refill);
    link.budget.at = now;
    if (link.budget.bytes < bytes) return false;
    link.budget.bytes -= bytes;
    return true;
  }

  #handleAwareness(peerId: string, link: LinkState, update: Uint8Array): void {
    if (update.length > SYNC_MAX_AWARENESS_BYTES) {
      this.#problem(peerId, 'too-large', 'A presence update was too large.');
      return;
    }
    const own = onlyOwnState(update, link.client);
    if (own.refused > 0) {
      this.#problem(peerId, 'refused-structs', 'Presence for other participants was refused.');
    }
    if (!own.update) return;
    link.heard = true;
    awarenessProtocol.applyAwarenessUpdate(this.#awareness, own.update, { peerId } satisfies RemoteOrigin);
    this.events.emit('presence', undefined);
  }

  /**
   * The live participants whose items we hold: all of them, not only those linked to us now. A peer
   * refuses a live participant's items from anyone but that participant, whether or not our own link
   * to it is up at the moment.
   */
  #liveClients(): number[] {
    return [...this.#doc.store.clients.keys()].filter((c) => this.#authority.isLiveClient(c));
  }

  #send(peerId: string, bytes: Uint8Array): void {
    const link = this.#links.get(peerId);
    if (!link) return;
    const pieces = splitMessage(bytes, this.#nextChunkId++);
    for (const piece of pieces) {
      let sent: boolean;
      try {
        sent = link.peer.send(piece);
      } catch {
        sent = false; // a data channel throws when its send queue is full
      }
      if (!sent) {
        this.#problem(peerId, 'send-failed', 'The studio state could not be sent to this player.');
        return;
      }
    }
  }

  #problem(peerId: string, code: SyncProblemCode, message: string): void {
    this.events.emit('problem', { peerId, code, message });
  }

  readonly #onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    // Only our own writes go out: a peer's writes reach every other peer over its own link.
    if ((origin as RemoteOrigin | null)?.peerId !== undefined) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SyncTag.Doc);
    syncProtocol.writeUpdate(encoder, update);
    const bytes = encoding.toUint8Array(encoder);
    for (const peerId of this.#links.keys()) this.#send(peerId, bytes);
  };

  readonly #onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if ((origin as RemoteOrigin | null)?.peerId !== undefined) return; // each peer speaks for itself
    const mine = [...added, ...updated, ...removed].filter((id) => id === this.#doc.clientID);
    if (mine.length === 0) return;
    const bytes = this.#encodeAwareness(mine);
    for (const peerId of this.#links.keys()) this.#send(peerId, bytes);
  };

  readonly #onAwarenessChange = (): void => {
    if (!this.#disposed) this.events.emit('presence', undefined);
  };

  #encodeAwareness(clients: number[]): Uint8Array {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SyncTag.Awareness);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.#awareness, clients));
    return encoding.toUint8Array(encoder);
  }
}

/**
 * The entries of an awareness update (varuint count; per entry varuint client, varuint clock, JSON
 * string) that concern `client` and hold an AudioPresence (or null: the peer went away), re-encoded.
 */
function onlyOwnState(update: Uint8Array, client: number): { update: Uint8Array | null; refused: number } {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const kept: Array<[number, number, string]> = [];
  let refused = 0;
  for (let i = 0; i < count; i++) {
    const id = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const json = decoding.readVarString(decoder);
    const state: unknown = JSON.parse(json);
    if (id === client && (state === null || isAudioPresence(state))) kept.push([id, clock, json]);
    else refused += 1;
  }
  if (kept.length === 0) return { update: null, refused };
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, kept.length);
  for (const [id, clock, json] of kept) {
    encoding.writeVarUint(encoder, id);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, json);
  }
  return { update: encoding.toUint8Array(encoder), refused };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 120) : 'unknown error';
}
