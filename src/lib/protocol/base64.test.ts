import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './base64.js';

describe('base64', () => {
  it('round-trips every length and matches Node', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const text = toBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(fromBase64(text)).toEqual(bytes);
      expect(fromBase64(text, n)).toEqual(bytes);
    }
  });

  it('refuses what is not canonical, the wrong length, or not a string', () => {
    expect(fromBase64('AAE=', 2)).toEqual(new Uint8Array([0, 1]));
    for (const [text, length] of [
      ['AAF=', 2], // stray bits in the last character
      ['AAE', undefined],
      ['AA=E', undefined],
      ['AAE=', 3],
      ['AA-_', 3], // base64url is not accepted
      ['A=A=', 1],
      [42, undefined],
    ] as const) {
      expect(fromBase64(text, length)).toBeNull();
    }
  });
});
