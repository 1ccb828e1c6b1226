import { describe, expect, it } from 'vitest';
import { SourceIndexes } from './source-indexes.js';

describe('SourceIndexes', () => {
  it('gives each peer a distinct index and keeps it while the peer stays', () => {
    const s = new SourceIndexes();
    expect(s.sync(['a', 'b', 'c'])).toBe(true);
    expect(s.sources()).toEqual([
      { peerId: 'a', index: 0 },
      { peerId: 'b', index: 1 },
      { peerId: 'c', index: 2 },
    ]);
    expect(s.sync(['c', 'b', 'a'])).toBe(false);
    expect(s.indexOf('b')).toBe(1);
  });

  it("never hands a departed peer's index to the next newcomer", () => {
    const s = new SourceIndexes();
    s.sync(['a', 'b']);
    expect(s.sync(['b'])).toBe(true);
    expect(s.indexOf('a')).toBeUndefined();
    s.sync(['b', 'd']);
    expect(s.indexOf('d')).toBe(2);
    // A peer that comes back is a new visit: a new index.
    s.sync(['b', 'd', 'a']);
    expect(s.indexOf('a')).toBe(3);
    expect(s.size).toBe(3);
  });

  it('wraps around the u16 range, skipping indexes still in use', () => {
    const s = new SourceIndexes();
    s.sync(['stays']);
    // 65,535 one-visit peers later the counter is back at 0, which 'stays' still holds.
    for (let i = 1; i <= 0xffff; i++) s.sync(['stays', `p${i}`]);
    expect(s.indexOf('p65535')).toBe(0xffff);
    s.sync(['stays', 'next']);
    expect(s.indexOf('stays')).toBe(0);
    expect(s.indexOf('next')).toBe(1);
  });
});
