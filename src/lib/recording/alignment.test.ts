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

  it('moves by a wobble that lasts beyond the tolerance, and jumps to a real gap at once', () => {
    const placer = new TrackPlacer(24);
    placer.place(0, 120);
    // Every estimate now says 25 samples later: followed once there are a few of them.
    const places = Array.from({ length: 10 }, (_, k) => placer.place(120 * (k + 1) + 25, 120));
    expect(places.slice(0, 7)).toEqual([120, 240, 360, 480, 600, 720, 840]);
    expect(places[7]).toBe(985);
    expect(placer.place(1345, 120)).toBe(1345);
    expect(placer.place(1465 + 48_000, 120)).toBe(49_465); // a second away, at once
    expect(placer.place(49_585 - 25, 120)).toBe(49_585); // one estimate is no evidence
  });

  /** A seeded generator, so a failure repeats. */
  function random(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
  }

  /** Places `count` chunks of 2400 frames whose computed places are `truth(k) + noise()`; returns the moves. */
  function run(placer: TrackPlacer, count: number, truth: (k: number) => number, noise: () => number) {
    let contiguous = truth(0);
    const moves: number[] = [];
    const errors: number[] = [];
    for (let k = 0; k < count; k++) {
      const at = placer.place(Math.round(truth(k) + noise()), 2400);
      if (k > 0 && at !== contiguous) moves.push(at - contiguous);
      errors.push(at - truth(k));
      contiguous = at + 2400;
    }
    return { moves, errors };
  }

  it('stays contiguous through estimates that wobble by ±3 ms, with rare 30 ms outliers', () => {
    const rand = random(11);
    const noise = () => (rand() < 0.03 ? 1440 : (rand() - 0.5) * 288);
    const { moves, errors } = run(new TrackPlacer(), 1200, (k) => 1000 + k * 2400, noise);
    expect(moves.length).toBeLessThanOrEqual(2);
    // The first chunk is placed where its one estimate says; the median corrects it within seconds.
    expect(Math.max(...errors.slice(60).map(Math.abs))).toBeLessThanOrEqual(48); // 1 ms
  });

  it('takes a lasting move of 10 ms within half its window, and ignores one lasting half a second', () => {
    const rand = random(5);
    // Off by 10 ms for 10 chunks (one ping's estimate), then moved for good at chunk 300.
    const truth = (k: number) => 1000 + k * 2400 + (k >= 100 && k < 110 ? 480 : 0) + (k >= 300 ? 480 : 0);
    const { moves, errors } = run(new TrackPlacer(), 500, truth, () => (rand() - 0.5) * 96);
    expect(moves).toHaveLength(1);
    expect(moves[0]).toBeGreaterThan(400);
    expect(errors.slice(370).every((e) => Math.abs(e) <= 24)).toBe(true);
  });

  it('follows a 100 ppm clock drift in small steps', () => {
    const rand = random(9);
    // 2400 frames per chunk, 100 ppm: 0.24 samples further each chunk.
    const truth = (k: number) => 1000 + k * 2400 * (1 + 1e-4);
    const { moves, errors } = run(new TrackPlacer(), 2000, truth, () => (rand() - 0.5) * 96);
    expect(moves.every((m) => Math.abs(m) <= 48)).toBe(true);
    expect(Math.max(...errors.map(Math.abs))).toBeLessThanOrEqual(72);
  });

  it('leaves frames the sender sent but that never arrived empty, at their place', () => {
    const placer = new TrackPlacer();
    expect(placer.place(1000, 120, 5000)).toBe(1000);
    expect(placer.place(1120, 120, 5120)).toBe(1120);
    expect(placer.skipped).toBe(0);
    // 70 ms of the sender's frames never came: the next one is 3360 samples on, and so is its place.
    expect(placer.place(1240 + 3360 + 5, 120, 5240 + 3360)).toBe(1240 + 3360);
    expect(placer.skipped).toBe(3360);
    // A sender time going back is a restarted capture: placed where computed.
    expect(placer.place(9000, 120, 100)).toBe(9000);
    expect(placer.skipped).toBe(0);
  });

  it('places the first frame after reset where computed', () => {
    const placer = new TrackPlacer();
    placer.place(0, 120);
    placer.reset();
    expect(placer.place(125, 120)).toBe(125);
  });
});
