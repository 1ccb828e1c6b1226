import { describe, expect, it } from 'vitest';
// node-wav (a devDependency, no types) is the reference decoder the streaming reader is held to.
// @ts-expect-error untyped CommonJS module
import wav from 'node-wav';
import { decodeWav, WavStreamReader } from './recording-wav.mjs';

interface NodeWav {
  encode(
    channels: Float32Array[],
    options: { sampleRate: number; float?: boolean; bitDepth?: number },
  ): Buffer;
  decode(bytes: Uint8Array): { sampleRate: number; channelData: Float32Array[] };
}
const reference = wav as NodeWav;

function signal(frames: number, phase: number): Float32Array {
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) out[i] = 0.8 * Math.sin(i * 0.013 + phase) * Math.cos(i * 0.0007);
  return out;
}

/** Pushes `bytes` in pieces of pseudo-random sizes (1 byte to 5 kB) and joins what comes out. */
function streamed(bytes: Uint8Array, seed: number): { samples: Float32Array; reader: WavStreamReader } {
  const reader = new WavStreamReader();
  const parts: Float32Array[] = [];
  let at = 0;
  let x = seed;
  while (at < bytes.length) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (x % 5000);
    parts.push(reader.push(bytes.subarray(at, at + size)));
    at += size;
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const samples = new Float32Array(total);
  let offset = 0;
  for (const p of parts) {
    samples.set(p, offset);
    offset += p.length;
  }
  return { samples, reader };
}

describe('streaming WAV reader', () => {
  for (const [bitDepth, float] of [
    [16, false],
    [24, false],
    [32, false],
    [32, true],
  ] as const) {
    it(`decodes ${bitDepth}-bit ${float ? 'float' : 'integer'} stereo like node-wav, in any chunking`, () => {
      const left = signal(9_001, 0);
      const right = signal(9_001, 1);
      const bytes = reference.encode([left, right], { sampleRate: 48_000, float, bitDepth });
      const expected = reference.decode(bytes).channelData;
      for (const seed of [1, 7, 42]) {
        const { samples, reader } = streamed(bytes, seed);
        expect(reader.format).toMatchObject({
          channels: 2,
          sampleRate: 48_000,
          bitsPerSample: bitDepth,
          float,
        });
        expect(reader.frames).toBe(9_001);
        for (let i = 0; i < 9_001; i += 97) {
          // node-wav scales positive integers by 2^(n−1) − 1, we by 2^(n−1): 3e−5 apart at most.
          expect(Math.abs(samples[2 * i]! - expected[0]![i]!)).toBeLessThan(4e-5);
          expect(Math.abs(samples[2 * i + 1]! - expected[1]![i]!)).toBeLessThan(4e-5);
        }
      }
    });
  }

  it('skips chunks before the data (LIST) and reads WAVE_FORMAT_EXTENSIBLE', () => {
    // node-wav reads its input's whole ArrayBuffer (ignoring a Buffer's pool offset): give it its own.
    const encoded = reference.encode([signal(100, 0)], { sampleRate: 48_000, bitDepth: 24 });
    const plain = Buffer.from(encoded);
    // Rebuild it as: RIFF, an extensible fmt (40 bytes), a LIST chunk of odd size (padded), data.
    const fmt = Buffer.alloc(8 + 40);
    fmt.write('fmt ', 0);
    fmt.writeUInt32LE(40, 4);
    plain.copy(fmt, 8, 20, 36);
    fmt.writeUInt16LE(0xfffe, 8);
    fmt.writeUInt16LE(22, 24);
    fmt.writeUInt16LE(24, 26);
    fmt.writeUInt32LE(4, 28);
    fmt.writeUInt16LE(1, 32); // sub-format GUID starts with the PCM tag
    const list = Buffer.from('LIST\x03\x00\x00\x00abc\x00', 'latin1');
    const data = plain.subarray(36);
    const body = Buffer.concat([Buffer.from('WAVE'), fmt, list, data]);
    const head = Buffer.alloc(8);
    head.write('RIFF', 0);
    head.writeUInt32LE(body.length, 4);
    const { samples, format } = decodeWav(Buffer.concat([head, body]));
    expect(format.bitsPerSample).toBe(24);
    const expected = reference.decode(encoded).channelData[0]!;
    expect(samples).toHaveLength(100);
    for (let i = 0; i < 100; i++) expect(Math.abs(samples[i]! - expected[i]!)).toBeLessThan(1e-6);
  });

  it('rejects what is not a PCM WAV with a clear error', () => {
    expect(() => decodeWav(Buffer.from('not a wav file at all'))).toThrow(/RIFF\/WAVE/);
    const bytes = Buffer.from(reference.encode([signal(10, 0)], { sampleRate: 48_000 }));
    bytes.writeUInt16LE(2, 20); // ADPCM
    expect(() => decodeWav(bytes)).toThrow(/format tag 2/);
  });
});
