import { describe, expect, it } from 'vitest';
import { isPresence } from './presence';

const base = { peerId: 'p', userId: 'u', name: 'Ada', instrument: 'bass', role: 'member', joinedAt: 1 };

describe('isPresence', () => {
  it('accepts presence with or without advertised audio paths', () => {
    expect(isPresence(base)).toBe(true);
    expect(isPresence({ ...base, audioPaths: ['data', 'track'] })).toBe(true);
    expect(isPresence({ ...base, audioPaths: [] })).toBe(true);
  });

  it('rejects malformed audio paths', () => {
    expect(isPresence({ ...base, audioPaths: 'track' })).toBe(false);
    expect(isPresence({ ...base, audioPaths: ['carrier-pigeon'] })).toBe(false);
    expect(isPresence({ ...base, audioPaths: ['data', 'track', 'data'] })).toBe(false);
  });
});
