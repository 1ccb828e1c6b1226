import { describe, expect, it } from 'vitest';
import {
  absoluteErrors,
  localErrors,
  pairSelf,
  pairThroughReference,
  summariseErrors,
} from './recording-align.mjs';

const START = 1_700_000_000_000.25;
const RATE = 48_000;
/** Epoch of take sample k on a take clock running at the wall clock's rate. */
const at = (k: number) => START + (k * 1000) / RATE;

describe('stem alignment against captured impulses', () => {
  it("pairs the self stem's bursts with captures while the take clock drifts", () => {
    // Bursts every 500 ms; the take clock loses 40 ms before the third burst and 190 ms more before
    // the fifth (230 ms in all: past the 200 ms window, which only following the drift bridges); one
    // capture is missing.
    const onsets = [1200, 25_200, 49_200, 73_200, 97_200, 121_200];
    const lost = [0, 0, 40, 40, 230, 230];
    const captured = onsets.map((k, i) => at(k) + lost[i]!).filter((_, i) => i !== 3);
    const { pairs, unmatched } = pairSelf(onsets, START, captured);
    expect(unmatched).toBe(1);
    expect(pairs.map((p) => p.sample)).toEqual([1200, 25_200, 49_200, 97_200, 121_200]);
    const absolute = absoluteErrors(pairs, START);
    expect(absolute.map((e) => Math.round(e))).toEqual([0, 0, -40, -230, -230]);
    // Against its neighbours the self stem is in place except across the jumps.
    expect(localErrors(pairs, pairs, { self: true }).map((e) => Math.round(e))).toEqual([0, 0, -40, 0, 0]);
  });

  it("measures a remote stem against the self stem's clock, not the wall clock", () => {
    // The take clock lost 40 ms at 20 s: both stems shift by it; the remote one also sits 2.5 ms late.
    const self = [0, 1, 2, 3].map((n) => ({
      sample: n * 24_000 + 100,
      captureEpochMs: at(n * 24_000 + 100),
    }));
    const shifted = self.map((p, i) => ({ ...p, captureEpochMs: p.captureEpochMs + (i >= 2 ? 40 : 0) }));
    const remoteCaptures = [0, 1, 2, 3].map((n) => at(n * 24_000 + 5000) + (n >= 2 ? 40 : 0));
    const remoteOnsets = [0, 1, 2, 3].map((n) => n * 24_000 + 5000 + 120);
    const { pairs, unmatched } = pairThroughReference(remoteOnsets, remoteCaptures, shifted);
    expect(unmatched).toBe(0);
    for (const e of localErrors(pairs, shifted)) expect(e).toBeCloseTo(2.5, 3);
    expect(absoluteErrors(pairs, START).map((e) => Math.round(e * 10) / 10)).toEqual([
      2.5, 2.5, -37.5, -37.5,
    ]);
  });

  it('leaves a burst with no capture near where the clock puts it unmatched', () => {
    const reference = [{ sample: 0, captureEpochMs: 0 }];
    expect(pairThroughReference([48_000], [1000 + 201], reference).unmatched).toBe(1);
    expect(pairThroughReference([48_000], [], reference).unmatched).toBe(1);
    expect(pairThroughReference([48_000], [1000], []).unmatched).toBe(1);
    expect(pairSelf([48_000], 0, [1000 + 201]).unmatched).toBe(1);
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
