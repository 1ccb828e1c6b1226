import { describe, expect, it } from 'vitest';
import { LimitVerdict, MessageLimiter, TokenBucket } from './rate-limiter.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const takeMany = (take: () => boolean | string, n: number, value: boolean | string): number => {
  let count = 0;
  for (let i = 0; i < n; i++) if (take() === value) count++;
  return count;
};

describe('TokenBucket', () => {
  it('admits a burst, then refills at the rate and never above the burst', () => {
    const c = clock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 20, now: c.now });
    expect(takeMany(() => bucket.take(), 30, true)).toBe(20);
    c.advance(500);
    expect(takeMany(() => bucket.take(), 30, true)).toBe(5);
    c.advance(60_000);
    expect(takeMany(() => bucket.take(), 30, true)).toBe(20);
  });

  it('ignores a clock that goes backwards', () => {
    const c = clock();
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1, now: c.now });
    expect(bucket.take()).toBe(true);
    c.advance(-10_000);
    expect(bucket.take()).toBe(false);
  });

  it('refuses nonsensical options', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0, burst: 1 })).toThrow(RangeError);
  });
});

describe('MessageLimiter', () => {
  it('accepts traffic within the rate indefinitely', () => {
    const c = clock();
    const limiter = new MessageLimiter({ ratePerSecond: 50, burst: 100, now: c.now });
    for (let i = 0; i < 1000; i++) {
      expect(limiter.check()).toBe(LimitVerdict.Accept);
      c.advance(20);
    }
  });

  it('drops messages above the rate but does not call a short burst a flood', () => {
    const c = clock();
    const limiter = new MessageLimiter({ ratePerSecond: 50, burst: 100, now: c.now });
    const verdicts = Array.from({ length: 300 }, () => limiter.check());
    expect(verdicts.filter((v) => v === LimitVerdict.Accept)).toHaveLength(100);
    expect(verdicts.filter((v) => v === LimitVerdict.Drop)).toHaveLength(200);
    expect(verdicts).not.toContain(LimitVerdict.Flood);
  });

  it('reports a flood when far above the rate for about two seconds', () => {
    const c = clock();
    const limiter = new MessageLimiter({ ratePerSecond: 50, burst: 100, now: c.now });
    // 10× the rate: 500 messages per second, one every 2 ms.
    let floodAt = -1;
    for (let i = 0; i < 5000 && floodAt < 0; i++) {
      if (limiter.check() === LimitVerdict.Flood) floodAt = i;
      c.advance(2);
    }
    expect(floodAt * 2).toBeGreaterThan(1500);
    expect(floodAt * 2).toBeLessThan(2500);
  });

  it('does not report a flood at 3× the rate, however long', () => {
    const c = clock();
    const limiter = new MessageLimiter({ ratePerSecond: 50, burst: 100, now: c.now });
    const verdicts = Array.from({ length: 3000 }, () => {
      c.advance(1000 / 150);
      return limiter.check();
    });
    expect(verdicts).not.toContain(LimitVerdict.Flood);
    expect(verdicts).toContain(LimitVerdict.Drop);
  });
});
