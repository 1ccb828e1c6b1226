import { describe, expect, it } from 'vitest';
import { matchLatencies, percentile, windowLongestGap } from './stats.mjs';

describe('benchmark statistics', () => {
  it('pairs each arrival with the latest earlier send in the window', () => {
    const sent = [{ epochMs: 1000 }, { epochMs: 1500 }, { epochMs: 2000 }];
    const heard = [{ epochMs: 1012 }, { epochMs: 1519 }, { epochMs: 2700 }, { epochMs: 990 }];
    expect(matchLatencies(sent, heard)).toEqual([12, 19]);
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 95)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
  });

  it('takes the longest concealed gap over the whole seconds of the window', () => {
    const poll = (gapSecond: number, lastSecondLongestGapMs: number) => ({
      gapSecond,
      lastSecondLongestGapMs,
    });
    // The window opened in second 11 (last completed: 10): 10 and 11 are warm-up, 12… count.
    const polls = [poll(10, 40), poll(11, 30), poll(12, 2.5), poll(12, 2.5), poll(13, 0), poll(14, 7.5)];
    expect(windowLongestGap(10, polls)).toEqual({ longestMs: 7.5, seconds: 3, missedSeconds: 0 });
    expect(windowLongestGap(10, [poll(12, 5), poll(15, 0)])).toEqual({
      longestMs: 5,
      seconds: 2,
      missedSeconds: 2,
    });
    expect(windowLongestGap(10, [poll(11, 30)])).toEqual({ longestMs: 0, seconds: 0, missedSeconds: 0 });
  });
});
