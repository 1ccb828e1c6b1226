import { describe, expect, it } from 'vitest';
import type { SourceStats } from '../protocol/audio-worker';
import { SharedClock } from './shared-clock';

const source = (sourceKey: string, offset: number | null, uncertainty: number | null) =>
  ({ sourceKey, clockOffsetMs: offset, clockUncertaintyMs: uncertainty }) as SourceStats;

describe('SharedClock', () => {
  const users: Record<string, string> = { p1: 'ann', p2: 'ann', p3: 'bob' };
  const make = () => new SharedClock({ me: 'me', userOf: (peer) => users[peer] ?? null });

  it('is 0 for us and null for a player never measured', () => {
    const clock = make();
    expect(clock.offsetOf('me')).toBe(0);
    expect(clock.offsetOf('ann')).toBeNull();
  });

  it('takes the tightest estimate among a user’s visits, and ignores unknown sources', () => {
    const clock = make();
    clock.update([
      source('p1', 12, 3),
      source('p2', 10.5, 0.4),
      source('zz', 99, 0.1),
      source('p3', null, null),
    ]);
    expect(clock.offsetOf('ann')).toBe(10.5);
    expect(clock.offsetOf('bob')).toBeNull();
  });

  it('remembers a player’s offset after it leaves, and follows new estimates', () => {
    const clock = make();
    clock.update([source('p3', -4, 1)]);
    clock.update([]);
    expect(clock.offsetOf('bob')).toBe(-4);
    clock.update([source('p3', -4.2, 0.5)]);
    expect(clock.clockOf('bob')).toEqual({ offsetMs: -4.2, uncertaintyMs: 0.5 });
  });
});
