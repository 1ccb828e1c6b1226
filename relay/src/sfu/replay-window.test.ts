import { describe, expect, it } from 'vitest';
import { REPLAY_WINDOW, RESYNC_AFTER, ReplayVerdict, ReplayWindow } from './replay-window.js';

const { Fresh, Duplicate, Stale } = ReplayVerdict;

describe('ReplayWindow', () => {
  it('accepts each seq once, in order or reordered inside the window', () => {
    const w = new ReplayWindow();
    expect([10, 11, 13, 12, 11, 13, 14].map((s) => w.check(s))).toEqual([
      Fresh,
      Fresh,
      Fresh,
      Fresh,
      Duplicate,
      Duplicate,
      Fresh,
    ]);
  });

  it('drops a frame older than the window, keeps the newest edge of it', () => {
    const w = new ReplayWindow();
    w.check(5000);
    expect(w.check(5000 - REPLAY_WINDOW)).toBe(Stale);
    expect(w.check(5000 - REPLAY_WINDOW + 1)).toBe(Fresh);
    expect(w.check(5000 - REPLAY_WINDOW + 1)).toBe(Duplicate);
  });

  it('forgets what a jump ahead skipped over: those seqs were never seen', () => {
    const w = new ReplayWindow();
    w.check(100);
    w.check(100 + REPLAY_WINDOW + 5);
    // 100 is now far behind (stale), but seqs just behind the new top were never seen.
    expect(w.check(100)).toBe(Stale);
    expect(w.check(100 + REPLAY_WINDOW + 4)).toBe(Fresh);
    // A small jump clears only the slots in between, which may hold a seq from the last lap.
    const v = new ReplayWindow();
    for (let s = 0; s < 10; s++) v.check(s);
    v.check(REPLAY_WINDOW + 3); // slots 0…2 now stand for REPLAY_WINDOW…REPLAY_WINDOW+2
    expect(v.check(REPLAY_WINDOW + 1)).toBe(Fresh);
    expect(v.check(REPLAY_WINDOW + 1)).toBe(Duplicate);
  });

  it('is wrap-around safe at 2^32', () => {
    const w = new ReplayWindow();
    const seqs = [0xfffffffd, 0xfffffffe, 0xffffffff, 0, 1, 2];
    expect(seqs.map((s) => w.check(s))).toEqual(seqs.map(() => Fresh));
    expect(w.check(0xffffffff)).toBe(Duplicate);
    expect(w.check(0xfffffffc)).toBe(Fresh);
    expect(w.check(0)).toBe(Duplicate);
    expect(w.check((2 - REPLAY_WINDOW) >>> 0)).toBe(Stale);
  });

  it('accepts a restarted stream at once when the frame says so, else after a run of stale frames', () => {
    const w = new ReplayWindow();
    for (let s = 50_000; s < 50_010; s++) w.check(s);
    expect(w.check(0, true)).toBe(Fresh);
    expect(w.check(1)).toBe(Fresh);
    expect(w.check(0)).toBe(Duplicate);

    const v = new ReplayWindow();
    v.check(50_000);
    for (let s = 0; s < RESYNC_AFTER; s++) expect(v.check(s)).toBe(Stale);
    expect(v.check(RESYNC_AFTER)).toBe(Fresh);
    expect(v.check(RESYNC_AFTER + 1)).toBe(Fresh);
    expect(v.check(RESYNC_AFTER)).toBe(Duplicate);
  });

  it('accepts a restarted stream whose seqs the old, short stream already used (a frame size change)', () => {
    // The old stream ran 0…499; the encoder restarts at 0 with the flag: the window starts over.
    const w = new ReplayWindow();
    for (let s = 0; s < 500; s++) w.check(s, s === 0);
    expect(w.check(0, true)).toBe(Fresh);
    for (let s = 1; s < 600; s++) expect(w.check(s)).toBe(Fresh);
    expect(w.check(10)).toBe(Duplicate);

    // The flagged frame was lost on the way up: a run of "duplicates" resyncs the window.
    const v = new ReplayWindow();
    for (let s = 0; s < 500; s++) v.check(s);
    for (let s = 1; s <= RESYNC_AFTER; s++) expect(v.check(s)).toBe(Duplicate);
    expect(v.check(RESYNC_AFTER + 1)).toBe(Fresh);
    expect(v.check(RESYNC_AFTER + 2)).toBe(Fresh);
  });

  it('a fresh frame breaks a stale run, so interleaved replays never resync the window', () => {
    const w = new ReplayWindow();
    let seq = 100_000;
    w.check(seq);
    for (let i = 0; i < RESYNC_AFTER * 3; i++) {
      expect(w.check(i % 50)).toBe(Stale);
      if (i % 10 === 9) expect(w.check(++seq)).toBe(Fresh);
    }
  });
});
