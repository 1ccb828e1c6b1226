import { describe, expect, it } from 'vitest';
import { UndecryptableWatch } from './undecryptable-watch';

describe('UndecryptableWatch', () => {
  it('asks for a source’s key when its undecryptable frames grew since the last sample', () => {
    const asked: string[] = [];
    const watch = new UndecryptableWatch((sourceKey) => asked.push(sourceKey));
    const sample = (ann: number, bo: number) =>
      watch.stats([
        { sourceKey: 'ann', undecryptableFrames: ann },
        { sourceKey: 'bo', undecryptableFrames: bo },
      ]);
    sample(5, 0); // the first sample only sets the baseline
    expect(asked).toEqual([]);
    sample(5, 0); // not growing: the old count is history (keys arrive a moment after the first frames)
    expect(asked).toEqual([]);
    sample(30, 0);
    sample(80, 2);
    expect(asked).toEqual(['ann', 'ann', 'bo']);
    sample(80, 2); // recovered
    expect(asked).toEqual(['ann', 'ann', 'bo']);
  });

  it('forgets a source missing from a sample, so a re-added one (counters from 0) starts over', () => {
    const asked: string[] = [];
    const watch = new UndecryptableWatch((sourceKey) => asked.push(sourceKey));
    watch.stats([{ sourceKey: 'ann', undecryptableFrames: 40 }]);
    watch.stats([]);
    watch.stats([{ sourceKey: 'ann', undecryptableFrames: 3 }]);
    expect(asked).toEqual([]);
    watch.stats([{ sourceKey: 'ann', undecryptableFrames: 1 }]); // reset under us: not growth
    expect(asked).toEqual([]);
    watch.stats([{ sourceKey: 'ann', undecryptableFrames: 9 }]);
    expect(asked).toEqual(['ann']);
  });
});
