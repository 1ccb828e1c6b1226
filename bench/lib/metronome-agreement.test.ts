import { describe, expect, it } from 'vitest';
import { clickAgreement } from './metronome-agreement.mjs';

describe('clickAgreement', () => {
  it('measures per-beat spread across players and each player’s deviation from the median', () => {
    const a = [0, 1, 2].map((beat) => ({ beat, sharedMs: 1000 + beat * 500 }));
    const b = [0, 1, 2].map((beat) => ({ beat, sharedMs: 1000 + beat * 500 + 1.5 }));
    const c = [1, 2, 3].map((beat) => ({ beat, sharedMs: 1000 + beat * 500 - 0.5 }));
    const result = clickAgreement([a, b, c]);
    expect(result.beats).toBe(2);
    expect(result.beatsMissingSomewhere).toBe(2);
    expect(result.spreadMaxMs).toBe(2);
    expect(result.perPlayer).toEqual([
      { meanMs: 0, maxAbsMs: 0 },
      { meanMs: 1.5, maxAbsMs: 1.5 },
      { meanMs: -0.5, maxAbsMs: 0.5 },
    ]);
  });

  it('skips beats before fromBeat', () => {
    const clicks = [-2, -1, 0].map((beat) => ({ beat, sharedMs: beat * 500 }));
    expect(clickAgreement([clicks, clicks], { fromBeat: 0 }).beats).toBe(1);
  });
});
