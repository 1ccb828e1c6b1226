/**
 * The offset of a remote player's epoch clock from ours (remote − local, ms), from ping/pong exchanges:
 * each gives the remote's time at reply against the midpoint of our send and receive times. The error
 * of one sample is the asymmetry of its two one-way delays, at most half its round trip, so, as NTP's
 * clock filter does, only the samples with the smallest round trips are trusted: of the last
 * {@link CLOCK_SAMPLES}, the {@link CLOCK_NEAREST} with the smallest error bound, and the offset is the
 * median of theirs (which survives one bad sample). Two computers' clocks also drift apart by up to
 * tens of ppm, so, again as NTP does, a sample's bound grows with its age at {@link MAX_DRIFT}: an old
 * fast sample gives way to a fresh one that is nearly as fast.
 */

/** Samples kept (at one ping per 500 ms: the last 16 s). */
export const CLOCK_SAMPLES = 32;
/** Samples the offset is the median of. */
export const CLOCK_NEAREST = 3;
/** Drift assumed between two clocks when aging a sample (50 ppm: generous for quartz). */
export const MAX_DRIFT = 50e-6;
const MAX_RTT_MS = 10_000;

export interface ClockEstimate {
  /** Remote clock − local clock, ms. */
  offsetMs: number;
  /**
   * A bound on the offset's error, ms: the largest, among the samples used, of half the round trip
   * plus the drift allowed for since the sample.
   */
  uncertaintyMs: number;
}

interface Sample {
  /** Local midpoint of the exchange. */
  at: number;
  offset: number;
  rtt: number;
}

export class ClockOffset {
  readonly #capacity: number;
  readonly #nearest: number;
  readonly #samples: Sample[] = [];
  #next = 0;
  #estimate: ClockEstimate | null = null;

  constructor(options: { capacity?: number; nearest?: number } = {}) {
    this.#capacity = Math.max(1, options.capacity ?? CLOCK_SAMPLES);
    this.#nearest = Math.max(1, Math.min(this.#capacity, options.nearest ?? CLOCK_NEAREST));
  }

  /** Samples held. */
  get size(): number {
    return this.#samples.length;
  }

  /**
   * One exchange: our clock when the ping left (`sentMs`) and when the pong came (`receivedMs`), and
   * the remote's clock when it replied. False (ignored) when the times make no sense.
   */
  add(sentMs: number, remoteMs: number, receivedMs: number): boolean {
    const rtt = receivedMs - sentMs;
    if (!(rtt >= 0 && rtt < MAX_RTT_MS) || !Number.isFinite(remoteMs) || !Number.isFinite(sentMs))
      return false;
    const at = (sentMs + receivedMs) / 2;
    const sample = { at, offset: remoteMs - at, rtt };
    if (this.#samples.length < this.#capacity) this.#samples.push(sample);
    else this.#samples[this.#next] = sample;
    this.#next = (this.#next + 1) % this.#capacity;
    this.#estimate = this.#fit(at);
    return true;
  }

  /** The latest estimate (as of the newest sample), or null before the first. */
  estimate(): ClockEstimate | null {
    return this.#estimate;
  }

  reset(): void {
    this.#samples.length = 0;
    this.#next = 0;
    this.#estimate = null;
  }

  #fit(now: number): ClockEstimate {
    const bound = (s: Sample) => s.rtt / 2 + MAX_DRIFT * Math.max(0, now - s.at);
    const nearest = this.#samples
      .map((s) => ({ offset: s.offset, bound: bound(s) }))
      .sort((a, b) => a.bound - b.bound)
      .slice(0, this.#nearest);
    return {
      offsetMs: median(nearest.map((s) => s.offset)),
      uncertaintyMs: Math.max(...nearest.map((s) => s.bound)),
    };
  }
}

function median(values: number[]): number {
  const sorted = values.sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
