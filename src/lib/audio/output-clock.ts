/**
 * Where the engine learns when a context time is heard, and how late the output device plays.
 *
 * Chromium answers `getOutputTimestamp()` and `outputLatency` from numbers its audio thread keeps. In
 * Firefox (ESR 153 on Linux, PulseAudio with a null sink, measured here) reading either sometimes froze
 * the page's main thread (no answer within 10 s; we did not find why, a synchronous query into the
 * audio backend is the likely cause): a bare page froze reading `getOutputTimestamp()` in 2 of 25 tries (an earlier
 * trial: 3–4 of 30, `outputLatency` too), and tests/e2e/firefox-chromium.spec.ts failed 5 of 10 runs
 * with them, 0 of 10 without, on the same machine. `baseLatency` never froze. A frozen tab cannot be
 * detected or recovered from script, so in Gecko those two are never read: the clock is `currentTime`
 * against `performance.now()` (jitter the median in context-clock.ts absorbs), heard `baseLatency`
 * later, and the output latency is `baseLatency` (Firefox reports 0: the latency is then unknown).
 */

/** One reading: context time `contextTime` (s) is heard at `performanceTime` (ms, performance clock). */
export interface OutputClockReading {
  contextTime: number;
  performanceTime: number;
  /** Output latency then, ms. */
  outputMs: number;
}

export interface OutputClock {
  read(): OutputClockReading;
  /** Device latencies the browser reports, ms. */
  latencyMs(): { output: number; base: number };
}

/** The part of an AudioContext read here (a stand-in in unit tests). */
export type ClockContext = Pick<
  AudioContext,
  'currentTime' | 'baseLatency' | 'outputLatency' | 'getOutputTimestamp'
>;

/** Gecko's user agent carries "Gecko/" and "Firefox/" (Chromium's and Safari's say "like Gecko"). */
export function outputReadsMayBlock(userAgent: string): boolean {
  return /\bGecko\/\d/.test(userAgent) && /\bFirefox\//.test(userAgent);
}

export function createOutputClock(
  context: ClockContext,
  options: { blockingReads: boolean; now?: () => number },
): OutputClock {
  const now = options.now ?? (() => performance.now());
  const baseMs = () => (context.baseLatency || 0) * 1000;
  if (options.blockingReads) {
    return {
      read: () => {
        const outputMs = baseMs();
        return { contextTime: context.currentTime, performanceTime: now() + outputMs, outputMs };
      },
      latencyMs: () => ({ output: baseMs(), base: baseMs() }),
    };
  }
  return {
    read: () => {
      const stamp = context.getOutputTimestamp();
      return {
        contextTime: stamp.contextTime ?? context.currentTime,
        performanceTime: stamp.performanceTime ?? now(),
        outputMs: (context.outputLatency || context.baseLatency || 0) * 1000,
      };
    },
    latencyMs: () => ({ output: (context.outputLatency || 0) * 1000, base: baseMs() }),
  };
}
