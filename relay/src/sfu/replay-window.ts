/**
 * Per-sender replay filter on the sealed frame's `seq` (u32, wraps at 2^32): a frame forwarded once
 * is never forwarded again, and a frame older than the window is dropped. Without it, one player
 * re-sending its own frames would have the relay multiply them to everyone in the room.
 *
 * The window remembers the last {@link REPLAY_WINDOW} sequence numbers below the newest one seen.
 * Comparisons are on the signed 32-bit difference, so the window is wrap-around safe.
 *
 * A sender's encoder starts again at seq 0 after a restart (a new frame size, a new codec), which
 * looks "older than the window" — or, when the old stream was short, like replays of its frames.
 * A frame flagged as the first of a stream resets the window wherever its seq falls; so do
 * {@link RESYNC_AFTER} stale or duplicate frames in a row (the flagged frame may have been lost on
 * the way up). A sender can only replay
 * its own frames through either path, at its own flood limit's cost.
 */

/** Sequence numbers remembered: 1,024 frames = 2.56 s at 2.5 ms frames. A power of two. */
export const REPLAY_WINDOW = 1024;
/** Consecutive stale frames after which the sender is taken to have restarted its stream. */
export const RESYNC_AFTER = 64;

export const ReplayVerdict = { Fresh: 0, Duplicate: 1, Stale: 2 } as const;
export type ReplayVerdict = (typeof ReplayVerdict)[keyof typeof ReplayVerdict];

const MASK = REPLAY_WINDOW - 1;

export class ReplayWindow {
  /** seq stored in the slot `seq & MASK`, valid where `#valid` is 1. */
  readonly #slots = new Uint32Array(REPLAY_WINDOW);
  readonly #valid = new Uint8Array(REPLAY_WINDOW);
  #top = 0;
  #started = false;
  #staleRun = 0;

  /** Classifies `seq` and, when fresh, records it. `streamStart` is the frame's restart flag. */
  check(seq: number, streamStart = false): ReplayVerdict {
    seq >>>= 0;
    if (!this.#started) {
      this.#reset(seq);
      return ReplayVerdict.Fresh;
    }
    const ahead = (seq - this.#top) | 0;
    if (streamStart && ahead <= 0) {
      this.#reset(seq);
      return ReplayVerdict.Fresh;
    }
    if (ahead > 0) {
      this.#advance(seq, ahead);
      this.#staleRun = 0;
      return ReplayVerdict.Fresh;
    }
    const slot = seq & MASK;
    if (-ahead < REPLAY_WINDOW) {
      if (this.#valid[slot] === 1 && this.#slots[slot] === seq) {
        this.#staleRun += 1;
        if (this.#staleRun > RESYNC_AFTER) {
          this.#reset(seq);
          return ReplayVerdict.Fresh;
        }
        return ReplayVerdict.Duplicate;
      }
      this.#valid[slot] = 1;
      this.#slots[slot] = seq;
      this.#staleRun = 0;
      return ReplayVerdict.Fresh;
    }
    this.#staleRun += 1;
    if (this.#staleRun > RESYNC_AFTER) {
      this.#reset(seq);
      return ReplayVerdict.Fresh;
    }
    return ReplayVerdict.Stale;
  }

  #advance(seq: number, ahead: number): void {
    // Slots between the old top and the new one now stand for sequence numbers never seen.
    if (ahead >= REPLAY_WINDOW) this.#valid.fill(0);
    else for (let s = this.#top + 1, i = 1; i < ahead; i++, s++) this.#valid[s & MASK] = 0;
    this.#top = seq;
    this.#valid[seq & MASK] = 1;
    this.#slots[seq & MASK] = seq;
  }

  #reset(seq: number): void {
    this.#valid.fill(0);
    this.#started = true;
    this.#staleRun = 0;
    this.#top = seq;
    this.#valid[seq & MASK] = 1;
    this.#slots[seq & MASK] = seq;
  }
}
