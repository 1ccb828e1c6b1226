import { describe, expect, it } from 'vitest';
import { isRecordingPolicy, recordingAllowedFor, ticketMayRecord } from './ticket';

describe('recording permission', () => {
  it('maps the studio setting and the role to may-record (engineers means owner and engineers)', () => {
    const table = (['everyone', 'engineers', 'nobody'] as const).map((policy) =>
      (['owner', 'engineer', 'member'] as const).map((role) => recordingAllowedFor(policy, role)),
    );
    expect(table).toEqual([
      [true, true, true],
      [true, true, false],
      [false, false, false],
    ]);
  });

  it('reads the rec claim strictly: only true allows, absent means no', () => {
    expect(ticketMayRecord({ rec: true })).toBe(true);
    expect(ticketMayRecord({})).toBe(false);
    for (const rec of [false, 'true', 1, null]) expect(ticketMayRecord({ rec })).toBe(false);
  });

  it('knows the three settings and nothing else', () => {
    expect(['everyone', 'engineers', 'nobody'].every(isRecordingPolicy)).toBe(true);
    expect(['', 'owner', 'all', null].some(isRecordingPolicy)).toBe(false);
  });
});
