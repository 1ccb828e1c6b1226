import { describe, expect, it } from 'vitest';
import { BackingVoice } from './backing-voice';

const SR = 48_000;
const N = 128;

/** A ramp track: frame f holds (f + 1) / 1e6 on the left and −(f + 1) / 1e6 on the right. */
function rampTrack(frames: number): Float32Array[] {
  const l = new Float32Array(frames);
  const r = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    l[f] = (f + 1) / 1e6;
    r[f] = -(f + 1) / 1e6;
  }
  return [l, r];
}

/** Renders blocks from `from` to `to` (context frames) and returns the whole output and the report. */
function run(voice: BackingVoice, from: number, to: number) {
  const left = new Float32Array(to - from);
  const right = new Float32Array(to - from);
  const outL = new Float32Array(N);
  const outR = new Float32Array(N);
  const started: number[] = [];
  for (let frame = from; frame < to; frame += N) {
    outL.fill(0);
    outR.fill(0);
    const at = voice.render(outL, outR, N, frame);
    if (!Number.isNaN(at)) started.push(at);
    left.set(outL, frame - from);
    right.set(outR, frame - from);
  }
  return { left, right, started };
}

/** The track frame heard at each output frame (−1: silence), read back from the ramp. */
const framesOf = (out: Float32Array) => Array.from(out, (v) => (v === 0 ? -1 : Math.round(v * 1e6) - 1));

describe('BackingVoice', () => {
  it('plays track frame fromFrame exactly at startFrame, inside a block, and reports that frame', () => {
    const voice = new BackingVoice(SR, 1); // smoothing 1: the gain applies at once
    voice.load(1, rampTrack(10_000));
    voice.set({ id: 1, playing: true, startFrame: 1000, fromFrame: 500, gain: 1 });
    const { left, right, started } = run(voice, 0, 2048);
    const heard = framesOf(left);
    expect(heard.slice(0, 1000).every((f) => f === -1)).toBe(true);
    expect(heard[1000]).toBe(500);
    expect(heard[1001]).toBe(501);
    expect(heard[2047]).toBe(1547);
    expect(right[1000]).toBeCloseTo(-501 / 1e6, 9);
    expect(started).toEqual([1000]);
  });

  it('joins a track already playing at the frame the timeline says, without reporting a start', () => {
    const voice = new BackingVoice(SR, 1);
    voice.load(2, rampTrack(100_000));
    voice.set({ id: 2, playing: true, startFrame: -48_000, fromFrame: 0, gain: 1 });
    const { left, started } = run(voice, 0, 256);
    expect(framesOf(left)[0]).toBe(48_000);
    expect(started).toEqual([]);
  });

  it('ignores remaps under a millisecond, follows larger ones, and is silent past the end', () => {
    const voice = new BackingVoice(SR, 1);
    voice.load(3, rampTrack(1000));
    voice.set({ id: 3, playing: true, startFrame: 0, fromFrame: 0, gain: 1 });
    voice.set({ id: 3, playing: true, startFrame: 20, fromFrame: 0, gain: 1 });
    expect(framesOf(run(voice, 0, 128).left)[0]).toBe(0);
    voice.set({ id: 3, playing: true, startFrame: 128 + 48, fromFrame: 0, gain: 1 });
    expect(framesOf(run(voice, 128, 256).left)[48]).toBe(0);
    const tail = framesOf(run(voice, 1152, 1280).left);
    // Track frame 999 sounds at context frame 176 + 999 = 1175; nothing after it.
    expect(tail[1175 - 1152]).toBe(999);
    expect(tail.slice(1176 - 1152).every((f) => f === -1)).toBe(true);
  });

  it('is silent for a mapping of another track, when stopped, and when muted; the meter follows', () => {
    const voice = new BackingVoice(SR, 1);
    voice.load(4, rampTrack(SR));
    voice.set({ id: 3, playing: true, startFrame: 0, fromFrame: 0, gain: 1 });
    expect(framesOf(run(voice, 0, 256).left).every((f) => f === -1)).toBe(true);
    voice.set({ id: 4, playing: true, startFrame: 0, fromFrame: 0, gain: 1 });
    run(voice, 256, 1024);
    expect(voice.meter.peak).toBeGreaterThan(0);
    voice.set({ id: 4, playing: true, startFrame: 0, fromFrame: 0, gain: 0 });
    expect(run(voice, 1024, 1152).left.every((v) => v === 0)).toBe(true);
    voice.set({ id: 4, playing: false, startFrame: 0, fromFrame: 0, gain: 1 });
    expect(run(voice, 1152, 1280).left.every((v) => v === 0)).toBe(true);
  });

  it('writes the track alone at unity to the stem buses, whatever the level or mute, zeros when stopped', () => {
    const voice = new BackingVoice(SR, 1);
    voice.load(6, rampTrack(10_000));
    const outL = new Float32Array(N);
    const outR = new Float32Array(N);
    const rawL = new Float32Array(N).fill(9); // stale data from the last block is overwritten
    const rawR = new Float32Array(N).fill(9);
    voice.set({ id: 6, playing: true, startFrame: 64, fromFrame: 10, gain: 0 }); // muted in the mix
    voice.render(outL, outR, N, 0, rawL, rawR);
    expect(outL.every((v) => v === 0)).toBe(true);
    expect(
      framesOf(rawL)
        .slice(0, 64)
        .every((f) => f === -1),
    ).toBe(true);
    expect(framesOf(rawL)[64]).toBe(10);
    expect(rawL[64]).toBe(Math.fround(11 / 1e6));
    expect(rawR[127]).toBe(Math.fround(-(10 + 63 + 1) / 1e6));
    voice.set({ id: 6, playing: true, startFrame: 64, fromFrame: 10, gain: 0.3 });
    voice.render(outL.fill(0), outR.fill(0), N, 128, rawL, rawR);
    expect(rawL[0]).toBe(Math.fround(75 / 1e6));
    expect(outL[0]).toBeCloseTo(0.3 * rawL[0]!, 9);
    voice.set({ id: 6, playing: false, startFrame: 64, fromFrame: 10, gain: 0.3 });
    voice.render(outL.fill(0), outR.fill(0), N, 256, rawL, rawR);
    expect(rawL.every((v) => v === 0) && rawR.every((v) => v === 0)).toBe(true);
  });

  it('ramps the gain instead of stepping it (no click on a fader move or a stop)', () => {
    const voice = new BackingVoice(SR, 0.01);
    const ones = [new Float32Array(SR).fill(0.5)];
    voice.load(5, ones);
    voice.set({ id: 5, playing: true, startFrame: 0, fromFrame: 0, gain: 1 });
    const { left } = run(voice, 0, 1024);
    expect(left[0]).toBeLessThan(0.01);
    expect(left[1023]).toBeCloseTo(0.5, 3);
    voice.set({ id: 5, playing: false, startFrame: 0, fromFrame: 0, gain: 1 });
    const out = run(voice, 1024, 2048).left;
    expect(out[0]).toBeGreaterThan(0.45);
    expect(out[1023]).toBeLessThan(0.01);
  });
});
