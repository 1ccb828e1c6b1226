import { describe, expect, it } from 'vitest';
import { capturedDeviations, upstreamLoss } from './recording-upstream.mjs';

const P = 24_000;

/** Captures every period from context frame 1000, with `shifts[k]` frames added from burst k on. */
function captures(count: number, shifts: Record<number, number> = {}) {
  let shift = 0;
  return Array.from({ length: count }, (_, k) => {
    shift += shifts[k] ?? 0;
    return { epochMs: 10_000 + k * 500, contextFrame: 1000 + k * P + shift };
  });
}

/** Pairs of a stem whose bursts sit at `at + k·P` plus `shifts`, each with capture k's epoch. */
function pairs(count: number, at: number, shifts: Record<number, number> = {}) {
  let shift = 0;
  return Array.from({ length: count }, (_, k) => {
    shift += shifts[k] ?? 0;
    return { sample: at + k * P + shift, captureEpochMs: 10_000 + k * 500 };
  });
}

describe('upstream loss', () => {
  it('counts a self stem interval the capture worklet also saw shortened as upstream', () => {
    const sender = capturedDeviations(captures(6, { 3: -480 }), P);
    const loss = upstreamLoss({
      pairs: pairs(6, 1000, { 3: -480 }),
      sender,
      local: null,
      zeroRuns: [],
      fileStart: 0,
      periodSamples: P,
    });
    expect(loss).toEqual({
      samples: 480,
      realigned: 0,
      intervals: [{ at: 1000 + 3 * P - 480, deviation: -480 }],
    });
  });

  it("counts the zeros a remote stem holds where its sender's capture fell behind as upstream", () => {
    // The sender lost 10 ms of input; the stem, aligned by capture time, holds 480 zeros there.
    const loss = upstreamLoss({
      pairs: pairs(6, 5000),
      sender: capturedDeviations(captures(6, { 3: -480 }), P),
      local: [],
      zeroRuns: [[5000 + 2 * P + 9000, 5000 + 2 * P + 9480]],
      fileStart: 0,
      periodSamples: P,
    });
    expect(loss.samples).toBe(480);
  });

  it('leaves a gap the sender never had to the recording', () => {
    // A remote stem jumped 128 samples later (zeros) while its sender captured evenly.
    const loss = upstreamLoss({
      pairs: pairs(6, 5000, { 2: 128 }),
      sender: capturedDeviations(captures(6), P),
      local: [],
      zeroRuns: [[5000 + 2 * P - 300, 5000 + 2 * P - 172]],
      fileStart: 0,
      periodSamples: P,
    });
    expect(loss.samples).toBe(0);
  });

  it("counts a remote stem's drop where the recording player's own capture fell behind as upstream", () => {
    const loss = upstreamLoss({
      pairs: pairs(6, 5000, { 4: -480 }),
      sender: capturedDeviations(captures(6), P),
      local: [{ at: 1000 + 4 * P - 480, deviation: -480 }],
      zeroRuns: [],
      fileStart: 0,
      periodSamples: P,
    });
    expect(loss.samples).toBe(480);
  });

  it('counts nothing across a burst the stem misses', () => {
    const all = pairs(6, 1000, { 3: -480 });
    const loss = upstreamLoss({
      pairs: [...all.slice(0, 2), ...all.slice(3)],
      sender: capturedDeviations(captures(6, { 3: -480 }), P),
      local: null,
      zeroRuns: [],
      fileStart: 0,
      periodSamples: P,
    });
    expect(loss.samples).toBe(0);
  });

  it("counts a remote stem's later catching-up with its sender's stepped clock as realignment", () => {
    // The sender lost 10 ms at burst 2; the stem followed its clock two bursts later (480 zeros there).
    const loss = upstreamLoss({
      pairs: pairs(8, 5000, { 2: -480, 4: 480 }),
      sender: capturedDeviations(captures(8, { 2: -480 }), P),
      local: [],
      zeroRuns: [[5000 + 3 * P + 1000, 5000 + 3 * P + 1480]],
      fileStart: 0,
      periodSamples: P,
    });
    expect(loss).toMatchObject({ samples: 480, realigned: 480 });
  });

  it('puts no move down to realignment without a glitch before it', () => {
    const loss = upstreamLoss({
      pairs: pairs(8, 5000, { 4: 480 }),
      sender: capturedDeviations(captures(8, { 6: -480 }), P),
      local: [],
      zeroRuns: [[5000 + 3 * P + 1000, 5000 + 3 * P + 1480]],
      fileStart: 0,
      periodSamples: P,
    });
    expect(loss.realigned).toBe(0);
  });
});
