/**
 * Per-connection message limits.
 *
 * A {@link TokenBucket} admits `ratePerSecond` messages on average with bursts up to `burst`.
 * {@link MessageLimiter} pairs two buckets: the normal one (excess messages are dropped with a
 * `rate-limited` error) and a flood bucket at 5× the rate holding two seconds of that (when it runs
 * dry the client has sent far more than allowed for about two seconds, and is disconnected).
 */
export interface TokenBucketOptions {
  ratePerSecond: number;
  burst: number;
  /** Milliseconds, monotonic; `performance.now` by default. */
  now?: () => number;
}

export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError('TokenBucket needs ratePerSecond > 0 and burst >= 1.');
    }
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = options.burst;
    this.#updatedAt = this.#now();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsed * this.#rate) / 1000);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

export const LimitVerdict = {
  Accept: 'accept',
  /** Over the rate: drop this message and tell the client. */
  Drop: 'drop',
  /** Sustained flood: disconnect. */
  Flood: 'flood',
} as const;
export type LimitVerdict = (typeof LimitVerdict)[keyof typeof LimitVerdict];

export const FLOOD_FACTOR = 5;
export const FLOOD_SECONDS = 2;

export interface MessageLimiterOptions {
  ratePerSecond: number;
  burst: number;
  now?: () => number;
}

export class MessageLimiter {
  readonly #normal: TokenBucket;
  readonly #flood: TokenBucket;

  constructor(options: MessageLimiterOptions) {
    this.#normal = new TokenBucket(options);
    const floodRate = options.ratePerSecond * FLOOD_FACTOR;
    this.#flood = new TokenBucket({
      ratePerSecond: floodRate,
      burst: floodRate * FLOOD_SECONDS,
      now: options.now,
    });
  }

  /** Classifies one incoming message. Every message counts, valid or not. */
  check(): LimitVerdict {
    if (!this.#flood.take()) return LimitVerdict.Flood;
    return this.#normal.take() ? LimitVerdict.Accept : LimitVerdict.Drop;
  }
}
