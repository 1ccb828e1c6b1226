import { describe, expect, it } from 'vitest';
import { longestGapMs, matchLatencies, percentile } from './stats.mjs';

describe('benchmark statistics', () => {
  it('pairs each arrival with the latest earlier send in the window', () => {
    const sent = [{ epochMs: 1000 }, { epochMs: 1500 }, { epochMs: 2000 }];
    const heard = [{ epochMs: 1012 }, { epochMs: 1519 }, { epochMs: 2700 }, { epochMs: 990 }];
    expect(matchLatencies(sent, heard)).toEqual([12, 19]);
  });

  it('computes nearest-rank percentiles and gaps', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 95)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
    expect(longestGapMs([{ epochMs: 0 }, { epochMs: 500 }, { epochMs: 1530 }], 500)).toBe(530);
  });
});
