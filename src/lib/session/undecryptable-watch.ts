/**
 * Notices a source whose SFU frames we cannot open (its wrapped key was lost on the way, e.g. dropped
 * by the relay's rate limit) and asks for the key again. Fed the Worker's per-source stats, about once
 * a second: a source whose `undecryptableFrames` grew since the previous sample has been unreadable
 * for that interval. The request is throttled by the callee (`SfuKeys.requestKey`).
 */
import type { SourceStats } from '../protocol/audio-worker';

export type UndecryptableCounters = Pick<SourceStats, 'sourceKey' | 'undecryptableFrames'>;

export class UndecryptableWatch {
  readonly #request: (sourceKey: string) => void;
  #previous = new Map<string, number>();

  constructor(request: (sourceKey: string) => void) {
    this.#request = request;
  }

  /** One stats sample; sources missing from it are forgotten (a re-added source starts at 0). */
  stats(sources: readonly UndecryptableCounters[]): void {
    const next = new Map<string, number>();
    for (const { sourceKey, undecryptableFrames } of sources) {
      next.set(sourceKey, undecryptableFrames);
      const before = this.#previous.get(sourceKey);
      if (before !== undefined && undecryptableFrames > before) this.#request(sourceKey);
    }
    this.#previous = next;
  }
}
