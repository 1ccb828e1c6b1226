import { describe, expect, it } from 'vitest';
import type { AttestedPeer } from '../protocol/attested';
import { isAudioPresence, presentPeers } from './presence';

const peer = (peerId: string, name: string): AttestedPeer => ({
  peerId,
  userId: `u-${name}`,
  role: 'member',
  name,
  instrument: 'bass',
  client: name.length,
  joinedAt: 1,
});

describe('presence', () => {
  it('accepts only the AudioPresence shape', () => {
    expect(isAudioPresence({ audioPaths: ['data', 'track'], audioOn: true })).toBe(true);
    expect(isAudioPresence({ audioPaths: [], audioOn: false })).toBe(true);
    expect(isAudioPresence({ audioPaths: 'track', audioOn: true })).toBe(false);
    expect(isAudioPresence({ audioPaths: ['carrier-pigeon'], audioOn: true })).toBe(false);
    expect(isAudioPresence({ audioPaths: ['data', 'track', 'data'], audioOn: true })).toBe(false);
    expect(isAudioPresence({ audioPaths: ['data'] })).toBe(false);
    expect(isAudioPresence(null)).toBe(false);
  });

  it('accepts a relay clock reading only when it is a plausible measurement', () => {
    const base = { audioPaths: ['data'], audioOn: true };
    expect(isAudioPresence({ ...base, relayClock: { offsetMs: -3.2, uncertaintyMs: 0.4 } })).toBe(true);
    for (const relayClock of [
      null,
      'soon',
      { offsetMs: Number.NaN, uncertaintyMs: 1 },
      { offsetMs: 1e12, uncertaintyMs: 1 },
      { offsetMs: 2, uncertaintyMs: -1 },
      { offsetMs: 2, uncertaintyMs: Number.POSITIVE_INFINITY },
      { offsetMs: 2 },
    ])
      expect(isAudioPresence({ ...base, relayClock })).toBe(false);
  });

  it('lists attested identities, ourselves first, with audio only from connected peers', () => {
    const list = presentPeers({
      self: peer('peer-self-000', 'me'),
      peers: [peer('peer-ann-0000', 'ann'), peer('peer-bob-0000', 'bob')],
      connected: (id) => id === 'peer-ann-0000',
      audioOf: () => ({ audioPaths: ['data'], audioOn: true }),
      selfAudio: { audioPaths: ['track'], audioOn: false },
    });
    expect(list.map((p) => [p.name, p.self, p.connected, p.audio?.audioOn ?? null])).toEqual([
      ['me', true, true, false],
      ['ann', false, true, true],
      ['bob', false, false, null],
    ]);
  });
});
