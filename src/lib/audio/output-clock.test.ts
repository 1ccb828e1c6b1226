import { describe, expect, it } from 'vitest';
import { createOutputClock, outputReadsMayBlock, type ClockContext } from './output-clock';

const FIREFOX_ESR = 'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0';
const CHROMIUM =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36';
const SAFARI =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15';

/** A context whose output-timestamp and outputLatency reads are counted (they hang Firefox). */
function context(): ClockContext & { blockingReads: number } {
  const ctx = {
    blockingReads: 0,
    currentTime: 2,
    baseLatency: 0.01,
    get outputLatency() {
      ctx.blockingReads++;
      return 0.03;
    },
    getOutputTimestamp() {
      ctx.blockingReads++;
      return { contextTime: 1.99, performanceTime: 5000 };
    },
  };
  return ctx;
}

describe('outputReadsMayBlock', () => {
  it('is true for Firefox only', () => {
    expect(outputReadsMayBlock(FIREFOX_ESR)).toBe(true);
    expect(outputReadsMayBlock(CHROMIUM)).toBe(false);
    expect(outputReadsMayBlock(SAFARI)).toBe(false);
    expect(outputReadsMayBlock('')).toBe(false);
  });
});

describe('createOutputClock', () => {
  it('reads the output timestamp and latency where they do not block', () => {
    const ctx = context();
    const clock = createOutputClock(ctx, { blockingReads: false, now: () => 7000 });
    expect(clock.read()).toEqual({ contextTime: 1.99, performanceTime: 5000, outputMs: 30 });
    expect(clock.latencyMs()).toEqual({ output: 30, base: 10 });
    expect(ctx.blockingReads).toBe(3);
  });

  it('never touches them where they may block: current time, heard one base latency later', () => {
    const ctx = context();
    const clock = createOutputClock(ctx, { blockingReads: true, now: () => 7000 });
    expect(clock.read()).toEqual({ contextTime: 2, performanceTime: 7010, outputMs: 10 });
    expect(clock.latencyMs()).toEqual({ output: 10, base: 10 });
    expect(ctx.blockingReads).toBe(0);
  });
});
