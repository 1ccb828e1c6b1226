import { describe, expect, it } from 'vitest';
import type { ClockAnchor } from '../protocol/recording';
import { DEFAULT_PLACEMENT_TOLERANCE, TrackPlacer, epochToTakeSample } from './alignment';

/*
 * The end-to-end simulation through the audio Worker's clock estimate and forwarder is in
 * session/recording-alignment.test.ts (session/ composes audio/ and recording/; this folder
 * imports neither).
 */

describe('epochToTakeSample', () => {
  const anchor: ClockAnchor = { contextFrame: 96_000, epochMs: 1_765_000_000_000 };

  it('counts 48 samples per millisecond from the anchor, minus the take’s first frame', () => {
    expect(epochToTakeSample(anchor, anchor.epochMs, 96_000)).toBe(0);
    expect(epochToTakeSample(anchor, anchor.epochMs, 48_000)).toBe(48_000);
    expect(epochToTakeSample(anchor, anchor.epochMs + 1000, 96_000)).toBe(48_000);
    expect(epochToTakeSample(anchor, anchor.epochMs - 10, 96_000)).toBe(-480);
    expect(epochToTakeSample(anchor, anchor.epochMs + 2.5, 96_000, 44_100)).toBe(110);
  });

  it('rounds to the nearest sample', () => {
    expect(epochToTakeSample(anchor, anchor.epochMs + 0.01, 96_000)).toBe(0); // 0.48 samples
    expect(epochToTakeSample(anchor, anchor.epochMs + 0.011, 96_000)).toBe(1); // 0.528
    expect(epochToTakeSample(anchor, anchor.epochMs - 0.011, 96_000)).toBe(-1);
  });
});

describe('TrackPlacer', () => {
  it('keeps a track contiguous while computed places wobble within the tolerance', () => {
    const placer = new TrackPlacer();
    expect(placer.place(1000, 120)).toBe(1000);
    expect(placer.place(1120 + 7, 120)).toBe(1120);
    expect(placer.place(1240 - DEFAULT_PLACEMENT_TOLERANCE, 120)).toBe(1240);
    expect(placer.place(1360 + DEFAULT_PLACEMENT_TOLERANCE, 120)).toBe(1360);
  });

  it('jumps to the computed place beyond the tolerance (a real gap, or an estimate that moved for good)', () => {
    const placer = new TrackPlacer(24);
    placer.place(0, 120);
    expect(placer.place(120 + 25, 120)).toBe(145);
    expect(placer.place(265 + 48_000, 120)).toBe(48_265); // a second away, back
    expect(placer.place(48_385 - 25, 120)).toBe(48_360); // backwards too
  });

  it('places the first frame after reset where computed', () => {
    const placer = new TrackPlacer();
    placer.place(0, 120);
    placer.reset();
    expect(placer.place(125, 120)).toBe(125);
  });
});
