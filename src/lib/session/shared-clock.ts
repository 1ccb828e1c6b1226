/**
 * Each player's clock offset as the metronome needs it: by user id (timelines name their writer's user
 * id, see sync/metronome-doc.ts), from the Worker's per-source estimates (audio/worker/clock-offset.ts:
 * ping/pong midpoints over the direct audio channel, the median of the tightest few). A user with
 * several visits takes the tightest estimate; an offset is remembered after its player leaves (clocks
 * drift apart by at most tens of ppm: a timeline on a departed player's clock stays within a
 * millisecond for a minute or more).
 */
import type { SourceStats } from '../protocol/audio-worker';

export interface SharedClockOptions {
  /** Our user id: our own offset is 0. */
  me: string;
  /** The user id behind a source key (a peer id), as the relay attests it; null when unknown. */
  userOf: (peerId: string) => string | null;
}

export interface UserClock {
  /** Their epoch clock − ours, ms. */
  offsetMs: number;
  /** Error bound of the estimate, ms. */
  uncertaintyMs: number;
}

export class SharedClock {
  readonly #options: SharedClockOptions;
  readonly #clocks = new Map<string, UserClock>();

  constructor(options: SharedClockOptions) {
    this.#options = options;
  }

  /** One stats sample from the Worker. */
  update(sources: readonly SourceStats[]): void {
    const fresh = new Map<string, UserClock>();
    for (const source of sources) {
      const userId = this.#options.userOf(source.sourceKey);
      if (!userId || source.clockOffsetMs === null || source.clockUncertaintyMs === null) continue;
      const best = fresh.get(userId);
      if (!best || source.clockUncertaintyMs < best.uncertaintyMs)
        fresh.set(userId, { offsetMs: source.clockOffsetMs, uncertaintyMs: source.clockUncertaintyMs });
    }
    for (const [userId, clock] of fresh) this.#clocks.set(userId, clock);
  }

  /** `userId`'s clock − ours (ms): 0 for us, the last estimate for others, null if never measured. */
  offsetOf(userId: string): number | null {
    if (userId === this.#options.me) return 0;
    return this.#clocks.get(userId)?.offsetMs ?? null;
  }

  clockOf(userId: string): UserClock | null {
    if (userId === this.#options.me) return { offsetMs: 0, uncertaintyMs: 0 };
    return this.#clocks.get(userId) ?? null;
  }
}
