import { describe, expect, it } from 'vitest';
import { alignmentErrors, summariseErrors } from './recording-align.mjs';

describe('stem alignment against captured impulses', () => {
  it('turns take samples into epoch ms and pairs each with the nearest capture', () => {
    const start = 1_700_000_000_000.25;
    // (Epoch ms near 1.7e12 carry ~0.0002 ms of float precision.) Bursts every 500 ms from take sample 1200 (25 ms); the sender captured them 0.3 ms earlier,
    // except one burst it never reported.
    const onsets = [1200, 1200 + 24_000, 1200 + 48_000, 1200 + 72_000];
    const captured = [start + 25 - 0.3, start + 525 - 0.3, start + 1525 - 0.3, start - 400];
    const { matched, unmatched } = alignmentErrors(onsets, start, captured);
    expect(unmatched).toBe(1);
    expect(matched.map((m) => m.sample)).toEqual([1200, 25_200, 73_200]);
    for (const m of matched) expect(m.errorMs).toBeCloseTo(0.3, 3);
  });

  it('leaves a burst with no capture within the window unmatched', () => {
    const { matched, unmatched } = alignmentErrors([48_000], 0, [1000 + 150], { maxMatchMs: 100 });
    expect(matched).toEqual([]);
    expect(unmatched).toBe(1);
    expect(alignmentErrors([48_000], 0, []).unmatched).toBe(1);
  });

  it('summarises signed median and absolute extremes', () => {
    expect(summariseErrors([0.2, -0.4, 0.1, 3])).toEqual({
      count: 4,
      medianMs: 0.15000000000000002,
      p95AbsMs: 3,
      maxAbsMs: 3,
    });
    expect(summariseErrors([])).toEqual({ count: 0, medianMs: null, p95AbsMs: null, maxAbsMs: null });
  });
});
