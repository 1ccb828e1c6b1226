import { describe, expect, it } from 'vitest';
import { FrameSizePolicy } from './frame-size-policy';

/** Feeds `seconds` of ticks with a steady capture rate and a given skip rate. */
function run(policy: FrameSizePolicy, from: number, seconds: number, frameMs: number, skipRatio: number) {
  const changes: Array<[number, number]> = [];
  let ms = frameMs;
  let captured = 0;
  let skipped = 0;
  for (let t = from; t < from + seconds; t++) {
    const perSecond = 1000 / ms;
    captured += perSecond;
    skipped += perSecond * skipRatio;
    const next = policy.observe(t, ms, { captured, skipped });
    if (next !== null) {
      changes.push([t, next]);
      ms = next;
    }
  }
  return changes;
}

describe('FrameSizePolicy', () => {
  it('keeps the smallest frames while nothing is skipped', () => {
    expect(run(new FrameSizePolicy(0), 0, 60, 2.5, 0)).toEqual([]);
    expect(run(new FrameSizePolicy(0), 0, 60, 2.5, 0.01)).toEqual([]);
  });

  it('steps up one size at a time when frames are skipped, holding between steps, up to 10 ms', () => {
    const changes = run(new FrameSizePolicy(0), 0, 60, 2.5, 0.2);
    expect(changes.map(([, ms]) => ms)).toEqual([5, 10]);
    expect(changes[0]![0]).toBeGreaterThanOrEqual(5); // nothing before the start-up hold ends
    expect(changes[1]![0] - changes[0]![0]).toBeGreaterThanOrEqual(5);
  });
});
