import { describe, expect, it } from 'vitest';
import { ClickTrack } from './click';

const SR = 48_000;

/** Renders `blocks` quanta from frame 0; returns the output and the onsets (frame of first non-zero). */
function run(track: ClickTrack, blocks: number, remap?: (block: number) => void) {
  const out = new Float32Array(blocks * 128);
  const started: Array<{ beat: number; frame: number }> = [];
  const block = new Float32Array(128);
  for (let k = 0; k < blocks; k++) {
    remap?.(k);
    block.fill(0);
    const beat = track.render(block, block, 128, k * 128);
    if (!Number.isNaN(beat)) started.push({ beat, frame: track.onset(beat) });
    out.set(block, k * 128);
  }
  return { out, started };
}

const timeline = { running: true, beatZeroFrame: 1000.4, framesPerBeat: 12_000.5, beatsPerBar: 3 };

describe('ClickTrack', () => {
  it('starts each click on the exact frame the timeline puts its beat on, count-in included', () => {
    const track = new ClickTrack(SR);
    track.set({ ...timeline, firstBeat: -3, beatZeroFrame: 40_000.25, gain: 1 });
    const { out, started } = run(track, 700);
    expect(started.map((s) => s.beat)).toEqual([-3, -2, -1, 0, 1, 2, 3, 4]);
    for (const { beat, frame } of started) {
      expect(frame).toBe(Math.ceil(40_000.25 + beat * 12_000.5));
      // Silence right before the onset, sound within the first millisecond after it.
      expect(out[frame - 1]).toBe(0);
      expect(Math.max(...out.subarray(frame, frame + 48).map(Math.abs))).toBeGreaterThan(0);
    }
    // Nothing before the count-in's first beat.
    expect(Math.max(...out.subarray(0, started[0]!.frame).map(Math.abs))).toBe(0);
  });

  it('accents beat one of each bar with a higher pitch', () => {
    const track = new ClickTrack(SR);
    track.set({ ...timeline, firstBeat: 0, gain: 1 });
    const { out, started } = run(track, 400);
    const zeroCrossings = (from: number) => {
      let count = 0;
      for (let i = from + 1; i < from + 960; i++) if (out[i - 1]! < 0 !== out[i]! < 0) count++;
      return count;
    };
    const [one, two] = started;
    expect(one!.beat % 3).toBe(0);
    expect(zeroCrossings(one!.frame)).toBeGreaterThan(zeroCrossings(two!.frame) + 10);
  });

  it('does not click twice when the mapping moves a beat across a block boundary, and stops', () => {
    const track = new ClickTrack(SR);
    const base = { ...timeline, firstBeat: 0, gain: 0.5 };
    track.set(base);
    // The clock estimate nudges beat 1 back by 200 frames just after it sounded.
    const { started } = run(track, 300, (k) => {
      if (k === 105) track.set({ ...base, beatZeroFrame: base.beatZeroFrame + 200 });
      if (k === 250) track.set({ ...base, running: false });
    });
    expect(started.map((s) => s.beat)).toEqual([0, 1, 2]);
  });

  it('scales with the click gain and is silent at gain 0', () => {
    const loud = new ClickTrack(SR);
    const quiet = new ClickTrack(SR);
    loud.set({ ...timeline, firstBeat: 0, gain: 1 });
    quiet.set({ ...timeline, firstBeat: 0, gain: 0 });
    expect(Math.max(...run(loud, 50).out.map(Math.abs))).toBeGreaterThan(0.1);
    expect(Math.max(...run(quiet, 50).out.map(Math.abs))).toBe(0);
  });
});
