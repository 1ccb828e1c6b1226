import { describe, expect, it } from 'vitest';
import { decode } from 'node-wav';
import { Pcm24Encoder, WAV_HEADER_BYTES, wavFileBytes, wavHeader } from './wav';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What node-wav's 24-bit reader returns back as the integer code it read. */
function code(decoded: number): number {
  return decoded < 0 ? Math.round(decoded * 8388608) : Math.round(decoded * 8388607);
}

function expectedCode(x: number): number {
  if (Number.isNaN(x)) return 0;
  return Math.max(-8388607, Math.min(8388607, Math.round(x * 8388608)));
}

describe('WAV 24-bit writer', () => {
  it('writes stereo a reference decoder reads back sample for sample, in chunks of any size', () => {
    const frames = 48_000 + 77;
    const source = new Float32Array(frames * 2);
    for (let i = 0; i < frames; i++) {
      source[2 * i] = 0.8 * Math.sin((2 * Math.PI * 440 * i) / 48_000);
      source[2 * i + 1] = 0.3 * Math.sin((2 * Math.PI * 1234.5 * i) / 48_000 + 1);
    }
    // Edges: full scale, beyond it (clips), tiny values, NaN.
    source.set([1, -1, 1.5, -2, 1e-9, -1e-9, NaN, 0.5], 0);
    const encoder = new Pcm24Encoder();
    const parts = [wavHeader({ channels: 2, sampleRate: 48_000, frames })];
    for (let at = 0; at < source.length; at += 2 * 1001) {
      parts.push(encoder.encode(source.subarray(at, Math.min(source.length, at + 2 * 1001))).slice());
    }
    const file = concat(parts);
    expect(file.length).toBe(wavFileBytes({ channels: 2, sampleRate: 48_000, frames }));

    const decoded = decode(file);
    expect(decoded.sampleRate).toBe(48_000);
    expect(decoded.channelData).toHaveLength(2);
    expect(decoded.channelData[0]!.length).toBe(frames);
    for (let ch = 0; ch < 2; ch++) {
      const data = decoded.channelData[ch]!;
      for (let i = 0; i < frames; i++) {
        const want = expectedCode(source[2 * i + ch]!);
        if (code(data[i]!) !== want) throw new Error(`channel ${ch} frame ${i}: ${code(data[i]!)} ≠ ${want}`);
      }
    }
    expect(code(decoded.channelData[0]![0]!)).toBe(8388607); // +1.0 clips to the largest code
    expect(code(decoded.channelData[1]![0]!)).toBe(-8388607); // symmetric clipping
  });

  it('writes mono, and a zero-length file is valid', () => {
    const source = Float32Array.from({ length: 480 }, (_, i) => (i % 48) / 48 - 0.5);
    const file = concat([
      wavHeader({ channels: 1, sampleRate: 48_000, frames: 480 }),
      new Pcm24Encoder().encode(source),
    ]);
    const decoded = decode(file);
    expect(decoded.channelData).toHaveLength(1);
    expect(Array.from(decoded.channelData[0]!, code)).toEqual(Array.from(source, expectedCode));

    const empty = wavHeader({ channels: 2, sampleRate: 48_000, frames: 0 });
    expect(empty.length).toBe(WAV_HEADER_BYTES);
    expect(decode(empty).channelData[0]!.length).toBe(0);
  });

  it('TPDF dither stays within ±1 LSB of the signal, averages to it, and varies', () => {
    const value = 0.25 + 0.3 / 8388608; // between two codes
    const source = new Float32Array(20_000).fill(value);
    const bytes = new Pcm24Encoder({ dither: true, seed: 7 }).encode(source);
    const file = concat([wavHeader({ channels: 1, sampleRate: 48_000, frames: source.length }), bytes]);
    const codes = Array.from(decode(file).channelData[0]!, code);
    const exact = value * 8388608;
    let sum = 0;
    for (const c of codes) {
      expect(Math.abs(c - exact)).toBeLessThanOrEqual(1.5);
      sum += c;
    }
    expect(sum / codes.length).toBeCloseTo(exact, 1);
    expect(new Set(codes).size).toBeGreaterThan(1);
  });

  it('refuses a file over the 4 GiB RIFF limit with a message that says what to do', () => {
    const frames = Math.ceil(2 ** 32 / 6);
    expect(() => wavHeader({ channels: 2, sampleRate: 48_000, frames })).toThrow(/too long for a WAV.*Opus/);
    expect(() => wavHeader({ channels: 2, sampleRate: 48_000, frames: 1.5 })).toThrow(RangeError);
  });
});
