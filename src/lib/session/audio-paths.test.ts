import { describe, expect, it } from 'vitest';
import { advertisedPaths, choosePath } from './audio-paths';

describe('choosePath', () => {
  it('uses the data path only when both players can', () => {
    expect(choosePath(['data', 'track'], ['data', 'track'])).toBe('data');
    expect(choosePath(['data', 'track'], ['track'])).toBe('track');
    expect(choosePath(['track'], ['data', 'track'])).toBe('track');
    expect(choosePath(['track'], ['track'])).toBe('track');
  });

  it('treats a peer that advertises nothing as an older, data-only client', () => {
    expect(choosePath(['data', 'track'], undefined)).toBe('data');
    expect(choosePath(['track'], undefined)).toBe('data');
  });

  it('is symmetric, so both sides of a pair agree', () => {
    const lists = [['data', 'track'], ['track'], ['data']] as const;
    for (const a of lists) for (const b of lists) expect(choosePath(a, b)).toBe(choosePath(b, a));
  });
});

describe('advertisedPaths', () => {
  it('offers both paths when the browser can, only the track when forced or unable', () => {
    expect(advertisedPaths({ data: true }, false)).toEqual(['data', 'track']);
    expect(advertisedPaths({ data: true }, true)).toEqual(['track']);
    expect(advertisedPaths({ data: false }, false)).toEqual(['track']);
  });
});
