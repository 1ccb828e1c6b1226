import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { burstGaps, StemScanner, writeSignalWav, zerosWithin } from './recording-signal.mjs';
import { decodeWav } from './recording-wav.mjs';

const dir = mkdtempSync(join(tmpdir(), 'recording-signal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function testSignal(): Float32Array {
  const path = join(dir, 'signal.wav');
  writeSignalWav(path, { seconds: 4, periodMs: 500 });
  return decodeWav(readFileSync(path)).samples;
}

function scan(samples: Float32Array, pieces = 7): ReturnType<StemScanner['finish']> {
  const scanner = new StemScanner();
  const step = Math.ceil(samples.length / pieces);
  for (let at = 0; at < samples.length; at += step) scanner.push(samples.subarray(at, at + step));
  return scanner.finish();
}

describe('recording test signal', () => {
  it('has a burst every period and is never digitally silent', () => {
    const samples = testSignal();
    const result = scan(samples);
    expect(result.frames).toBe(4 * 48_000);
    expect(result.onsets).toHaveLength(8);
    const first = result.onsets[0]!;
    expect(first).toBeLessThan(48); // within the first millisecond of the burst
    expect(result.onsets).toEqual(result.onsets.map((_, i) => first + i * 24_000));
    expect(result.zeroRunCount).toBe(0);
    expect(burstGaps(result.onsets, 24_000)).toEqual({ missing: 0, irregular: [] });
  });

  it('finds a run of zeros, a missing burst and dropped samples', () => {
    const one = testSignal();
    // Three loops; zero 10 ms in the middle of the first, drop the second loop's third burst
    // (zeroed, so also a zero run), and cut 100 samples out of the third loop.
    const joined = new Float32Array(one.length * 3 - 100);
    joined.set(one, 0);
    joined.set(one, one.length);
    joined.set(one.subarray(0, 30_000), 2 * one.length);
    joined.set(one.subarray(30_100), 2 * one.length + 30_000);
    joined.fill(0, 100_000, 100_480);
    const burst = one.length + 2 * 24_000;
    joined.fill(0, burst - 10, burst + 200);
    const result = scan(joined, 13);
    expect(result.zeroRunCount).toBe(2);
    expect(result.zeroRuns).toEqual([
      [100_000, 100_480],
      [burst - 10, burst + 200],
    ]);
    expect(result.zeroRunSamples).toBe(480 + 210);
    expect(zerosWithin(result.zeroRuns, 100_100, 300_000)).toBe(380 + 210);
    const gaps = burstGaps(result.onsets, 24_000);
    expect(gaps.missing).toBe(1);
    expect(gaps.irregular).toEqual([
      { at: 2 * one.length + 48_000 - 100 + result.onsets[0]!, deviation: -100 },
    ]);
  });

  it('reads one channel of interleaved audio', () => {
    const scanner = new StemScanner({ channels: 2, channel: 1 });
    const frames = new Float32Array(2 * 10_000);
    frames[2 * 5000 + 1] = 0.9; // right channel only
    frames[2 * 7000] = 0.9; // left channel: ignored
    scanner.push(frames);
    expect(scanner.finish().onsets).toEqual([5000]);
    expect(() => scanner.push(new Float32Array(3))).toThrow(/whole frames/);
  });
});
