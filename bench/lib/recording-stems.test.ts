import { describe, expect, it } from 'vitest';
import type { TakeManifest, TakeTrack } from '../../src/lib/protocol/recording';
import { StemScanner } from './recording-signal.mjs';
import { analyseStem } from './recording-stems.mjs';

const RATE = 48_000;
const PERIOD = 24_000;

/** A stem of `frames` frames: a quiet tone, a burst every period from `firstBurst`. */
function stem(frames: number, firstBurst: number): Float32Array {
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) out[i] = 0.05 * Math.sin((2 * Math.PI * i) / 120 + 0.5);
  for (let b = firstBurst; b < frames; b += PERIOD) out.fill(0.9, b, b + 40);
  return out;
}

function scan(samples: Float32Array) {
  const scanner = new StemScanner();
  scanner.push(samples);
  return scanner.finish();
}

const track = (over: Partial<TakeTrack>): TakeTrack => ({
  id: 'u-bo',
  kind: 'remote',
  userId: 'bo',
  name: 'Bo',
  instrument: 'keys',
  channels: 1,
  file: 'u-bo.f32',
  startSample: 0,
  frames: 0,
  concealed: [],
  aligned: true,
  clockUncertaintyMs: 0.2,
  ...over,
});

const manifest = (tracks: TakeTrack[], durationFrames: number) =>
  ({ startEpochMs: 1_000_000, durationFrames, tracks }) as unknown as TakeManifest;

describe('stem analysis', () => {
  it('places a raw take file at its start sample and checks bursts against the self stem', () => {
    const samples = stem(5 * RATE, 1000);
    const self = track({
      id: 'self',
      kind: 'self',
      file: 'self.f32',
      startSample: 0,
      frames: samples.length,
    });
    const bo = track({ startSample: 4800, frames: samples.length });
    const m = manifest([self, bo], 4800 + samples.length + 960);
    // Self bursts at take samples 1000 + n × 24000, captured exactly there; Bo's at 5800 + n × 24000,
    // captured 0.5 ms before the stem has them.
    const epoch = (k: number) => 1_000_000 + (k * 1000) / RATE;
    const selfCaptured = Array.from({ length: 10 }, (_, n) => epoch(1000 + n * PERIOD));
    const boCaptured = Array.from({ length: 10 }, (_, n) => epoch(5800 + n * PERIOD) - 0.5);
    const s = analyseStem({
      manifest: m,
      track: self,
      scan: scan(samples),
      captured: selfCaptured,
      periodSamples: PERIOD,
    });
    expect(s.alignment).toMatchObject({ count: 10, unmatched: 0, medianMs: 0, absoluteMedianMs: 0 });
    const a = analyseStem({
      manifest: m,
      track: bo,
      scan: scan(samples),
      captured: boCaptured,
      reference: s.alignment!.pairs,
      periodSamples: PERIOD,
    });
    expect(a).toMatchObject({
      headFrames: 4800,
      tailFrames: 960,
      samplesLost: 0,
      bursts: 10,
      missingBursts: 0,
    });
    expect(a.alignment).toMatchObject({ count: 10, unmatched: 0, medianMs: 0.5, absoluteMedianMs: 0.5 });
    // Without the self stem's pairs a remote stem's alignment cannot be told.
    expect(
      analyseStem({
        manifest: m,
        track: bo,
        scan: scan(samples),
        captured: boCaptured,
        periodSamples: PERIOD,
      }).alignment,
    ).toBeNull();
  });

  it('counts zeros inside the stem as lost, except padding before its start and concealed ranges', () => {
    const raw = stem(5 * RATE, 1000);
    raw.fill(0, 50_000, 50_480); // 10 ms lost
    raw.fill(0, 100_000, 100_960); // 20 ms concealed as silence
    // The exported file: padded with 4800 zeros up to the track's start.
    const exported = new Float32Array(4800 + raw.length);
    exported.set(raw, 4800);
    const t = track({ startSample: 4800, frames: raw.length, concealed: [[104_800, 105_760]] });
    const a = analyseStem({
      manifest: manifest([t], exported.length),
      track: t,
      scan: scan(exported),
      captured: null,
      periodSamples: PERIOD,
      fileStart: 0,
    });
    expect(a).toMatchObject({ zeroSamples: 480, samplesLost: 480, concealedSamples: 960, tailFrames: 0 });
    expect(a.alignment).toBeNull();
  });

  it('counts samples dropped between bursts', () => {
    const full = stem(5 * RATE, 1000);
    const cut = new Float32Array(full.length - 300);
    cut.set(full.subarray(0, 60_000));
    cut.set(full.subarray(60_300), 60_000);
    const t = track({ frames: cut.length });
    const a = analyseStem({
      manifest: manifest([t], full.length),
      track: t,
      scan: scan(cut),
      captured: null,
      periodSamples: PERIOD,
    });
    expect(a).toMatchObject({ droppedSamples: 300, samplesLost: 300, missingBursts: 0 });
  });

  it("takes the fake microphone's loop seam (an interval 276 samples long, 145 of them zeros) for what it is", () => {
    const full = stem(5 * RATE, 1000);
    const seamed = new Float32Array(full.length + 276);
    seamed.set(full.subarray(0, 60_000));
    seamed.set(full.subarray(60_000, 60_131), 60_145); // the pass ends in zeros, the next starts over
    seamed.set(full.subarray(60_000), 60_276);
    const t = track({ frames: seamed.length });
    const a = analyseStem({
      manifest: manifest([t], seamed.length),
      track: t,
      scan: scan(seamed),
      captured: null,
      periodSamples: PERIOD,
    });
    expect(a).toMatchObject({ seams: 1, seamZeros: 145, zeroSamples: 0, samplesLost: 0, insertedSamples: 0 });
  });
});
