import { describe, expect, it } from 'vitest';
import { floatWavHeader } from './take-playback';

describe('take playback', () => {
  it('writes a WAV header a decoder reads as 48 kHz stereo float32', () => {
    const view = new DataView(floatWavHeader(8 * 100, 2));
    const ascii = (at: number) => String.fromCharCode(...new Uint8Array(view.buffer, at, 4));
    expect([ascii(0), ascii(8), ascii(12), ascii(36)]).toEqual(['RIFF', 'WAVE', 'fmt ', 'data']);
    expect(view.getUint32(4, true)).toBe(36 + 800);
    expect(view.getUint16(20, true)).toBe(3); // IEEE float
    expect(view.getUint16(22, true)).toBe(2);
    expect(view.getUint32(24, true)).toBe(48_000);
    expect(view.getUint32(28, true)).toBe(48_000 * 8);
    expect(view.getUint16(32, true)).toBe(8);
    expect(view.getUint16(34, true)).toBe(32);
    expect(view.getUint32(40, true)).toBe(800);
  });

  it('caps the sizes at what 32-bit RIFF fields hold', () => {
    const view = new DataView(floatWavHeader(5 * 1024 ** 3, 2));
    expect(view.getUint32(4, true)).toBe(0xffff_ffff);
    expect(view.getUint32(40, true)).toBe(0xffff_ffff - 36);
  });
});
