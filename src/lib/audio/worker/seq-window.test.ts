import { describe, expect, it } from 'vitest';
import { SEQ_WINDOW, SeqWindow } from './seq-window';

describe('SeqWindow', () => {
  it('flags a frame seen before, in any order, and nothing else', () => {
    const w = new SeqWindow();
    expect([5, 7, 6].map((s) => w.seen(s, s * 120))).toEqual([false, false, false]);
    expect([7, 5, 6, 8].map((s) => w.seen(s, s * 120))).toEqual([true, true, true, false]);
  });

  it('is wrap-around safe: seqs on both sides of 2^32 are told apart', () => {
    const w = new SeqWindow();
    const seqs = [0xffff_fffe, 0xffff_ffff, 0, 1];
    expect(seqs.map((s, k) => w.seen(s, k * 120))).toEqual([false, false, false, false]);
    expect(seqs.map((s, k) => w.seen(s, k * 120))).toEqual([true, true, true, true]);
    // The same slot one window later is a different frame.
    expect(w.seen((0xffff_fffe + SEQ_WINDOW) >>> 0, 9)).toBe(false);
  });

  it('accepts a restarted stream’s seq numbers again (new sender time)', () => {
    const w = new SeqWindow();
    for (let s = 0; s < 10; s++) w.seen(s, s * 120);
    expect(w.seen(0, 50_000)).toBe(false);
    expect(w.seen(0, 50_000)).toBe(true);
    w.clear();
    expect(w.seen(0, 50_000)).toBe(false);
  });
});
