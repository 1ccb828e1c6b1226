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
