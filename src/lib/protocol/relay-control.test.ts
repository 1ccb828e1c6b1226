import { describe, expect, it } from 'vitest';
import { parseRelayControl } from './relay-control';

describe('parseRelayControl: room-mode', () => {
  it('accepts sfu, mesh and auto for a valid studio id', () => {
    for (const mode of ['sfu', 'mesh', 'auto'] as const) {
      expect(parseRelayControl({ v: 1, kind: 'room-mode', studio: 'abc123', mode, iat: 100 })).toEqual({
        v: 1,
        kind: 'room-mode',
        studio: 'abc123',
        mode,
        iat: 100,
      });
    }
  });

  it('refuses another mode, a missing mode or a bad studio id', () => {
    expect(parseRelayControl({ v: 1, kind: 'room-mode', studio: 'abc', mode: 'p2p', iat: 1 })).toBeNull();
    expect(parseRelayControl({ v: 1, kind: 'room-mode', studio: 'abc', iat: 1 })).toBeNull();
    expect(parseRelayControl({ v: 1, kind: 'room-mode', studio: 'ABC', mode: 'sfu', iat: 1 })).toBeNull();
    expect(parseRelayControl({ v: 2, kind: 'room-mode', studio: 'abc', mode: 'sfu', iat: 1 })).toBeNull();
  });
});

describe('parseRelayControl: recording', () => {
  it('accepts recording-policy with a known policy only', () => {
    for (const policy of ['everyone', 'engineers', 'nobody'] as const) {
      expect(parseRelayControl({ v: 1, kind: 'recording-policy', studio: 'abc', policy, iat: 5 })).toEqual({
        v: 1,
        kind: 'recording-policy',
        studio: 'abc',
        policy,
        iat: 5,
      });
    }
    expect(
      parseRelayControl({ v: 1, kind: 'recording-policy', studio: 'abc', policy: 'owner', iat: 5 }),
    ).toBeNull();
    expect(parseRelayControl({ v: 1, kind: 'recording-policy', studio: 'abc', iat: 5 })).toBeNull();
  });

  it('carries rec on a membership change only when it is a boolean', () => {
    const base = { v: 1, kind: 'membership', studio: 'abc', user: 'u1', role: 'member', iat: 5 };
    expect(parseRelayControl(base)).toEqual(base);
    expect(parseRelayControl({ ...base, rec: false })).toEqual({ ...base, rec: false });
    expect(parseRelayControl({ ...base, rec: 'no' })).toBeNull();
  });
});
