import { describe, expect, it } from 'vitest';
import {
  AUDIO_FRAME_HEADER_BYTES,
  AUDIO_FRAME_VERSION,
  AudioCodec,
  AudioFrameError,
  AudioFrameFlag,
  type AudioFrameHeader,
  decodePcm16,
  encodePcm16,
  readAudioFrame,
  seqAfter,
  seqDiff,
  writeAudioFrameHeader,
} from './audio-frame.js';

/** mulberry32: small seeded PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pcmFrame(header: AudioFrameHeader, planar: Float32Array[]): Uint8Array {
  const bytes = new Uint8Array(AUDIO_FRAME_HEADER_BYTES + header.channels * header.frameSamples * 2);
  writeAudioFrameHeader(bytes, header);
  encodePcm16(planar, header.channels, header.frameSamples, bytes, AUDIO_FRAME_HEADER_BYTES);
  return bytes;
}

describe('audio frame', () => {
  it('round-trips a PCM stereo frame, header fields at their documented offsets', () => {
    const header: AudioFrameHeader = {
      codec: AudioCodec.Pcm16,
      channels: 2,
      flags: 1,
      seq: 0xfffffffe,
      senderTime: 0x89abcdef,
      frameSamples: 240,
    };
    const l = new Float32Array(240).map((_, i) => Math.sin(i / 7) * 0.9);
    const r = new Float32Array(240).map((_, i) => (i % 2 ? 1.5 : -1.5));
    const bytes = pcmFrame(header, [l, r]);
    expect([...bytes.subarray(0, 4)]).toEqual([AUDIO_FRAME_VERSION, 0, 2, 1]);
    expect(bytes[4]).toBe(0xfe);
    expect(bytes[8]).toBe(0xef);
    expect(bytes[12]! | (bytes[13]! << 8)).toBe(240);
    const parsed = readAudioFrame(bytes);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.header).toEqual({ ...header, redundantBytes: 0 });
    expect(parsed.redundant).toBeNull();
    expect(parsed.payload.buffer).toBe(bytes.buffer);
    expect(parsed.payload.byteOffset).toBe(16);
    const out = [new Float32Array(480), new Float32Array(480)];
    expect(decodePcm16(parsed.payload, 2, out)).toBe(240);
    for (let i = 0; i < 240; i++) {
      expect(Math.abs(out[0]![i]! - l[i]!)).toBeLessThan(1 / 32000);
      expect(out[1]![i]).toBe(i % 2 ? 1 : -1);
    }
  });

  it('encodes from interleaved input and clips NaN to 0', () => {
    const inter = new Float32Array([0.5, -0.5, NaN, 2]);
    const out = new Uint8Array(8);
    expect(encodePcm16(inter, 2, 2, out)).toBe(8);
    const dec = [new Float32Array(2), new Float32Array(2)];
    decodePcm16(out, 2, dec);
    expect(dec[0]![0]).toBeCloseTo(0.5, 4);
    expect(dec[1]![0]).toBeCloseTo(-0.5, 4);
    expect(dec[0]![1]).toBe(0);
    expect(dec[1]![1]).toBe(1);
  });

  it('accepts an Opus payload of any positive length', () => {
    const bytes = new Uint8Array(16 + 37);
    writeAudioFrameHeader(bytes, {
      codec: AudioCodec.Opus,
      channels: 1,
      flags: 0,
      seq: 5,
      senderTime: 600,
      frameSamples: 120,
    });
    const r = readAudioFrame(bytes);
    expect(r.ok && r.payload.length).toBe(37);
  });

  it('splits an Opus payload from the redundant copy of the previous frame', () => {
    const bytes = new Uint8Array(16 + 30 + 25);
    writeAudioFrameHeader(bytes, {
      codec: AudioCodec.Opus,
      channels: 1,
      flags: AudioFrameFlag.Redundant,
      seq: 9,
      senderTime: 1080,
      frameSamples: 120,
      redundantBytes: 25,
    });
    bytes.fill(1, 16, 46);
    bytes.fill(2, 46);
    expect(bytes[14]! | (bytes[15]! << 8)).toBe(25);
    const r = readAudioFrame(bytes);
    if (!r.ok) throw new Error(r.reason);
    expect(r.header.redundantBytes).toBe(25);
    expect([...new Set(r.payload)]).toEqual([1]);
    expect(r.payload.length).toBe(30);
    expect([...new Set(r.redundant!)]).toEqual([2]);
    expect(r.redundant!.length).toBe(25);
  });

  it.each([
    ['a redundant copy as long as the frame', 41],
    ['an empty redundant copy', 0],
  ])('rejects %s', (_name, redundantBytes) => {
    const bytes = new Uint8Array(16 + 41);
    writeAudioFrameHeader(bytes, {
      codec: AudioCodec.Opus,
      channels: 1,
      flags: AudioFrameFlag.Redundant,
      seq: 1,
      senderTime: 0,
      frameSamples: 120,
      redundantBytes,
    });
    expect(readAudioFrame(bytes)).toEqual({ ok: false, reason: AudioFrameError.BadPayloadLength });
  });

  it('rejects redundancy on PCM frames', () => {
    const b = pcmFrame(
      { codec: AudioCodec.Pcm16, channels: 1, flags: 0, seq: 1, senderTime: 0, frameSamples: 120 },
      [new Float32Array(120)],
    );
    b[3] = AudioFrameFlag.Redundant;
    b[14] = 2;
    expect(readAudioFrame(b)).toEqual({ ok: false, reason: AudioFrameError.BadPayloadLength });
  });

  it.each([
    ['too short', () => new Uint8Array(15), AudioFrameError.TooShort],
    ['too large', () => new Uint8Array(4097), AudioFrameError.TooLarge],
    ['bad version', (b: Uint8Array) => ((b[0] = 1), b), AudioFrameError.BadVersion],
    ['bad codec', (b: Uint8Array) => ((b[1] = 7), b), AudioFrameError.BadCodec],
    ['bad channels', (b: Uint8Array) => ((b[2] = 3), b), AudioFrameError.BadChannels],
    ['bad frame size', (b: Uint8Array) => ((b[12] = 128), (b[13] = 0), b), AudioFrameError.BadFrameSamples],
    ['PCM length mismatch', (b: Uint8Array) => b.subarray(0, b.length - 2), AudioFrameError.BadPayloadLength],
  ])('rejects %s', (_name, mutate, reason) => {
    const good = pcmFrame(
      { codec: AudioCodec.Pcm16, channels: 1, flags: 0, seq: 1, senderTime: 0, frameSamples: 120 },
      [new Float32Array(120)],
    );
    expect(readAudioFrame(mutate(good))).toEqual({ ok: false, reason });
  });

  it('never throws on random input (fuzz, seeded)', () => {
    const rand = prng(42);
    let accepted = 0;
    for (let n = 0; n < 5000; n++) {
      const len = Math.floor(rand() * 1100);
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = Math.floor(rand() * 256);
      // Make a third of them plausible so validation past the first byte is exercised.
      if (len >= 16 && n % 3 === 0) {
        b[0] = AUDIO_FRAME_VERSION;
        b[1] = n % 2;
        b[2] = 1 + (n % 2);
        b[12] = 120;
        b[13] = 0;
      }
      const r = readAudioFrame(b);
      if (r.ok) accepted++;
    }
    expect(accepted).toBeGreaterThan(100);
    expect(readAudioFrame(null as unknown as Uint8Array).ok).toBe(false);
  });

  it('compares sequence numbers across the u32 wrap', () => {
    expect(seqDiff(0, 0xffffffff)).toBe(1);
    expect(seqDiff(0xffffffff, 0)).toBe(-1);
    expect(seqDiff(10, 5)).toBe(5);
    expect(seqAfter(2, 0xfffffff0)).toBe(true);
    expect(seqAfter(0xfffffff0, 2)).toBe(false);
  });
});
