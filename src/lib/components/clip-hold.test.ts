import { describe, expect, it } from 'vitest';
import { CLIP_PEAK, ClipHold } from './clip-hold';

describe('ClipHold', () => {
  it('warns at or near full scale, not below', () => {
    expect(new ClipHold().update(1, 0)).toBe(true);
    expect(new ClipHold().update(CLIP_PEAK, 0)).toBe(true);
    expect(new ClipHold().update(0.9, 0)).toBe(false); // −0.9 dBFS: loud, not clipping
    expect(new ClipHold().update(0, 0)).toBe(false);
  });

  it('holds the warning 1.5 s after the last clip, then lets it go', () => {
    const clip = new ClipHold();
    expect(clip.update(1, 1000)).toBe(true);
    expect(clip.update(0.2, 1033)).toBe(true);
    expect(clip.update(0.2, 2499)).toBe(true);
    expect(clip.update(0.2, 2500)).toBe(false);
    // A new clip restarts the hold.
    expect(clip.update(0.99, 3000)).toBe(true);
    expect(clip.update(0.1, 4400)).toBe(true);
    expect(clip.update(0.1, 4600)).toBe(false);
  });
});
