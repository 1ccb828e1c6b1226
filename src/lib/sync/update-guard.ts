/**
 * Which Yjs structs a link may deliver. Yjs attributes every item to a client id (`item.id.client`)
 * that any writer can put into an update, so authorship is only as good as the path an item took:
 *
 * - a LIVE participant's items are accepted only over that participant's own link (the link the
 *   relay attested for it), never relayed through someone else, so no peer can write as another
 *   peer who is in the room — nor as us;
 * - items of a client the relay attested earlier in this room (a player who left, or a previous tab
 *   of a reloaded one) are accepted from any link: that history reaches a newcomer only from the
 *   peers who were there. A modified client could add items under such a departed client's id; the
 *   mixer then applies them only within the rights that departed identity had (threat-model.md);
 * - items of a client the relay never attested are dropped.
 *
 * Dropping is done on the encoded update (Y.diffUpdate against a state vector that marks the
 * dropped clients as fully known), so the rest of the update still applies.
 */
import * as Y from 'yjs';

export interface SyncAuthority {
  /** The Yjs client id the relay attests for a live peer (by peer id), or undefined. */
  clientOf(peerId: string): number | undefined;
  /** Is this client id a live peer's? */
  isLiveClient(client: number): boolean;
  /** Has the relay attested this client id in this room (live or past)? */
  isKnownClient(client: number): boolean;
}

/** A clock no real client reaches: marking a client with it makes diffUpdate skip all its structs. */
const ALL = Number.MAX_SAFE_INTEGER;

export interface GuardedUpdate {
  update: Uint8Array;
  /** Client ids whose structs were removed. */
  dropped: number[];
}

/** Clients whose structs an update over `linkClient`'s link may not carry. */
function refusedClients(
  clients: Iterable<number>,
  linkClient: number,
  selfClient: number,
  authority: SyncAuthority,
): number[] {
  const refused: number[] = [];
  for (const client of clients) {
    if (client === linkClient) continue;
    if (client === selfClient || authority.isLiveClient(client) || !authority.isKnownClient(client)) {
      refused.push(client);
    }
  }
  return refused;
}

/** The part of `update` that the link of `linkClient` may deliver. Throws on a malformed update. */
export function guardUpdate(
  update: Uint8Array,
  options: { linkClient: number; selfClient: number; authority: SyncAuthority },
): GuardedUpdate {
  const { from } = Y.parseUpdateMeta(update);
  const dropped = refusedClients(from.keys(), options.linkClient, options.selfClient, options.authority);
  if (dropped.length === 0) return { update, dropped };
  const skip = new Map(dropped.map((client) => [client, ALL]));
  return { update: Y.diffUpdate(update, Y.encodeStateVector(skip)), dropped };
}

/**
 * The state vector to answer a peer's sync step 1 with: what it asked for, but with every other live
 * participant marked as known (it gets their items from them directly, and would refuse ours).
 */
export function answerStateVector(
  requested: Uint8Array,
  options: { peerClient: number; selfClient: number; live: Iterable<number> },
): Uint8Array {
  const vector = Y.decodeStateVector(requested);
  for (const client of options.live) {
    if (client !== options.selfClient && client !== options.peerClient) vector.set(client, ALL);
  }
  return Y.encodeStateVector(vector);
}
