/**
 * A throttled animation-frame clock for UI that mirrors fast-changing engine values (meters). It calls
 * its listeners on an animation frame about 30 times a second (one tick per `intervalMs` slot of frame
 * time) and not at all while the document is hidden. Between ticks it sleeps on a timer instead of
 * requesting animation frames it would only skip, so the page's main thread does not wake at the display's
 * full rate: the UI must not compete with the audio Worker for the CPU.
 *
 * Ticks happen on the first frame whose timestamp enters a new slot (`floor(time / intervalMs)`). Every
 * animation-frame callback of one frame sees the same timestamp, so separate clocks on one page (the
 * audio panel's and the mixer's) tick on the same frames, and the page still renders at 30 Hz, not
 * at 30 Hz twice out of phase. With an interval above two 60 Hz frames (default 34 ms), two ticks are
 * at least two frames (33.3 ms) apart on a 60 Hz display.
 *
 * Not a singleton: each state object owns one. Unsubscribing and dispose() are idempotent.
 */

type TimerId = ReturnType<typeof setTimeout>;

/** What the clock needs from its environment (the browser's globals unless a test passes its own). */
export interface FrameHost {
  requestAnimationFrame(callback: (time: number) => void): number;
  cancelAnimationFrame(id: number): void;
  setTimeout(callback: () => void, ms: number): TimerId;
  /** The clock of animation-frame timestamps (performance.now()). */
  now(): number;
  clearTimeout(id: TimerId): void;
  /** Hidden documents get no ticks; `visibilitychange` resumes them. */
  document?: Pick<Document, 'hidden' | 'addEventListener' | 'removeEventListener'> | null;
}

export interface FrameClockOptions {
  /** Length of a slot of frame time with one tick, in ms. */
  intervalMs?: number;
  /** Defaults to the browser's globals; without requestAnimationFrame (SSR, Node) the clock never ticks. */
  host?: FrameHost | null;
}

/** A little more than two 60 Hz frames: ticks 33.3 ms apart (sometimes 50), never one frame apart. */
export const DEFAULT_FRAME_INTERVAL_MS = 34;

export class FrameClock {
  readonly #intervalMs: number;
  readonly #host: FrameHost | null;
  readonly #listeners = new Set<() => void>();
  #frame: number | null = null;
  #timer: TimerId | null = null;
  /** The slot of the last tick. */
  #slot = Number.NEGATIVE_INFINITY;
  #watchingVisibility = false;
  #disposed = false;

  constructor(options: FrameClockOptions = {}) {
    this.#intervalMs = Math.max(1, options.intervalMs ?? DEFAULT_FRAME_INTERVAL_MS);
    this.#host = options.host === undefined ? browserHost() : options.host;
  }

  /** Calls `listener` on each tick until the returned function (idempotent) is called. */
  subscribe(listener: () => void): () => void {
    if (this.#disposed || !this.#host) return () => undefined;
    const entry = () => listener(); // one entry per subscription, even for the same listener twice
    this.#listeners.add(entry);
    this.#sync();
    return () => {
      if (!this.#listeners.delete(entry)) return;
      this.#sync();
    };
  }

  /** Whether a tick is pending (tests read it). */
  get running(): boolean {
    return this.#frame !== null || this.#timer !== null;
  }

  /** Drops every listener and stops for good; later subscriptions do nothing. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#listeners.clear();
    this.#sync();
  }

  #wanted(): boolean {
    return !this.#disposed && this.#listeners.size > 0;
  }

  #hidden(): boolean {
    return this.#host?.document?.hidden === true;
  }

  /** Starts or stops the loop and the visibility listener to match the listeners and the document. */
  #sync(): void {
    const host = this.#host;
    if (!host) return;
    const wanted = this.#wanted();
    const doc = host.document;
    if (doc && wanted !== this.#watchingVisibility) {
      if (wanted) doc.addEventListener('visibilitychange', this.#onVisibility);
      else doc.removeEventListener('visibilitychange', this.#onVisibility);
      this.#watchingVisibility = wanted;
    }
    if (wanted && !this.#hidden()) {
      if (this.#frame === null && this.#timer === null) {
        this.#frame = host.requestAnimationFrame(this.#onFrame);
      }
      return;
    }
    if (this.#frame !== null) host.cancelAnimationFrame(this.#frame);
    if (this.#timer !== null) host.clearTimeout(this.#timer);
    this.#frame = null;
    this.#timer = null;
  }

  readonly #onVisibility = (): void => this.#sync();

  readonly #onFrame = (time: number): void => {
    this.#frame = null;
    const host = this.#host;
    if (!host || !this.#wanted() || this.#hidden()) return;
    const slot = Math.floor(time / this.#intervalMs);
    if (slot <= this.#slot) {
      this.#frame = host.requestAnimationFrame(this.#onFrame); // woke a frame before the slot began
      return;
    }
    this.#slot = slot;
    // Sleep until the next slot begins, then wait for its first frame: no animation frames are requested
    // (so the page is not woken) for the frames in between. Scheduled before the listeners run, so a
    // listener that throws cannot stop the clock.
    const wait = (slot + 1) * this.#intervalMs - host.now();
    this.#timer = host.setTimeout(this.#onTimer, Math.max(0, wait));
    for (const listener of [...this.#listeners]) listener();
  };

  readonly #onTimer = (): void => {
    this.#timer = null;
    this.#sync();
  };
}

function browserHost(): FrameHost | null {
  if (typeof requestAnimationFrame !== 'function') return null;
  return {
    requestAnimationFrame: (callback) => requestAnimationFrame(callback),
    cancelAnimationFrame: (id) => cancelAnimationFrame(id),
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (id) => clearTimeout(id),
    now: () => performance.now(),
    document: typeof document === 'undefined' ? null : document,
  };
}
