import { describe, expect, it } from 'vitest';
import type { SourceStats } from '../protocol/audio-worker';
import { relayClockMoved, SharedClock } from './shared-clock';

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

  it('places a player through the relay when no direct link measured them (an SFU room)', () => {
    // Relay − us = 5 ms; relay − Bob = −2 ms (Bob's clock is 7 ms ahead of ours).
    const said: Record<string, { offsetMs: number; uncertaintyMs: number }> = {
      bob: { offsetMs: -2, uncertaintyMs: 0.3 },
    };
    const clock = new SharedClock({
      me: 'me',
      userOf: (peer) => users[peer] ?? null,
      relayClockOf: (userId) => said[userId] ?? null,
    });
    expect(clock.offsetOf('bob')).toBeNull(); // our own offset to the relay is not measured yet
    clock.setRelayClock({ offsetMs: 5, uncertaintyMs: 0.2 });
    expect(clock.clockOf('bob')).toEqual({ offsetMs: 7, uncertaintyMs: 0.5 });
    expect(clock.offsetOf('ann')).toBeNull(); // Ann said nothing of the relay
    // A tighter direct estimate wins; a looser one does not.
    clock.update([source('p3', 6.9, 0.1)]);
    expect(clock.clockOf('bob')).toEqual({ offsetMs: 6.9, uncertaintyMs: 0.1 });
    clock.update([source('p3', 6, 2)]);
    expect(clock.clockOf('bob')).toEqual({ offsetMs: 7, uncertaintyMs: 0.5 });
    clock.setRelayClock(null);
    expect(clock.clockOf('bob')).toEqual({ offsetMs: 6, uncertaintyMs: 2 });
  });

  it('tells presence again only when the relay reading moved past a quarter millisecond', () => {
    const at = (offsetMs: number, uncertaintyMs = 0.5) => ({ offsetMs, uncertaintyMs });
    expect(relayClockMoved(null, null)).toBe(false);
    expect(relayClockMoved(null, at(1))).toBe(true);
    expect(relayClockMoved(at(1), null)).toBe(true);
    expect(relayClockMoved(at(1), at(1.2))).toBe(false);
    expect(relayClockMoved(at(1), at(1.3))).toBe(true);
    expect(relayClockMoved(at(1, 0.5), at(1, 2))).toBe(true);
  });
});
