import { describe, expect, it } from 'vitest';
import { formatDb, formatPan, latencyLevel, levelFraction } from './mixer-format';

describe('mixer formatting', () => {
  it('formats gains, pans and latency levels', () => {
    expect([formatDb(-6), formatDb(3.5), formatDb(0), formatDb(-60)]).toEqual([
      '−6.0 dB',
      '+3.5 dB',
      '0.0 dB',
      '−∞ dB',
    ]);
    expect([formatPan(0), formatPan(-0.4), formatPan(1)]).toEqual(['Centre', 'Left 40%', 'Right 100%']);
    expect([formatDb(-6, -60, 'fr'), formatDb(0, -60, 'fr')]).toEqual(['−6,0 dB', '0,0 dB']);
    const french = (side: string, pct: number) => (side === 'centre' ? 'Centre' : `${side} ${pct} %`);
    expect([formatPan(0, french), formatPan(-0.4, french)]).toEqual(['Centre', 'left 40 %']);
    expect([25, 26, 45, 46, null].map(latencyLevel)).toEqual(['good', 'fair', 'fair', 'poor', 'unknown']);
  });

  it('maps linear and dBFS levels onto the same bar', () => {
    expect(levelFraction(1, 'linear')).toBe(1);
    expect(levelFraction(0, 'linear')).toBe(0);
    expect(levelFraction(-30, 'dbfs')).toBeCloseTo(0.5);
    expect(levelFraction(10 ** (-30 / 20), 'linear')).toBeCloseTo(0.5);
    expect(levelFraction(Number.NaN, 'dbfs')).toBe(0);
  });
});
