import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/lib/protocol/errors.js';
import { TICKET_MAX_TTL_SECONDS } from '../../../src/lib/protocol/ticket.js';
import { MembershipOverrides } from './membership-overrides.js';

const ticket = (iat: number, role: 'owner' | 'engineer' | 'member' = 'engineer') => ({
  studio: 's1',
  sub: 'u1',
  role,
  iat,
  rec: true,
});

describe('MembershipOverrides', () => {
  it('lets a ticket minted before a removal or a role change open nothing more than the change allows', () => {
    let now = 1000;
    const overrides = new MembershipOverrides({ nowSeconds: () => now });
    expect(overrides.admission(ticket(990))).toMatchObject({ ok: true, role: 'engineer' });

    overrides.recordMembership('s1', 'u1', 'member', 995);
    expect(overrides.admission(ticket(990))).toMatchObject({ ok: true, role: 'member' });
    expect(overrides.admission(ticket(995))).toMatchObject({ ok: true, role: 'member' });
    // A ticket minted after the change already carries the truth.
    expect(overrides.admission(ticket(996, 'member'))).toMatchObject({ ok: true, role: 'member' });

    overrides.recordMembership('s1', 'u1', null, 998);
    expect(overrides.admission(ticket(997))).toEqual({ ok: false, code: ErrorCode.MembershipRevoked });
    expect(overrides.admission({ ...ticket(997), sub: 'u2' })).toMatchObject({ ok: true, role: 'engineer' });

    overrides.recordDeletion('s1', 999);
    expect(overrides.admission({ ...ticket(999), sub: 'u2' })).toEqual({
      ok: false,
      code: ErrorCode.StudioDeleted,
    });

    // Forgotten once no ticket minted before it can still be valid.
    now = 999 + TICKET_MAX_TTL_SECONDS + 60;
    expect(overrides.admission({ ...ticket(999), sub: 'u2' })).toMatchObject({ ok: true, role: 'engineer' });
  });

  it('ignores a replayed older change once a newer one is known', () => {
    const overrides = new MembershipOverrides({ nowSeconds: () => 1000 });
    expect(overrides.recordMembership('s1', 'u1', null, 990)).toBe(true);
    expect(overrides.recordMembership('s1', 'u1', 'member', 995)).toBe(true);
    expect(overrides.recordMembership('s1', 'u1', null, 990)).toBe(false);
    expect(overrides.admission(ticket(990))).toMatchObject({ ok: true, role: 'member' });
    // The same message again (same iat) is an idempotent repeat, not a replay of something older.
    expect(overrides.recordMembership('s1', 'u1', 'member', 995)).toBe(true);
  });

  it('recomputes a stale rec claim from a newer recording setting or a newer membership change', () => {
    const overrides = new MembershipOverrides({ nowSeconds: () => 1000 });
    expect(overrides.admission(ticket(990, 'member'))).toMatchObject({ ok: true, mayRecord: true });
    expect(overrides.recordRecordingPolicy('s1', 'engineers', 992)).toBe(true);
    // Minted before the setting: recomputed from the role.
    expect(overrides.admission(ticket(990, 'member'))).toEqual({
      ok: true,
      role: 'member',
      mayRecord: false,
    });
    expect(overrides.admission(ticket(990, 'engineer'))).toEqual({
      ok: true,
      role: 'engineer',
      mayRecord: true,
    });
    // Minted after it: the ticket already says the truth (even an odd one).
    expect(overrides.admission({ ...ticket(993, 'member'), rec: false })).toMatchObject({ mayRecord: false });
    expect(overrides.admission(ticket(993, 'member'))).toMatchObject({ mayRecord: true });
    // A replayed older setting changes nothing.
    expect(overrides.recordRecordingPolicy('s1', 'everyone', 991)).toBe(false);
    expect(overrides.recordingPolicy('s1')).toEqual({ policy: 'engineers', at: 992 });
    // A newer role change with rec wins over the older setting; a newer setting wins over it again.
    overrides.recordMembership('s1', 'u1', 'engineer', 994, false);
    expect(overrides.admission(ticket(990, 'member'))).toEqual({
      ok: true,
      role: 'engineer',
      mayRecord: false,
    });
    overrides.recordRecordingPolicy('s1', 'nobody', 996);
    overrides.recordRecordingPolicy('s1', 'everyone', 997);
    expect(overrides.admission(ticket(990, 'member'))).toEqual({
      ok: true,
      role: 'engineer',
      mayRecord: true,
    });
  });
});
