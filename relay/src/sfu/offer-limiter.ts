/**
 * How often one seat may offer the SFU a new connection. Every offer makes a native
 * node-datachannel PeerConnection (sockets, threads, DTLS state); the general message limit
 * (50/s) would let one player churn dozens a second. A browser offers once per attempt and backs
 * off from 500 ms between retries, so 2 a second and 20 a minute never bind it.
 */
export interface OfferLimits {
  perSecond: number;
  perMinute: number;
}

export const SFU_OFFER_LIMITS: OfferLimits = { perSecond: 2, perMinute: 20 };

export class OfferLimiter {
  readonly #limits: OfferLimits;
  readonly #now: () => number;
  /** Times (ms) of the offers accepted in the last minute, oldest first. */
  #accepted: number[] = [];

  constructor(limits: OfferLimits = SFU_OFFER_LIMITS, now: () => number = () => performance.now()) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Takes one offer if the limits allow it; a refused offer does not count. */
  take(): boolean {
    const now = this.#now();
    this.#accepted = this.#accepted.filter((t) => now - t < 60_000);
    const lastSecond = this.#accepted.filter((t) => now - t < 1_000).length;
    if (this.#accepted.length >= this.#limits.perMinute || lastSecond >= this.#limits.perSecond) return false;
    this.#accepted.push(now);
    return true;
  }
}
