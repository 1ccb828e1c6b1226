/**
 * Asks the relay for the SFU when this player cannot reach someone directly (or through TURN), and
 * withdraws the ask once every pair connects again (`route-request`, protocol/sfu.ts). Evidence of an
 * unreachable pair: a mesh link to a peer that did not open in time (each attempt already waited for
 * ICE, TURN included), or links to a peer that opened and then broke `breaksBeforeRequest` times while
 * the peer stayed. The relay forgets a request with our connection, so it is repeated after every
 * (re)subscribe.
 */
export class RouteRequests {
  readonly #request: (unreachable: boolean) => boolean;
  readonly #breaksBeforeRequest: number;
  readonly #breaks = new Map<string, number>();
  readonly #unreachable = new Set<string>();
  #requested = false;

  constructor(options: { request(unreachable: boolean): boolean; breaksBeforeRequest?: number }) {
    this.#request = options.request;
    this.#breaksBeforeRequest = options.breaksBeforeRequest ?? 2;
  }

  /** Peers we could not reach, as far as we know. */
  get unreachable(): string[] {
    return [...this.#unreachable];
  }

  get requested(): boolean {
    return this.#requested;
  }

  /** A link to `peerId` never opened (it timed out, or ICE gave up). */
  timedOut(peerId: string): void {
    this.#mark(peerId);
  }

  /** An open link to `peerId` broke while the peer stayed in the room. */
  broke(peerId: string): void {
    const breaks = (this.#breaks.get(peerId) ?? 0) + 1;
    this.#breaks.set(peerId, breaks);
    if (breaks >= this.#breaksBeforeRequest) this.#mark(peerId);
  }

  /** A link to `peerId` opened: the pair connects. */
  connected(peerId: string): void {
    this.#breaks.delete(peerId);
    this.#clear(peerId);
  }

  left(peerId: string): void {
    this.#breaks.delete(peerId);
    this.#clear(peerId);
  }

  /** We were (re)admitted: the relay has no request of ours any more. */
  subscribed(): void {
    if (this.#requested) this.#requested = this.#request(true);
  }

  #mark(peerId: string): void {
    this.#unreachable.add(peerId);
    if (!this.#requested) this.#requested = this.#request(true);
  }

  #clear(peerId: string): void {
    if (!this.#unreachable.delete(peerId) || this.#unreachable.size > 0 || !this.#requested) return;
    // Not sent (no relay connection): the relay forgot the request with the connection anyway.
    this.#request(false);
    this.#requested = false;
  }
}
