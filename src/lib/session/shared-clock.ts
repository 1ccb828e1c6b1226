/**
 * Each player's clock offset as the metronome needs it: by user id (timelines name their writer's user
 * id, see sync/metronome-doc.ts), from the Worker's per-source estimates (audio/worker/clock-offset.ts:
 * ping/pong midpoints over the direct audio channel, the median of the tightest few). A user with
 * several visits takes the tightest estimate; an offset is remembered after its player leaves (clocks
 * drift apart by at most tens of ppm: a timeline on a departed player's clock stays within a
 * millisecond for a minute or more).
 *
 * Without a direct link (an SFU room) each player measures the relay's clock instead, on its SFU
 * channel, and says so in presence; their clock − ours is then (relay − ours) − (relay − theirs), with
 * the two bounds added. A direct estimate is used when it is the tighter one.
 */
import type { SourceStats } from '../protocol/audio-worker';

export interface SharedClockOptions {
  /** Our user id: our own offset is 0. */
  me: string;
  /** The user id behind a source key (a peer id), as the relay attests it; null when unknown. */
  userOf: (peerId: string) => string | null;
  /** The relay's clock − `userId`'s, as that player last said in presence; null when it said none. */
  relayClockOf?: (userId: string) => UserClock | null;
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
  /** The relay's clock − ours, from the Worker's SFU stats; null until measured. */
  #relay: UserClock | null = null;

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

  /** Our offset to the relay (the Worker's `SfuStats`); null while no SFU channel measured it. */
  setRelayClock(clock: UserClock | null): void {
    this.#relay = clock;
  }

  /** The relay's clock − ours, as last measured; null while unmeasured. */
  get relayClock(): UserClock | null {
    return this.#relay;
  }

  /** `userId`'s clock − ours (ms): 0 for us, the best estimate for others, null if never measured. */
  offsetOf(userId: string): number | null {
    return this.clockOf(userId)?.offsetMs ?? null;
  }

  clockOf(userId: string): UserClock | null {
    if (userId === this.#options.me) return { offsetMs: 0, uncertaintyMs: 0 };
    const direct = this.#clocks.get(userId) ?? null;
    const viaRelay = this.#throughRelay(userId);
    if (!viaRelay) return direct;
    return direct && direct.uncertaintyMs <= viaRelay.uncertaintyMs ? direct : viaRelay;
  }

  #throughRelay(userId: string): UserClock | null {
    const ours = this.#relay;
    const theirs = ours ? (this.#options.relayClockOf?.(userId) ?? null) : null;
    if (!ours || !theirs) return null;
    return {
      offsetMs: ours.offsetMs - theirs.offsetMs,
      uncertaintyMs: ours.uncertaintyMs + theirs.uncertaintyMs,
    };
  }
}

/**
 * Whether a new relay clock reading differs from the one others have by enough to tell them again:
 * presence is sent to everyone, so not for every stats tick (once a second), only past 0.25 ms.
 */
export function relayClockMoved(said: UserClock | null, now: UserClock | null): boolean {
  if (!said || !now) return said !== now;
  return (
    Math.abs(said.offsetMs - now.offsetMs) > RELAY_CLOCK_STEP_MS ||
    Math.abs(said.uncertaintyMs - now.uncertaintyMs) > RELAY_CLOCK_STEP_MS
  );
}

const RELAY_CLOCK_STEP_MS = 0.25;
