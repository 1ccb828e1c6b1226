/**
 * Event-loop utilisation over the last second, for `/load`: the share of time the relay's one
 * thread was busy (0…1). PocketBase places new rooms by it, and the benchmark reads it.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export const LOAD_SAMPLE_MS = 1_000;

export class LoadMeter {
  #last: EventLoopUtilization = performance.eventLoopUtilization();
  #utilisation = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(sampleMs = LOAD_SAMPLE_MS) {
    this.#timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      this.#utilisation = performance.eventLoopUtilization(now, this.#last).utilization;
      this.#last = now;
    }, sampleMs);
    this.#timer.unref();
  }

  /** Utilisation over the last complete sample (0 before the first). */
  get utilisation(): number {
    return this.#utilisation;
  }

  dispose(): void {
    clearInterval(this.#timer);
  }
}
