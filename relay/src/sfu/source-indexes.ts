/**
 * A room's SFU source indexes: each peer in the room gets a u16 the relay stamps on its frames, so a
 * receiver knows whose frame it holds without trusting the sender. An index is unique in the room
 * while its peer is there; a departed peer's index is not given out again until every other u16 has
 * been used, so a late frame or a stale `room-route` cannot be attributed to a newcomer.
 */
import { SFU_MAX_SOURCE_INDEX, type SfuSource } from '../../../src/lib/protocol/sfu.js';

const INDEX_COUNT = SFU_MAX_SOURCE_INDEX + 1;

export class SourceIndexes {
  readonly #byPeer = new Map<string, number>();
  readonly #used = new Set<number>();
  #next = 0;

  get size(): number {
    return this.#byPeer.size;
  }

  indexOf(peerId: string): number | undefined {
    return this.#byPeer.get(peerId);
  }

  /**
   * Makes the assignment match `peerIds` (the room's peers now): newcomers get fresh indexes (in
   * the given order), peers gone lose theirs. Returns whether anything changed.
   */
  sync(peerIds: Iterable<string>): boolean {
    const present = new Set(peerIds);
    let changed = false;
    for (const [peerId, index] of this.#byPeer) {
      if (present.has(peerId)) continue;
      this.#byPeer.delete(peerId);
      this.#used.delete(index);
      changed = true;
    }
    for (const peerId of present) {
      if (this.#byPeer.has(peerId)) continue;
      this.#byPeer.set(peerId, this.#allocate());
      changed = true;
    }
    return changed;
  }

  /** Every peer with its index, in index-assignment order. */
  sources(): SfuSource[] {
    return [...this.#byPeer].map(([peerId, index]) => ({ peerId, index }));
  }

  #allocate(): number {
    // A room holds at most ROOM_PLAYERS_CAP peers, far below 65,536: a free index always exists.
    for (let tries = 0; tries < INDEX_COUNT; tries++) {
      const index = this.#next;
      this.#next = (this.#next + 1) % INDEX_COUNT;
      if (!this.#used.has(index)) {
        this.#used.add(index);
        return index;
      }
    }
    throw new RangeError('No free SFU source index.');
  }
}
